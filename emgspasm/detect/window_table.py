"""Feature windows whose features are computed only where an episode reads them.

Window features (spectra, moments, quality and cross-channel measures of 0.2 s windows) are
only ever read over the span of an episode, on its channel and its partner's
(`episode_features`, `at_rail`); on a recording at rest most windows of most channels are never
read. This table holds each window's samples until its features are known to be needed or
known not to be, and computes them then, per (window, channel) pair: every feature is computed
row by row, so a pair's values are the same bits as when every channel of every window was
computed as it arrived (tested). Of a 1-hour 8-channel recording with two bursts per channel
per minute (the throughput benchmark's), a quarter of the pairs are computed.

A pair is *needed* while its channel or that channel's partner has an episode open, and is
computed then (at the end of the block, or when read, for an episode that opened and closed
within one block). It is *dropped* (never computed) once its window ends before
``settle``'s `before_hop` while neither channel has an episode open: an episode opens at an
active hop of the block being processed and reads windows ending at or after its start, so
none can read it any more. Reading a dropped pair is a bug, and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from emgspasm.detect.table import RowTable

PENDING, DONE, DROPPED = 0, 1, 2
"""States of a (window, channel) pair's values."""

PairFeatures = Callable[[dict[str, np.ndarray], np.ndarray, np.ndarray], dict[str, np.ndarray]]
"""(rows (windows, channels, samples) per signal, window index, channel) -> feature -> (pairs,)."""


class WindowTable(RowTable):
    """Rows of feature windows: "hop" (the hop each ends at), "values" (windows, features,
    channels) and "state" (windows, channels), values filled in on demand from the window
    samples held beside them (see the module docstring)."""

    def __init__(self, compute: PairFeatures, names: Sequence[str], n_channels: int) -> None:
        super().__init__()
        self._compute = compute
        self._names = tuple(names)
        self._n_channels = n_channels
        # Window samples as added, one entry per block: (first absolute row, samples); kept
        # while a row in it is pending (held as the caller's arrays: no copy).
        self._samples: list[tuple[int, dict[str, np.ndarray]]] = []
        self.computed = 0  # pairs computed so far
        self.added = 0  # pairs added so far

    def add(self, hop: np.ndarray, samples: dict[str, np.ndarray]) -> None:
        """Append windows ending at hops `hop`, with their samples (windows, channels, L)."""
        n = hop.shape[0]
        if n == 0:
            return
        self.append(hop=hop, values=np.full((n, len(self._names), self._n_channels), np.nan),
                    state=np.zeros((n, self._n_channels), dtype=np.int8))
        self._samples.append((self.stop - n, samples))
        self.added += n * self._n_channels

    def ensure(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """Compute the values of (rows[i], cols[i]) not computed yet."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        if rows.size == 0:
            return
        state = self.take("state", rows, cols)
        if np.any(state == DROPPED):
            raise RuntimeError("window features read after they were dropped as unneeded")
        todo = state == PENDING
        if todo.any():
            key = np.unique(rows[todo] * self._n_channels + cols[todo])  # each pair once
            self._fill(key // self._n_channels, key % self._n_channels)

    def settle(self, needed: np.ndarray, before_hop: int) -> None:
        """Compute every pending pair of the channels `needed` (bool per channel), drop the
        other channels' pending pairs whose windows end before `before_hop`, and forget the
        samples no pending pair needs."""
        lo = max(self._samples[0][0], self.start) if self._samples else self.stop
        if lo >= self.stop:
            self._forget_before(self.stop)
            return
        state = self.get("state", lo, self.stop)
        pending = state == PENDING
        if not pending.any():
            self._forget_before(self.stop)
            return
        now = pending & needed[None, :]
        if now.any():
            r, c = np.nonzero(now)
            self._fill(lo + r, c)
        old = self.get("hop", lo, self.stop) < before_hop
        drop = pending & ~needed[None, :] & old[:, None]
        if drop.any():
            r, c = np.nonzero(drop)
            self._buf["state"][self._off + (lo - self.start) + r, c] = DROPPED
        left = np.flatnonzero((pending & ~now & ~drop).any(axis=1))
        self._forget_before(lo + int(left[0]) if left.size else self.stop)

    def trim_before(self, index: int) -> None:
        super().trim_before(index)
        self._forget_before(index)

    def _forget_before(self, index: int) -> None:
        """Let go of the samples of blocks whose rows all lie before `index`."""
        while self._samples and self._samples[0][0] + _length(self._samples[0][1]) <= index:
            self._samples.pop(0)

    def _gather(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Samples of absolute rows `rows` (ascending, all held), per signal."""
        parts: list[dict[str, np.ndarray]] = []
        for first, samples in self._samples:
            a, b = np.searchsorted(rows, [first, first + _length(samples)])
            if b > a:
                parts.append({k: v[rows[a:b] - first] for k, v in samples.items()})
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _fill(self, rows: np.ndarray, cols: np.ndarray) -> None:
        used, inverse = np.unique(rows, return_inverse=True)
        samples = self._gather(used)
        values = self._compute(samples, inverse.reshape(-1), cols)
        local = self._off + rows - self.start
        self._buf["values"][local, :, cols] = np.stack([values[k] for k in self._names],
                                                        axis=1)
        self._buf["state"][local, cols] = DONE
        self.computed += rows.shape[0]


def _length(samples: dict[str, np.ndarray]) -> int:
    return next(iter(samples.values())).shape[0]
