"""The asyncio live runner: source -> Pipeline -> sinks, with a summary at the end.

    source (serial / replay / recording)        yields SampleBlocks (µV, gaps, stream index)
      -> sinks.block()   lossless: recording, LSL signal, terminal quality
      -> BlockQueue      bounded; sheds the oldest blocks (counted) into a gap if behind
      -> Pipeline.push   the same object analyse and replay use (chunk-invariant)
      -> sinks.events()  events JSONL, terminal labels, LSL markers

Two tasks, so a slow detector never stalls the reading: the producer hands every block to the
recording first and then to the queue; the consumer runs the pipeline. The session ends on
``duration_s``, on `stop()` (Ctrl-C) or at the end of the source; either way the source is told
to stop, everything already received is decoded, pushed and flushed, and the summary reports
samples received and lost, gaps, reconnects, bad frames, shed load and the latency from a
sample's arrival to the event it decided (median, p99).

Example::

    from firmware_bridge.devices import open_source
    from emgspasm.live.runner import LiveRunner
    from emgspasm.live.sinks import EventsJsonlSink

    source = open_source("cyton", port="/dev/ttyUSB0")
    summary = asyncio.run(LiveRunner(source, [EventsJsonlSink("ev.jsonl")], duration_s=60).run())
    print(summary.line())
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emgspasm.alerts import Alert
from emgspasm.detect.classifier import EpisodeModel, load_model
from emgspasm.events import Event
from emgspasm.live.latency import LatencyMeter
from emgspasm.live.queue import BlockQueue
from emgspasm.live.sinks import Sink
from emgspasm.live.summary import LiveSummary
from emgspasm.pipeline import Pipeline
from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.source import Source

log = logging.getLogger(__name__)

PipelineFactory = Callable[[float, list[str]], Pipeline]
"""Makes the session's pipeline once the first block gives the rate and channel names."""

QUEUE_BLOCKS = 512
"""Blocks waiting for the pipeline before the oldest are shed (seconds of signal at typical
block sizes; enough to ride out a GC pause or a slow model call)."""


def make_pipeline_factory(
    model: EpisodeModel | str | Path | None = None, **pipeline_options: Any
) -> tuple[PipelineFactory, str]:
    """A pipeline factory and its mode (``classify`` or ``detect-only``).

    With no model given and no default model file installed, the session still streams,
    records and detects activity, but labels nothing (``collect=True``): losing a recording
    because a model file is missing would be the worse failure. The caller is told the mode.
    """
    if model is None:
        try:
            model = load_model()
        except FileNotFoundError:
            log.warning("no classifier model installed (emgspasm/models/default.skops): "
                        "streaming and recording without labels; train one with "
                        "`emgspasm train --out PATH` and pass --model PATH")

            def detect_only(fs: float, channels: list[str]) -> Pipeline:
                return Pipeline(fs, channels, collect=True, **pipeline_options)

            return detect_only, "detect-only"
    loaded = model if isinstance(model, EpisodeModel) else load_model(model)

    def classify(fs: float, channels: list[str]) -> Pipeline:
        return Pipeline(fs, channels, model=loaded, **pipeline_options)

    return classify, "classify"


