"""Deviations of each row from its mean, and the central moments built from them.

Several window features start from the same deviations (moments, the periodogram, clipping,
correlations); this holds them once per batch and makes each moment on first use, so a caller
asking for a few features pays neither twice nor for the rest. Every reduction runs along the
contiguous last axis, as everywhere in :mod:`emgspasm.dsp`, so a row's values do not depend on
the other rows in the batch.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

FLAT_RELATIVE_STD: float = 1e-12
"""A row whose standard deviation is below this fraction of its |mean| is flat: a constant
row's deviations from its rounded mean are pure rounding noise (~1e-16 relative), and dividing
by them would report meaningless skewness, kurtosis or correlation."""


class Deviations:
    """Rows (C-contiguous, last axis = samples) minus their means."""

    def __init__(self, rows: np.ndarray) -> None:
        self.n = rows.shape[-1]
        self.mean = rows.sum(axis=-1) / self.n
        self.dev = rows - self.mean[..., None]

    @cached_property
    def _dev2(self) -> np.ndarray:
        return self.dev * self.dev

    @cached_property
    def sum_sq(self) -> np.ndarray:
        """Sum of squared deviations per row."""
        return self._dev2.sum(axis=-1)

    @property
    def m2(self) -> np.ndarray:
        """Population variance (second central moment)."""
        return self.sum_sq / self.n

    @cached_property
    def m3(self) -> np.ndarray:
        return (self._dev2 * self.dev).sum(axis=-1) / self.n

    @cached_property
    def m4(self) -> np.ndarray:
        return (self._dev2 * self._dev2).sum(axis=-1) / self.n

    @cached_property
    def flat(self) -> np.ndarray:
        """Rows constant up to rounding (see `FLAT_RELATIVE_STD`)."""
        return self.m2 <= (FLAT_RELATIVE_STD * self.mean) ** 2
