"""Recorded gaps keep the device's time: what another tool (MNE) sees in a lossy live recording.

    python benchmarks/recorded_gaps.py [--seconds 30] [--drop-rate 0.02] [--unplug-s 1.0]
                                       [--out DIR]

An emulated EMGF board (4 ch x 1 kHz, on a pty, through the real serial source) streams a
simulated session while dropping `--drop-rate` of its 10-sample frames and being unplugged once
for `--unplug-s` halfway; the live runner records it to BDF+ with `RecordingSink`, as
``emgspasm stream --record x.bdf`` does. The file is then read with MNE and compared with the
device's own clock: where the data end, the BAD_ spans against the loss, and the share of
received samples that sit at the time the device sent them. Our own reader's view (samples,
gaps, read time) is printed beside it. Point PYTHONPATH at an older checkout to measure it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import mne
import numpy as np

import emgspasm.io as eio
from emgspasm.live.emulate import emulator_uv
from emgspasm.live.runner import LiveRunner, make_pipeline_factory
from emgspasm.live.sinks import RecordingSink
from firmware_bridge.devices import get_device, open_source
from firmware_bridge.emulators import EmulatedSignal, FaultPlan, PtyDevice, device_personality
from firmware_bridge.transports import Backoff

SEED = 3
"""Simulation and fault seed."""

COUNT_UV = 0.3
"""A sample is "at its time" if MNE's value there is the device's within half a 0.5 µV count."""

SETTLE_S = 0.3
"""Wait after the emulator has sent everything, for the last bytes to arrive."""


async def _session(emu: PtyDevice, runner: LiveRunner):
    async def stop_when_sent() -> None:
        while not emu.exhausted:
            await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE_S)
        runner.stop("benchmark")

    stopper = asyncio.create_task(stop_when_sent())
    summary = await runner.run()
    await stopper
    return summary


def measure(out: Path, seconds: float, drop_rate: float, unplug_s: float) -> dict[str, float]:
    """Stream, record and compare; returns the figures (also printed)."""
    spec = get_device("emgf")
    personality = device_personality(spec)
    fs = float(personality.fs)
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=SEED, duration_s=seconds)
    signal = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels, loop=False)
    faults = FaultPlan(drop_rate=drop_rate, unplugs=[(round(seconds * fs / 2), unplug_s)],
                       seed=SEED)
    emu = PtyDevice(personality, signal, faults=faults, link_path=out / "port")
    emu.start()
    source = open_source(spec, port=emu.port, backoff=Backoff(initial_s=0.02, max_s=0.1))
    factory, mode = make_pipeline_factory()
    path = out / "session.bdf"
    runner = LiveRunner(source, [RecordingSink(path)], pipeline_factory=factory, mode=mode,
                        duration_s=seconds * 2)
    try:
        s = asyncio.run(_session(emu, runner))
    finally:
        emu.close()

    raw = mne.io.read_raw_bdf(path, preload=True, verbose="error")
    notes = list(zip(raw.annotations.onset, raw.annotations.duration,
                     raw.annotations.description, strict=True))
    bad = [d for _, d, t in notes if t.startswith("BAD_gap")]
    data_end = [o for o, _, t in notes if t.startswith(("BAD_padding", "end of data"))]
    data = raw.get_data()[0] * 1e6
    good = ~np.isnan(raw.get_data(reject_by_annotation="NaN")[0])
    n = min(len(uv), raw.n_times)
    in_place = np.abs(data[:n] - uv[:n, 0]) < COUNT_UV
    t0 = time.perf_counter()
    rec = eio.read(path)
    read_s = time.perf_counter() - t0
    figures = {
        "samples_received": s.samples_received,
        "samples_lost": s.samples_lost,
        "gaps": s.gaps,
        "device_s": (s.samples_received + s.samples_lost) / fs,
        "mne_file_s": raw.n_times / fs,
        "mne_data_end_s": float(data_end[0]) if data_end else raw.n_times / fs,
        "mne_bad_gaps": len(bad),
        "mne_bad_gap_s": float(sum(bad)),
        "received_at_device_time_pct": 100.0 * float(in_place[good[:n]].sum())
        / s.samples_received,
        "reader_samples": rec.n_samples,
        "reader_gaps": len(rec.gaps),
        "reader_lost": sum(k for _, k in rec.gaps),
        "reader_s": read_s,
        "file_bytes": path.stat().st_size,
    }
    for key, value in figures.items():
        print(f"{key:>28}: {value:.3f}" if isinstance(value, float) else f"{key:>28}: {value}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--drop-rate", type=float, default=0.02)
    parser.add_argument("--unplug-s", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=None, help="keep the recording here")
    args = parser.parse_args()
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        measure(args.out, args.seconds, args.drop_rate, args.unplug_s)
        return
    with tempfile.TemporaryDirectory(prefix="emgspasm-gaps-") as tmp:
        measure(Path(tmp), args.seconds, args.drop_rate, args.unplug_s)


if __name__ == "__main__":
    main()
