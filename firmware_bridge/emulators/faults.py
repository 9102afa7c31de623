"""Faults an emulated device can suffer, scheduled by device sample index.

Faults are keyed to the device's own sample counter, not to wall-clock time, so a test states
exactly which samples are affected ("drop the 3 frames from sample 500") whatever the machine's
load, and can check the host's gap report against it. Random faults (for `emgspasm emulate`)
draw from a seeded generator per wire unit, so they are reproducible too.

Kinds, as real links fail:
* drop — whole wire units (frames, lines) never sent (radio loss, device overflow);
* garbage — stray bytes before a unit (line noise, a glitching UART, a boot message);
* stall — output held for a while, then the backlog sent at once (USB hiccup, BLE congestion):
  nothing is lost, only late;
* unplug — the port disappears (the pty master closes, unread bytes are discarded); after the
  given time a new port appears under the same stable path; the device clock runs on, so the
  samples of the outage are gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class FaultPlan:
    """Deterministic faults by device sample index, plus seeded random ones per wire unit."""

    drops: Sequence[tuple[int, int]] = ()
    """``(sample_index, n_units)``: skip ``n_units`` wire units starting with the one that holds
    ``sample_index``."""
    garbage: Sequence[tuple[int, bytes]] = ()
    """``(sample_index, data)``: write ``data`` just before the unit holding ``sample_index``."""
    stalls: Sequence[tuple[int, float]] = ()
    """``(sample_index, seconds)``: hold output from that unit on for ``seconds``."""
    unplugs: Sequence[tuple[int, float]] = ()
    """``(sample_index, seconds)``: unplug before that unit; replug after ``seconds``."""
    drop_rate: float = 0.0
    garbage_rate: float = 0.0
    unplug_every_s: float | None = None
    """Unplug periodically, every this many seconds of streaming (for demos)."""
    unplug_for_s: float = 1.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class UnitFaults:
    """What happens to one wire unit."""

    drop: bool = False
    garbage: bytes = b""
    stall_s: float = 0.0
    unplug_s: float | None = None


_NONE = UnitFaults()


class FaultSchedule:
    """Walks a `FaultPlan` along the device's units, each fault firing once."""

    def __init__(self, plan: FaultPlan | None, fs: float) -> None:
        self.plan = plan or FaultPlan()
        self._drops: list[tuple[int, int]] = sorted(self.plan.drops)
        self._garbage: list[tuple[int, bytes]] = sorted(self.plan.garbage, key=lambda g: g[0])
        self._stalls: list[tuple[int, float]] = sorted(self.plan.stalls)
        self._unplugs: list[tuple[int, float]] = sorted(self.plan.unplugs)
        self._rng = np.random.default_rng(self.plan.seed)
        self._dropping = 0
        every = self.plan.unplug_every_s
        self._unplug_period = max(1, round(every * fs)) if every else None
        self._next_periodic = self._unplug_period

    def for_unit(self, start: int, n_samples: int) -> UnitFaults:
        """Faults for the unit holding samples ``start … start+n_samples-1``."""
        end = start + n_samples
        unplug = self._pop_first(self._unplugs, end)
        if unplug is None and self._next_periodic is not None and start >= self._next_periodic:
            unplug = self.plan.unplug_for_s
            self._next_periodic = start + (self._unplug_period or 0)
        stall = self._pop_first(self._stalls, end)
        garbage = b"".join(g for _, g in self._pop_all(self._garbage, end))
        for _, n_units in self._pop_all(self._drops, end):
            self._dropping += n_units
        drop = False
        if self._dropping:
            self._dropping -= 1
            drop = True
        elif self.plan.drop_rate and self._rng.random() < self.plan.drop_rate:
            drop = True
        if self.plan.garbage_rate and self._rng.random() < self.plan.garbage_rate:
            garbage += self._rng.bytes(int(self._rng.integers(1, 17)))
        if unplug is None and not stall and not garbage and not drop:
            return _NONE
        return UnitFaults(drop=drop, garbage=garbage, stall_s=stall or 0.0, unplug_s=unplug)

    @staticmethod
    def _pop_first(events: list[tuple[int, float]], end: int) -> float | None:
        if events and events[0][0] < end:
            return events.pop(0)[1]
        return None

    @staticmethod
    def _pop_all(events: list[tuple[int, T]], end: int) -> list[tuple[int, T]]:
        out = []
        while events and events[0][0] < end:
            out.append(events.pop(0))
        return out
