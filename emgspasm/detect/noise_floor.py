"""Per-channel noise floor that adapts to the recording and is robust to the activity it gates.

Amplitudes differ 10x between people and electrodes (docs/signal.md), so every threshold is a
multiple
of this floor. Once per update period (1 s) each channel contributes the low quantile of its
short RMS; the floor is a low percentile (`history_quantile`) of the last `memory` seconds of
such contributions (minimum statistics, as in speech enhancement). One quiet second anywhere in
the memory keeps the floor at rest level, so a cramp cannot raise its own threshold unless it
lasts longer than the memory; and when the noise itself rises (electrode contact degrading, a
noisier recording appended) the floor follows within `memory` seconds instead of leaving the
channel "active" for ever, which a floor fed only by quiet seconds would do.
"""

from __future__ import annotations

import numpy as np


class NoiseFloor:
    """Streaming noise-floor estimate, updated on a fixed grid so any chunking agrees."""

    def __init__(self, n_channels: int, *, period: int, memory: int, quantile: float,
                 history_quantile: float) -> None:
        self.period = period
        self.quantile = quantile
        self.history_quantile = history_quantile
        self._values = np.zeros((0, n_channels))
        self._history = np.full((memory, n_channels), np.nan)
        self._write = np.zeros(n_channels, dtype=np.int64)
        self.floor = np.full(n_channels, np.nan)

    @property
    def ready(self) -> bool:
        return bool(np.all(np.isfinite(self.floor)))

    def observe(self, level: np.ndarray) -> np.ndarray:
        """Add hops (n, channels) of short RMS; return the floor in force at each of them.

        A hop is judged against the floor known *before* it (causal), and the floor changes
        only on the fixed `period` grid, so any split of the same hops gives the same floors.
        The per-period quantiles of all the periods a block completes are taken in one call;
        only the (cheap) history update runs once per period.
        """
        floors = np.empty(level.shape)
        fill = min(self.period - self._values.shape[0], level.shape[0])
        floors[:fill] = self.floor
        self._values = np.concatenate([self._values, level[:fill]])
        if self._values.shape[0] < self.period:
            return floors
        whole = (level.shape[0] - fill) // self.period
        rest = fill + whole * self.period
        periods = np.concatenate([self._values[None],
                                  level[fill:rest].reshape(whole, self.period, level.shape[1])])
        estimates = np.quantile(periods, self.quantile, axis=1)
        for p, estimate in enumerate(estimates):
            self._update(estimate)
            a = fill + p * self.period
            floors[a:min(a + self.period, level.shape[0])] = self.floor
        self._values = level[rest:].copy()
        return floors

    def _update(self, estimate: np.ndarray) -> None:
        take = np.flatnonzero(estimate > 0)  # an all-zero (flat) second says nothing
        rows = self._write[take] % self._history.shape[0]
        self._history[rows, take] = estimate[take]
        self._write[take] += 1
        self.floor = _column_nanquantile(self._history, self.history_quantile, self.floor)


def _column_nanquantile(history: np.ndarray, q: float, previous: np.ndarray) -> np.ndarray:
    """The q-quantile (linear interpolation) of each column's finite values.

    `np.nanquantile` does the same but loops over columns in Python (apply_along_axis), which
    cost a fifth of the whole analysis; sorting once puts the NaNs last in every column, so the
    interpolation is a gather. Columns without any value keep `previous`.
    """
    ordered = np.sort(history, axis=0)
    count = (~np.isnan(history)).sum(axis=0)  # NaN = no value yet; sort puts NaNs last
    position = q * np.maximum(count - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    cols = np.arange(history.shape[1])
    lo, hi = ordered[below, cols], ordered[above, cols]
    value = lo + (hi - lo) * (position - below)
    return np.where(count > 0, value, previous)
