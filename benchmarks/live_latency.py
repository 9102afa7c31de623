"""End-to-end latency and sustained rate of the live path (figures for the README).

    python benchmarks/live_latency.py                      # everything (about 6 minutes)
    python benchmarks/live_latency.py --only latency --seconds 30
    python benchmarks/live_latency.py --only rate --channels 8 64 128

The emulated device runs in a child process pinned to one core; the live path — `open_source`
(pyserial on a pty, or unmodified bleak on the BLE test stack), `ReconnectingSource`,
`LiveRunner` and the `Pipeline` with the shipped classifier — runs in this process, pinned to
the other core, so "one core" means what it says for the host side.

* **Latency**: from the moment the emulator hands the wire unit holding a sample to its link
  (pty write, BLE notification) to the moment the event that sample decided is emitted. Both
  processes read the same clock (CLOCK_MONOTONIC). Events emitted by the final flush, after the
  stream stopped, are left out. Devices: EMGF on a pty (1 kHz × 4 ch), and on the BLE test
  stack a Myo (200 Hz × 8 ch) and EMGF over NUS (1 kHz × 4 ch); simulated mixed sessions.
* **Sustained rate**: EMGF on a pty at 2 kHz with more and more channels. A rate is sustained
  when nothing is lost (no gap, no block shed by the pipeline queue, no unit dropped by the
  emulator for want of a reader) and the live path used under 90 % of its core: above that it
  lags further and further behind until its queue sheds (a 20 s run is too short to see it).

Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emgspasm.live.sinks import Sink

MAX_CPU_SHARE = 0.9
"""Share of its core above which the live path is not keeping up for long."""

SIMULATED_CHANNELS = 8
"""Channels simulated; wider devices cycle them (simulating 128 channels adds nothing)."""


# ---- the emulator (child process) -------------------------------------------------------------

def _pin(cpu_from_end: int) -> None:
    """Run on one core: the last one (emulator) or the first (live path), when there are two."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[-1] if cpu_from_end else cpus[0]})


def run_emulator(config: dict) -> None:
    """Child: emulate ``config["device"]``, log when each unit leaves, exit when told.

    Protocol on stdout, one JSON object per line: ``{"endpoint", "environment"}`` once the
    device is reachable, ``{"exhausted": true}`` when the signal is all sent; then it waits for
    stdin to close and writes the send log (``[[unit start index, monotonic time], ...]``) and
    its stats to ``config["log"]``.
    """
    from emgspasm.live.emulate import emulator_uv
    from firmware_bridge.devices import get_device
    from firmware_bridge.emulators import EmulatedSignal, device_personality, make_emulator

    _pin(cpu_from_end=1)
    spec = get_device(config["device"]).with_options(**config.get("options", {}))
    personality = device_personality(spec)
    n = personality.n_channels
    uv, _ = emulator_uv(personality.fs, min(n, SIMULATED_CHANNELS), seed=config["seed"],
                        scenario="mixed", duration_s=config["seconds"])
    signal = EmulatedSignal.from_uv(uv, personality.codec, n, loop=False)
    emu = make_emulator(spec, signal=signal,
                        link_path=Path(tempfile.gettempdir()) / f"bench-{os.getpid()}")
    wire = getattr(emu, "peripheral", emu)  # where DeviceCore hands its units over
    sends: list[tuple[int, float]] = []
    send_unit = wire.send_unit

    def logged(data: bytes, start: int) -> bool:
        sends.append((start, time.monotonic()))
        return send_unit(data, start)

    wire.send_unit = logged
    emu.start()
    print(json.dumps({"endpoint": emu.endpoint, "environment": emu.environment}), flush=True)
    while not emu.exhausted and emu.error is None:
        time.sleep(0.05)
    print(json.dumps({"exhausted": True}), flush=True)
    sys.stdin.read()  # until the parent is done
    emu.close()
    stats = {k: getattr(emu.stats, k) for k in ("samples_sent", "overflow_units", "unplugs")}
    Path(config["log"]).write_text(json.dumps({"sends": sends, "stats": stats}))


# ---- the live path (this process) ----------------------------------------------------------------

@dataclass
class Timing:
    """What the sink saw: emission times of events and the session's rate."""

    fs: float = 0.0
    emitted: list[tuple[float, float]] = field(default_factory=list)
    """(decided_at_s, monotonic emission time) per event."""


