"""Per-channel noise floor that adapts to the recording and is robust to the activity it gates.

Amplitudes differ 10x between people and electrodes (SPEC.md), so every threshold is a multiple
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

    @property
    def hops_to_update(self) -> int:
        """Hops still needed before the floor changes (the caller splits blocks there)."""
        return self.period - self._values.shape[0]

    def observe(self, level: np.ndarray) -> None:
        """Add hops (n ≤ hops_to_update, channels) of short RMS."""
        if level.shape[0] > self.hops_to_update:
            raise ValueError("observe() must not cross an update boundary")
        self._values = np.concatenate([self._values, level])
        if self._values.shape[0] == self.period:
            self._update()

    def _update(self) -> None:
        estimate = np.quantile(self._values, self.quantile, axis=0)
        take = estimate > 0  # an all-zero (flat) second says nothing about the noise
        for ch in np.flatnonzero(take):
            self._history[self._write[ch] % self._history.shape[0], ch] = estimate[ch]
            self._write[ch] += 1
        have = np.isfinite(self._history).any(axis=0)
        if have.any():
            self.floor[have] = np.nanquantile(self._history[:, have], self.history_quantile,
                                              axis=0)
        self._values = self._values[:0]
