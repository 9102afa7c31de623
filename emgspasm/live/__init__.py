"""Live sessions: a device or a replayed file through the streaming pipeline, as it happens.

The data flows one way through the package (docs/architecture.md#the-package-layout):

* `sources` -- recordings and raw captures replayed through the live path (devices come
  from `firmware_bridge.devices`);
* `queue` -- the bounded queues between the reader and the pipeline, counting what they shed;
* `runner` -- `LiveRunner`: source -> `emgspasm.pipeline.Pipeline` -> sinks, on asyncio;
* `sinks` (the `Sink` interface and the file sinks), `terminal` (the live view) and `lsl`
  (Lab Streaming Layer outlets) -- where blocks, alerts and events go;
* `latency` and `summary` -- what the session measured and the counts it ends with;
* `emulate` -- the signal an `emgspasm emulate` device streams.

Nothing is imported here: `from emgspasm.live.runner import LiveRunner`. A sink or the
terminal view is therefore imported without the runner and the pipeline behind it.
"""
