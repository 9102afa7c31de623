"""A growable table of rows indexed by absolute position, trimmed from the front.

The detector keeps per-hop and per-feature-window rows for as long as an episode that may
need them is open, then forgets them: memory follows the longest open episode, not the
recording length.
"""

from __future__ import annotations

import numpy as np


class RowTable:
    """Columns of equal length addressed by absolute row index (row 0 = first ever appended)."""

    def __init__(self) -> None:
        self.start = 0
        self._cols: dict[str, np.ndarray] = {}
        self._len = 0

    @property
    def stop(self) -> int:
        return self.start + self._len

    def append(self, **cols: np.ndarray) -> None:
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1:
            raise ValueError("all columns must have the same number of rows")
        n = lengths.pop()
        if n == 0:
            return
        if not self._cols:
            self._cols = {k: np.asarray(v).copy() for k, v in cols.items()}
        else:
            self._cols = {k: np.concatenate([self._cols[k], cols[k]]) for k in self._cols}
        self._len += n

    def trim_before(self, index: int) -> None:
        """Forget rows with absolute index < index."""
        drop = min(max(0, index - self.start), self._len)
        if drop:
            self._cols = {k: v[drop:] for k, v in self._cols.items()}
            self.start += drop
            self._len -= drop

    def get(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of a column, clipped to what is held."""
        a = max(start, self.start) - self.start
        b = max(min(stop, self.stop) - self.start, a)
        return self._cols[name][a:b]

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
        column = self._cols[name]
        if cols is None:
            return column[local]
        cols = np.asarray(cols, dtype=np.intp)
        if cols.size and (cols.min() < 0 or cols.max() >= column.shape[1]):
            raise IndexError(f"column indices of {name!r} outside [0, {column.shape[1]}): "
                             f"{cols.min()}..{cols.max()}")
        return column[local, cols]
