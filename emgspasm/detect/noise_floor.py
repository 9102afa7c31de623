"""Per-channel noise floor that adapts to the recording and ignores the activity it gates.

Amplitudes differ 10x between people and electrodes (SPEC.md), so every threshold is a multiple
of this floor. Once per update period (1 s) each channel contributes the low quantile of its
short RMS, but only if that second was mostly quiet; the floor is the median of the last
`memory` quiet contributions. A cramp lasting minutes therefore cannot raise its own threshold
and end itself, while a change of electrode contact is followed within a minute.
"""

from __future__ import annotations

import numpy as np


class NoiseFloor:
    """Streaming noise-floor estimate, updated on a fixed grid so any chunking agrees."""

    def __init__(self, n_channels: int, *, period: int, memory: int, quantile: float,
                 quiet_fraction: float) -> None:
        self.period = period
        self.quantile = quantile
        self.quiet_fraction = quiet_fraction
        self._values = np.zeros((0, n_channels))
        self._active = np.zeros((0, n_channels), dtype=bool)
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

    def observe(self, level: np.ndarray, active: np.ndarray) -> None:
        """Add hops (n ≤ hops_to_update, channels) of short RMS and their activity flags."""
        if level.shape[0] > self.hops_to_update:
            raise ValueError("observe() must not cross an update boundary")
        self._values = np.concatenate([self._values, level])
        self._active = np.concatenate([self._active, active])
        if self._values.shape[0] == self.period:
            self._update()

    def _update(self) -> None:
        estimate = np.quantile(self._values, self.quantile, axis=0)
        quiet = self._active.mean(axis=0) < self.quiet_fraction
        # The very first estimate is taken whatever the activity: something must gate.
        take = quiet | ~np.isfinite(self.floor)
        take &= estimate > 0  # an all-zero (flat) second says nothing about the noise
        for ch in np.flatnonzero(take):
            self._history[self._write[ch] % self._history.shape[0], ch] = estimate[ch]
            self._write[ch] += 1
        have = np.isfinite(self._history).any(axis=0)
        if have.any():
            self.floor[have] = np.nanmedian(self._history[:, have], axis=0)
        self._values = self._values[:0]
        self._active = self._active[:0]
