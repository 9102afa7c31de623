"""Helpers for the emulator integration tests (pty serial and BLE test stack): run an emulator
against the real `open_source` path of its transport and walk the received blocks against what
the emulator sent.

The emulators send uniformly random counts, so a few samples pin their position in the truth
uniquely. `align` uses that to find where every received block really belongs (searching only
inside the gap bound the host reported) and returns, per gap, what the host said and what
really went missing: "bit-exact" and "gaps of the right length" are checked in one walk.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

from firmware_bridge.devices import get_device, open_source
from firmware_bridge.emulators import (
    BleEmulator,
    EmulatedSignal,
    FaultPlan,
    PtyDevice,
    device_personality,
    make_emulator,
)
from firmware_bridge.transports import Backoff, SampleBlock, SourceStats

FAST_BACKOFF = Backoff(initial_s=0.02, max_s=0.1, jitter_s=0.02, first_connect_s=3.0)


@dataclass
class Session:
    """What one emulator-to-host run produced."""

    blocks: list[SampleBlock]
    stats: SourceStats
    truth_uv: np.ndarray
    emulator: PtyDevice | BleEmulator
    first: int = -1
    """Truth index of the first sample received (set by `align`)."""
    end: int = -1
    """Truth index just past the last sample received (set by `align`)."""


@dataclass
class GapCheck:
    """One gap: the host's report and the truth."""

    reported: object
    estimate: int
    true_missing: int
    at: int | None = None
    """Device index of the first missing sample."""

    @property
    def within_bounds(self) -> bool:
        lo, hi = (self.reported, self.reported) if isinstance(self.reported, int) \
            else self.reported
        return lo <= self.true_missing <= hi


def run_session(
    device: str,
    tmp_path: Path,
    *,
    seconds: float,
    faults: FaultPlan | None = None,
    options: dict | None = None,
    seed: int = 1,
    timeout_s: float = 15.0,
) -> Session:
    """Emulate ``device`` sending ``seconds`` of random counts (then falling silent), stream
    it through `open_source` (a pty's stable link, or the BLE test stack with the process's
    ``DBUS_SYSTEM_BUS_ADDRESS`` pointing at it), stop once everything was sent."""
    spec = get_device(device).with_options(**(options or {}))
    personality = device_personality(spec)
    n = round(seconds * personality.fs)
    signal = EmulatedSignal.random(personality.codec, n, n_channels=personality.n_channels,
                                   seed=seed)
    emu = make_emulator(spec, signal=signal, faults=faults,
                        link_path=tmp_path / f"{device}-port")
    emu.start()

    async def main() -> tuple[list[SampleBlock], SourceStats, np.ndarray]:
        where = {"address" if spec.transport == "ble" else "port": emu.endpoint}
        source = open_source(spec, backoff=FAST_BACKOFF, **where)
        blocks: list[SampleBlock] = []

        async def stopper() -> None:
            deadline = time.monotonic() + timeout_s
            while not emu.exhausted and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # let the last bytes arrive
            source.stop()

        task = asyncio.create_task(stopper())
        async for block in source:
            blocks.append(block)
        await task
        truth = np.asarray(source.decoder.codec.to_uv(signal.counts), dtype=float)
        return blocks, source.stats, truth

    try:
        with mock.patch.dict(os.environ, emu.environment):
            blocks, stats, truth = asyncio.run(main())
    finally:
        emu.close()
    if emu.error is not None:
        raise emu.error
    return Session(blocks, stats, truth, emu)


def _matches(truth: np.ndarray, at: int, samples: np.ndarray) -> bool:
    end = at + samples.shape[0]
    return 0 <= at and end <= truth.shape[0] and np.array_equal(truth[at:end], samples)


def align(session: Session) -> list[GapCheck]:
    """Place every block in the truth (bit-exact) and report each gap against the truth.

    The first block is searched for anywhere (a device that streams from power-up starts
    mid-signal); every later block inside its reported bound ``[lo, hi]`` after the previous
    one, preferring the host's own estimate when several positions fit.
    """
    truth = session.truth_uv
    pos: int | None = None
    checks: list[GapCheck] = []
    for block in session.blocks:
        if block.n_samples == 0:
            continue
        samples = block.samples
        if pos is None:
            starts = [i for i in range(truth.shape[0]) if _matches(truth, i, samples)]
            assert starts, "first block not found in what the emulator sent"
            session.first = starts[0]
            pos = starts[0] + block.n_samples
            continue
        lo, hi = block.gap_bounds
        fits = [pos + m for m in range(lo, hi + 1) if _matches(truth, pos + m, samples)]
        assert fits, (
            f"block at stream index {block.stream_index} (gap {block.gap_before}) is not in "
            "the truth within its reported gap bound: wrong samples or wrong gap"
        )
        at = pos + block.gap_estimate if pos + block.gap_estimate in fits else fits[0]
        if block.gap_bounds != (0, 0) or at != pos:
            checks.append(GapCheck(block.gap_before, block.gap_estimate, at - pos, pos))
        pos = at + block.n_samples
    assert pos is not None, "no samples received"
    session.end = pos
    return checks
