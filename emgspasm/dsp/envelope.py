"""Amplitude envelopes of (already filtered) sEMG: causal moving RMS and the Teager-Kaiser operator.

Both follow the :mod:`scipy.signal` convention -- array first, ``fs`` keyword, ``axis`` is the
time axis -- and treat the signal as zero before its first sample, the same convention as the
zero initial state of :class:`emgspasm.dsp.StreamingFilter`.

Example
-------
>>> import numpy as np
>>> from emgspasm.dsp import rms_envelope
>>> t = np.arange(1000) / 1000.0
>>> env = rms_envelope(np.sin(2 * np.pi * 100 * t), fs=1000.0)   # 50 ms window
>>> round(float(env[-1]), 3)    # 1/sqrt(2) once the window is full
0.707
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["DEFAULT_RMS_WINDOW_S", "rms_envelope", "teager_kaiser"]

#: 50 ms trailing window: long enough to average over several motor-unit potentials (surface MUAPs
#: last 10-20 ms, docs/signal.md) so the envelope is smooth, short enough that a voluntary onset
#: still
#: shows within the 125 ms latency budget [Farrell & Weir 2007].
DEFAULT_RMS_WINDOW_S: float = 0.05


def rms_envelope(
    x: np.ndarray,
    *,
    fs: float,
    window_s: float = DEFAULT_RMS_WINDOW_S,
    axis: int = 0,
) -> np.ndarray:
    """Causal moving RMS over a trailing window of ``round(window_s * fs)`` samples (at least 1).

    ``y[n] = sqrt(mean(x[n-N+1 .. n] ** 2))``: each output uses only the current and past
    samples, so it can be decided the moment ``x[n]`` arrives.  Samples before the start count as
    zero (the envelope ramps up over the first window instead of over-weighting the first few
    samples), matching the filters' zero initial state.

    Implemented as an FIR box filter on ``x**2`` (:func:`scipy.signal.lfilter`) rather than a
    cumulative-sum difference: a running sum over hours of data accumulates rounding error and
    can go slightly negative, while a sum of non-negative products cannot.  Cost is
    O(n x window) in C, fine for the default 50 ms windows.
    """
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive finite number, got {fs!r}")
    if not window_s > 0:
        raise ValueError(f"window_s must be positive, got {window_s!r}")
    x = np.asarray(x, dtype=np.float64)
    n_win = max(1, round(window_s * fs))
    if x.shape[axis] == 0:
        return x.copy()
    taps = np.full(n_win, 1.0 / n_win)
    mean_square = signal.lfilter(taps, [1.0], x * x, axis=axis)
    return np.sqrt(mean_square)


def teager_kaiser(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Teager-Kaiser energy operator ``psi[n] = x[n]**2 - x[n-1] * x[n+1]`` [Kaiser 1990].

    TKEO responds to amplitude *and* instantaneous frequency, so it sharpens the onset of a
    motor-unit burst against background noise (used for EMG onset detection, Li, Zhou &
    Aruin 2007, Med Eng Phys 29:1040).  For ``A sin(w n)`` it is the constant ``A**2 sin(w)**2``.

    Lookahead: ``psi[n]`` needs ``x[n+1]``, so a streaming consumer can emit ``psi[n]`` one sample
    after ``x[n]`` arrives (one sample = 5 ms at 200 Hz, negligible against the latency budgets).

    Edges: the output has the input's length; outside the array the signal is taken as zero, so
    ``psi[0] = x[0]**2`` and ``psi[-1] = x[-1]**2`` (the same zero-extension convention as the
    filters and :func:`rms_envelope`).  Callers that need unbiased values should drop the two
    edge samples, as :func:`emgspasm.dsp.window_features` does for ``tkeo_mean``.
    """
    x = np.asarray(x, dtype=np.float64)
    x_t = np.moveaxis(x, axis, -1)
    psi = x_t * x_t
    if x_t.shape[-1] >= 3:
        psi[..., 1:-1] -= x_t[..., :-2] * x_t[..., 2:]
    return np.moveaxis(psi, -1, axis)
