"""Latency from a sample's arrival on the host to the event that sample decided.

An event is decided at a stream time (`Event.decided_at_s`); the sample at that time arrived
with some block. Remembering when each recent block arrived (its stream span and arrival time)
turns every emitted event into one latency figure: emission time minus the arrival of the
deciding sample. Median and p99 go into the session summary. Memory is bounded (a deque of
recent blocks); an event decided by a sample older than that is measured from the oldest block
kept, which under-reports only latencies already far beyond anything interesting.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

from emgspasm.events import Event


class LatencyMeter:
    """Collects sample-arrival → event-emission latencies (seconds)."""

    def __init__(self, max_blocks: int = 4096) -> None:
        self._ends: deque[int] = deque(maxlen=max_blocks)
        self._arrivals: deque[float] = deque(maxlen=max_blocks)
        self.latencies: list[float] = []

    def block(self, end_index: int, arrival: float) -> None:
        """A block ending (exclusive) at stream index ``end_index`` arrived at ``arrival``."""
        self._ends.append(end_index)
        self._arrivals.append(arrival)

    def events(self, events: list[Event], fs: float, now: float) -> None:
        """Record the latency of each event emitted at ``now``."""
        if not self._ends:
            return
        ends = list(self._ends)
        for ev in events:
            decided = ev.decided_at_s if ev.decided_at_s is not None else ev.end_s
            index = round(decided * fs)
            i = min(bisect.bisect_right(ends, index - 1), len(ends) - 1)
            self.latencies.append(max(0.0, now - self._arrivals[i]))

    def percentile_ms(self, q: float) -> float | None:
        """The q-th percentile in milliseconds, None without events."""
        if not self.latencies:
            return None
        return float(np.percentile(self.latencies, q) * 1000.0)
