"""Reductions over many variable-length segments laid end to end in one array.

A block of the stream closes a dozen episodes of different lengths at once; summarising each in
its own numpy calls made the per-call overhead (not the arithmetic) the cost of classification.
Here the episodes' hops are concatenated and every statistic is one ufunc `reduceat` (or one
sort) over all of them. Each segment's result depends only on that segment's values -- `reduceat`
sums each segment on its own -- so an episode's features do not depend on which other episodes
closed in the same block (chunk invariance).
"""

from __future__ import annotations

import numpy as np


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])` without the loop."""
    starts = np.asarray(starts, dtype=np.intp)
    lengths = np.asarray(lengths, dtype=np.intp)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    heads = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.intp) - np.repeat(heads - starts, lengths)


class Segments:
    """Consecutive segments of a concatenated array, each at least one element long."""

    def __init__(self, lengths: np.ndarray) -> None:
        self.lengths = np.asarray(lengths, dtype=np.intp)
        if np.any(self.lengths < 1):
            raise ValueError("every segment needs at least one element")
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.ids = np.repeat(np.arange(self.lengths.size), self.lengths)
        self.local = np.arange(self.ids.size) - self.starts[self.ids]

    @property
    def count(self) -> int:
        return int(self.lengths.size)

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of each segment (along axis 0)."""
        if not self.count:
            return np.zeros((0, *np.shape(x)[1:]))
        return np.add.reduceat(np.asarray(x, dtype=np.float64), self.starts, axis=0)

    def mean(self, x: np.ndarray) -> np.ndarray:
        lengths = self.lengths.reshape(-1, *([1] * (np.ndim(x) - 1)))
        return self.sum(x) / lengths

    def max(self, x: np.ndarray) -> np.ndarray:
        """Largest value per segment; NaN if the segment holds one (as `ndarray.max`)."""
        return np.maximum.reduceat(x, self.starts) if self.count else np.zeros(0)

    def nanmax(self, x: np.ndarray) -> np.ndarray:
        """Largest value per segment ignoring NaN (as `np.nanmax`)."""
        return np.fmax.reduceat(x, self.starts) if self.count else np.zeros(0)

    def std(self, x: np.ndarray) -> np.ndarray:
        """Population standard deviation per segment (as `ndarray.std`)."""
        dev = x - self.mean(x)[self.ids]
        return np.sqrt(self.mean(dev * dev))

    def quantile(self, x: np.ndarray, q: float) -> np.ndarray:
        """`np.quantile(segment, q)` per segment (linear interpolation, the same arithmetic).

        One `np.partition` per segment: a loop over segments (a block closes a few dozen), and
        measured 5x faster than one `lexsort` of all of them, which sorts far more than the
        two order statistics each segment needs.
        """
        position = q * (self.lengths - 1)
        below = np.floor(position).astype(np.intp)
        above = np.minimum(below + 1, self.lengths - 1)
        lo, hi = np.zeros(self.count), np.zeros(self.count)
        for j, (a, n) in enumerate(zip(self.starts.tolist(), self.lengths.tolist(), strict=True)):
            part = np.partition(x[a:a + n], [below[j], above[j]])
            lo[j], hi[j] = part[below[j]], part[above[j]]
        t = position - below
        diff = hi - lo
        return np.where(t >= 0.5, hi - diff * (1.0 - t), lo + diff * t)

    def first_last(self, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index within its segment of the first and last True; -1 for both where none is."""
        if not self.count:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
        last = np.maximum.reduceat(np.where(flags, self.local, -1), self.starts)
        none = int(self.lengths.max())
        first = np.minimum.reduceat(np.where(flags, self.local, none), self.starts)
        return np.where(last >= 0, first, -1), last

    def sub(self, begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, Segments]:
        """Positions (in the concatenated array) of rows [begin, end) of each segment, with the
        `Segments` they form; `end > begin` for every segment."""
        return ranges(self.starts + begin, end - begin), Segments(end - begin)
