"""Excitation (common drive) waveforms on the control grid, as fractions of MVC.

Why: docs/signal.md#the-simulator makes each class "a different excitation pattern … on such a
pool". These helpers
build the patterns: trapezoids (voluntary ramps), smooth tapers (cramp onset/offset), and a
low-pass random fluctuation of the common drive (force is never perfectly steady).
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def trapezoid(
    t: np.ndarray, start: float, ramp_up: float, hold: float, ramp_down: float, level: float
) -> np.ndarray:
    """Linear ramp up, hold, linear ramp down (Fuglevand's voluntary protocol), 0 outside."""
    rise = np.clip((t - start) / ramp_up, 0.0, 1.0)
    fall = np.clip((start + ramp_up + hold + ramp_down - t) / ramp_down, 0.0, 1.0)
    return level * np.minimum(rise, fall)


def cosine_step(x: np.ndarray) -> np.ndarray:
    """0 for x ≤ 0, 1 for x ≥ 1, a raised-cosine step in between (smooth onset/offset)."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def fluctuation(
    rng: np.random.Generator, n: int, ctrl_fs: float, sd: float, cutoff_hz: float
) -> np.ndarray:
    """Zero-mean low-pass Gaussian noise of standard deviation `sd` (common-drive wobble)."""
    pad = int(2.0 * ctrl_fs / cutoff_hz) + 1
    white = rng.standard_normal(n + pad)
    sos = signal.butter(2, cutoff_hz, fs=ctrl_fs, output="sos")
    y = signal.sosfilt(sos, white)[pad:]
    std = float(y.std())
    return y * (sd / std) if std > 0 else np.zeros(n)


def smooth(x: np.ndarray, ctrl_fs: float, tau_s: float) -> np.ndarray:
    """First-order low-pass (time constant `tau_s`): a smoothed copy of an excitation."""
    a = 1.0 - np.exp(-1.0 / (tau_s * ctrl_fs))
    return signal.lfilter([a], [1.0, a - 1.0], x)
