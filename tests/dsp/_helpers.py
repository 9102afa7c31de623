"""Shared helpers for the DSP tests."""

from __future__ import annotations

import numpy as np

RATES_HZ = (200.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)


def sine(
    freq_hz: float, fs: float, n: int, amplitude: float = 1.0, phase: float = 0.3
) -> np.ndarray:
    """A sampled sine, 1-D."""
    return amplitude * np.sin(2 * np.pi * freq_hz * np.arange(n) / fs + phase)


def split_points(n: int, sizes: list[int]) -> list[int]:
    """Cumulative cut points for consecutive chunk sizes, clipped to ``n``."""
    cuts = np.cumsum(sizes)
    return [int(c) for c in cuts if c < n]