class TimingSink(Sink):
    """A live sink that notes when each event is emitted (a `Sink`, so it has every method
    the runner calls: a hand-rolled one without `alerts` crashed the session at the first
    announcement)."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing

    def start(self, first, source: str) -> None:
        self.timing.fs = first.fs

    def events(self, events) -> None:
        now = time.monotonic()
        for ev in events:
            decided = ev.decided_at_s if ev.decided_at_s is not None else ev.end_s
            self.timing.emitted.append((decided, now))


def run_session(device: str, seconds: float, options: dict | None = None, seed: int = 3) -> dict:
    """One emulated session through the live path; the figures of that session."""
    from emgspasm.live.runner import LiveRunner, make_pipeline_factory
    from firmware_bridge.devices import get_device, open_source
    from firmware_bridge.transports import Backoff

    spec = get_device(device).with_options(**(options or {}))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "sends.json"
        config = {"device": device, "options": options or {}, "seconds": seconds,
                  "seed": seed, "log": str(log)}
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None and child.stdin is not None
        hello = json.loads(child.stdout.readline())
        exhausted = threading.Event()
        threading.Thread(target=lambda: (child.stdout.readline(), exhausted.set()),
                         daemon=True).start()
        os.environ.update(hello["environment"])
        where = {"address" if spec.transport == "ble" else "port": hello["endpoint"]}
        source = open_source(spec, backoff=Backoff(initial_s=0.02, max_s=0.1), **where)
        factory, mode = make_pipeline_factory()
        timing = Timing()
        runner = LiveRunner(source, [TimingSink(timing)], pipeline_factory=factory, mode=mode)
        stopped_at: list[float] = []

        async def main() -> None:
            async def stop_when_sent() -> None:
                while not exhausted.is_set():
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)
                stopped_at.append(time.monotonic())
                runner.stop("benchmark")

            stopper = asyncio.create_task(stop_when_sent())
            await runner.run()
            await stopper

        cpu0, wall0 = time.process_time(), time.monotonic()
        asyncio.run(main())
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        child.stdin.close()
        child.wait(60)
        for key in hello["environment"]:
            os.environ.pop(key, None)
        sent = json.loads(log.read_text())
    summary = runner.summary()
    starts = [s for s, _ in sent["sends"]]
    latencies = []
    for decided, emitted in timing.emitted:
        if stopped_at and emitted >= stopped_at[0]:
            continue  # the final flush: decided by the end of the stream, not by a sample
        last_sample = round(decided * timing.fs) - 1
        unit = bisect.bisect_right(starts, last_sample) - 1
        if 0 <= unit < len(starts):
            latencies.append(emitted - sent["sends"][unit][1])
    ms = np.sort(np.array(latencies) * 1e3)
    return {
        "device": device,
        "fs": timing.fs,
        "channels": len(runner.pipeline.channels) if runner.pipeline else 0,
        "events_timed": len(latencies),
        "latency_median_ms": float(np.median(ms)) if ms.size else None,
        "latency_p99_ms": float(np.percentile(ms, 99)) if ms.size else None,
        "latency_second_worst_ms": float(ms[-2]) if ms.size > 1 else None,
        "arrival_to_event_median_ms": summary.latency_median_ms,
        "samples_received": summary.samples_received,
        "samples_lost": summary.samples_lost,
        "shed_samples": summary.shed_samples,
        "emulator_overflow_units": sent["stats"]["overflow_units"],
        "cpu_share_of_one_core": cpu / wall,
    }


def _fmt(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", choices=["latency", "rate"], help="run one part only")
    p.add_argument("--seconds", type=float, default=60.0, help="latency sessions (default 60)")
    p.add_argument("--rate-seconds", type=float, default=20.0,
                   help="each rate-sweep session (default 20)")
    p.add_argument("--channels", type=int, nargs="+", default=[8, 64, 128, 192, 255],
                   help="channel counts of the rate sweep at 2 kHz")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        run_emulator(json.loads(args.child))
        return
    _pin(cpu_from_end=0)
    from firmware_bridge.emulators import unavailable_reason

    if args.only in (None, "latency"):
        print("latency: a sample leaving the emulator -> the event it decided, emitted")
        print(f"  {'device':<22} {'rate':>14} {'events':>6} {'median':>8} {'p99':>8} "
              f"{'2nd worst':>9}  (arrival->event median)")
        runs = [("emgf", "pty", {})]
        ble = unavailable_reason()
        runs += [] if ble else [("myo", "BLE", {}), ("emgf-ble", "BLE", {})]
        for device, link, options in runs:
            r = run_session(device, args.seconds, options)
            print(f"  {device + ' (' + link + ')':<22} "
                  f"{r['channels']:>3} ch x {r['fs']:>5g} Hz {r['events_timed']:>6} "
                  f"{_fmt(r['latency_median_ms']):>5} ms {_fmt(r['latency_p99_ms']):>5} ms "
                  f"{_fmt(r['latency_second_worst_ms']):>6} ms  "
                  f"({_fmt(r['arrival_to_event_median_ms'])} ms); lost {r['samples_lost']}")
        if ble:
            print(f"  (BLE skipped: {ble})")
    if args.only in (None, "rate"):
        print("sustained rate: EMGF on a pty at 2 kHz, live path on one core")
        print(f"  {'channels':>8} {'samples/s':>10} {'CPU':>5} {'lost':>5} {'shed':>5} "
              f"{'overflow':>8} {'median':>8} {'p99':>8}  sustained")
        for n in args.channels:
            r = run_session("emgf", args.rate_seconds, {"fs": 2000.0, "n_channels": n})
            lossless = r["samples_lost"] == r["shed_samples"] == r["emulator_overflow_units"] == 0
            sustained = lossless and r["cpu_share_of_one_core"] < MAX_CPU_SHARE
            print(f"  {n:>8} {n * 2000:>10} {r['cpu_share_of_one_core']:>5.0%} "
                  f"{r['samples_lost']:>5} {r['shed_samples']:>5} "
                  f"{r['emulator_overflow_units']:>8} {_fmt(r['latency_median_ms']):>5} ms "
                  f"{_fmt(r['latency_p99_ms']):>5} ms  {'yes' if sustained else 'no'}")


if __name__ == "__main__":
    main()