class LiveRunner:
    """Runs one live session; `run()` returns its `LiveSummary`.

    Parameters
    ----------
    source : any `firmware_bridge` `Source` (serial, capture replay, recording replay).
    sinks : where blocks and events go (`emgspasm.live.sinks`, `.terminal`, `.lsl`).
    pipeline_factory : see `make_pipeline_factory` (default: the shipped model, or detect-only).
    duration_s : stop after this many seconds of wall-clock time (None: until the source ends
        or `stop()`).
    queue_blocks : bound of the pipeline queue.
    lossless : make the queue wait instead of shedding (replays at full speed: the source can
        slow down, a device cannot).
    """

    def __init__(
        self,
        source: Source,
        sinks: Sequence[Sink] = (),
        *,
        pipeline_factory: PipelineFactory | None = None,
        mode: str | None = None,
        duration_s: float | None = None,
        queue_blocks: int = QUEUE_BLOCKS,
        lossless: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.sinks = list(sinks)
        if pipeline_factory is None:
            pipeline_factory, mode = make_pipeline_factory()
        self.pipeline_factory = pipeline_factory
        self.mode = mode or "classify"
        self.duration_s = duration_s
        self.queue = BlockQueue(queue_blocks, lossless=lossless)
        self.clock = clock
        self.latency = LatencyMeter()
        self.pipeline: Pipeline | None = None
        self.events: list[Event] = []
        self.alerts: list[Alert] = []
        self.ended_by = "end of source"
        self.failed_outputs: list[str] = []
        self._failed: set[int] = set()  # id() of the sinks that failed: no more calls
        self._position_s = 0.0  # stream time of the block being handed to the sinks
        self._t0 = 0.0

    def stop(self, reason: str = "stopped") -> None:
        """End the session cleanly (safe from a signal handler and other threads)."""
        if self.ended_by == "end of source":
            self.ended_by = reason
        self.source.stop()

    async def run(self) -> LiveSummary:
        """Stream until the end; close every sink (also on errors) and return the summary."""
        self._t0 = self.clock()
        loop = asyncio.get_running_loop()
        timer = None
        if self.duration_s is not None:
            timer = loop.call_later(self.duration_s, self.stop, "duration")
        producer = asyncio.create_task(self._produce(), name="live-producer")
        consumer = asyncio.create_task(self._consume(), name="live-consumer")
        error: BaseException | None = None
        try:
            await asyncio.wait({producer, consumer}, return_when=asyncio.FIRST_EXCEPTION)
            for task in (producer, consumer):
                if task.done() and task.exception() is not None:
                    error = task.exception()
                    break
            if error is not None:
                self.stop(f"error: {error}")
                self.queue.close()
                consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(producer, consumer, return_exceptions=True)
        except asyncio.CancelledError:
            self.stop("cancelled")
            for task in (producer, consumer):
                task.cancel()
            await asyncio.gather(producer, consumer, return_exceptions=True)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            summary = self.summary()
            for sink in self.sinks:  # one broken sink must not lose the others' files
                self._call(sink, "close", summary)
                summary.failed_outputs = list(self.failed_outputs)
        if error is not None:
            raise error
        return summary

    def summary(self) -> LiveSummary:
        """The counts so far."""
        s = self.source.stats
        return LiveSummary(
            **s.stream_counts(),
            source=getattr(self.source, "name", "source"),
            wall_s=self.clock() - self._t0,
            rate_changes=s.rate_changes,
            shed_blocks=self.queue.shed_blocks,
            shed_samples=self.queue.shed_samples,
            events=len(self.events),
            latency_median_ms=self.latency.percentile_ms(50),
            latency_p99_ms=self.latency.percentile_ms(99),
            mode=self.mode,
            ended_by=self.ended_by,
            hidden=dict(self.pipeline.hidden) if self.pipeline is not None else {},
            failed_outputs=list(self.failed_outputs),
        )

    # ---- tasks --------------------------------------------------------------------------------

    async def _produce(self) -> None:
        started = False
        blocks = self.source.blocks()
        try:
            async for block in blocks:
                if self.queue.closed:
                    break
                self._position_s = block.stream_index / block.fs
                if not started:
                    for sink in self.sinks:
                        self._call(sink, "start", block, getattr(self.source, "name", "source"))
                    started = True
                for sink in self.sinks:
                    self._call(sink, "block", block)
                await self.queue.put(block)
        finally:
            self.queue.close()
            aclose = getattr(blocks, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _consume(self) -> None:
        pipe: Pipeline | None = None
        while (item := await self.queue.get()) is not None:
            block: SampleBlock = item.block
            if pipe is None:
                pipe = self.pipeline = self.pipeline_factory(block.fs, list(block.channels))
            gap = item.shed_before + block.gap_estimate
            if block.n_samples == 0 and gap == 0:
                continue
            events = pipe.push(block.samples, gap_before=gap)
            self.latency.block(block.end_index, block.arrival)
            self._announce(pipe.take_alerts())
            if events:
                self._emit(events, block.fs)
            await asyncio.sleep(0)  # let the producer run: the queue can only shed if it does
        if pipe is not None:
            events = pipe.flush()
            if events:
                self._emit(events, pipe.fs)

    def _announce(self, alerts: list[Alert]) -> None:
        if alerts:
            self.alerts.extend(alerts)
            for sink in self.sinks:
                self._call(sink, "alerts", alerts)

    def _emit(self, events: list[Event], fs: float) -> None:
        self.latency.events(events, fs, self.clock())
        self.events.extend(events)
        for sink in self.sinks:
            self._call(sink, "events", events)

    def _call(self, sink: Sink, method: str, *args: Any) -> None:
        """``sink.method(*args)``; if it raises, say once which output failed, from when and
        why, close it (keeping what it wrote) and go on without it: a full disk under the
        recording must not also lose the labels, the events file or the other recordings."""
        if id(sink) in self._failed:
            return
        try:
            getattr(sink, method)(*args)
        except Exception as exc:
            self._failed.add(id(sink))
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, OSError) and exc.filename:
                reason += f": {exc.filename}"
            failure = f"{sink.describe()} failed at {self._position_s:.2f} s: {reason}"
            self.failed_outputs.append(failure)
            if method == "close":
                log.error("error: %s", failure)
                return
            log.error("error: %s; the session goes on without it", failure)
            with contextlib.suppress(Exception):  # already reported: it failed
                sink.close(None)


async def run_live(source: Source, sinks: Sequence[Sink] = (), **options: Any) -> LiveSummary:
    """Convenience: ``await LiveRunner(source, sinks, **options).run()``."""
    return await LiveRunner(source, sinks, **options).run()
