"""When each buffered byte arrived: the host time of the chunk that delivered it.

A packet's host time must be the receive time of its *last byte*, not the time of the `feed`
call that happened to release it. The two differ whenever a decoder waits for look-ahead
(Cyton waits for the next header, BITalino for the next frame, EMGF may sit behind a false
sync until `flush`), and using the later time would shrink the elapsed time between packets,
so a gap bound could miss a counter wrap. Stored as chunk boundaries, not per byte.
"""

from __future__ import annotations

import bisect


class ArrivalTimes:
    """Host times of the bytes currently buffered, addressed by offset in the buffer."""

    def __init__(self) -> None:
        self._ends: list[int] = []  # absolute end offset (exclusive) of each chunk still held
        self._times: list[float | None] = []
        self._consumed = 0  # absolute offset of buffer position 0
        self._total = 0

    def append(self, n_bytes: int, host_time: float | None) -> None:
        """Record a chunk of ``n_bytes`` received at ``host_time`` (None: unknown)."""
        if n_bytes <= 0:
            return
        self._total += n_bytes
        self._ends.append(self._total)
        self._times.append(host_time)

    def time_at(self, offset: int) -> float | None:
        """Host time of the byte at buffer ``offset``."""
        i = bisect.bisect_right(self._ends, self._consumed + offset)
        if i >= len(self._times):
            return self._times[-1] if self._times else None
        return self._times[i]

    def consume(self, n_bytes: int) -> None:
        """The buffer dropped its first ``n_bytes``."""
        self._consumed += n_bytes
        drop = bisect.bisect_right(self._ends, self._consumed)
        del self._ends[:drop]
        del self._times[:drop]
