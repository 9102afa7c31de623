"""A growable table of rows indexed by absolute position, trimmed from the front.

The detector keeps per-hop and per-feature-window rows for as long as an episode that may
need them is open, then forgets them: memory follows the longest open episode, not the
recording length.
"""

from __future__ import annotations

import numpy as np

MIN_CAPACITY_ROWS = 256
"""Rows a column's buffer starts with; it doubles when full."""


class RowTable:
    """Columns of equal length addressed by absolute row index (row 0 = first ever appended).

    Rows live in buffers with spare room at the end, so an append writes only its new rows
    (amortised O(new rows)) instead of copying the whole table: the table holds every hop of
    the longest open episode, so a copy per append made a live push cost grow with the age of
    a contraction in progress. A row is never overwritten once written: a view `get` returned
    keeps its values (buffers are replaced, not written over, when they grow or compact).
    """

    def __init__(self) -> None:
        self.start = 0
        self._buf: dict[str, np.ndarray] = {}
        self._off = 0  # buffer row holding absolute row `start`
        self._len = 0

    @property
    def stop(self) -> int:
        return self.start + self._len

    @property
    def _cols(self) -> dict[str, np.ndarray]:
        """The held rows of every column (views)."""
        return {k: v[self._off:self._off + self._len] for k, v in self._buf.items()}

    def append(self, **cols: np.ndarray) -> None:
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1:
            raise ValueError("all columns must have the same number of rows")
        n = lengths.pop()
        if n == 0:
            return
        if not self._buf:
            self._buf = {k: np.asarray(v).copy() for k, v in cols.items()}
            self._off, self._len = 0, n
            return
        end = self._off + self._len
        first = next(iter(self._buf.values()))
        if end + n > first.shape[0] or any(
                np.result_type(self._buf[k], np.asarray(cols[k])) != self._buf[k].dtype
                for k in self._buf):
            # Grow (or compact: drop the trimmed head) into fresh buffers, twice what is held.
            capacity = max(MIN_CAPACITY_ROWS, 2 * (self._len + n))
            fresh = {}
            for k, v in self._buf.items():
                new = np.asarray(cols[k])
                dtype = np.result_type(v, new)
                buf = np.empty((capacity, *v.shape[1:]), dtype=dtype)
                buf[:self._len] = v[self._off:end]
                fresh[k] = buf
            self._buf, self._off, end = fresh, 0, self._len
        for k, v in self._buf.items():
            v[end:end + n] = cols[k]
        self._len += n

    def trim_before(self, index: int) -> None:
        """Forget rows with absolute index < index."""
        drop = min(max(0, index - self.start), self._len)
        if drop:
            self._off += drop
            self.start += drop
            self._len -= drop

    def get(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of a column, clipped to what is held."""
        a = max(start, self.start) - self.start
        b = max(min(stop, self.stop) - self.start, a)
        return self._buf[name][self._off + a:self._off + b] if self._buf else \
            self._cols[name][a:b]

    def ensure(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """Make the values at (rows[i], column cols[i]) available before they are read: all
        are here; a table that computes its values on demand (`WindowTable`) computes them."""

    def take(self, name: str, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """Rows at absolute indices `rows` (all held) of a column; with `cols`, one element
        per row (`column[rows[i], cols[i]]`, each `cols[i]` in [0, n_columns)).

        Negative column indices are refused rather than counted from the end: -1 is how
        callers spell "no such channel" (an episode without a partner), and numpy would
        silently read the last channel for it.
        """
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size and (rows.min() < self.start or rows.max() >= self.stop):
            raise IndexError(f"rows outside the held range [{self.start}, {self.stop})")
        local = rows - self.start
        column = self._buf[name][self._off:self._off + self._len]
        if cols is None:
            return column[local]
        cols = np.asarray(cols, dtype=np.intp)
        if cols.size and (cols.min() < 0 or cols.max() >= column.shape[1]):
            raise IndexError(f"column indices of {name!r} outside [0, {column.shape[1]}): "
                             f"{cols.min()}..{cols.max()}")
        return column[local, cols]
