"""Signal-quality features of the *unfiltered* signal: what the EMG band-pass hides.

Motion (energy below 20 Hz), mains bursts (removed by the notch), clipping and lead-off are all
invisible or distorted after filtering, yet they are exactly what the `artifact` label needs.
"""

from __future__ import annotations

import numpy as np

LOW_EDGE_HZ = 20.0
"""Energy below the sEMG band edge [De Luca 2010] is motion, baseline wander or ECG P/T waves."""

MAINS_HALF_WIDTH_HZ = 2.0
"""Half-width of each mains line counted; covers 49–51 / 59–61 Hz drift and window leakage."""


def quality_features(
    windows: np.ndarray, *, fs: float, mains_hz: tuple[float, ...] = (50.0, 60.0)
) -> dict[str, np.ndarray]:
    """Per-window quality features for windows shaped (n_windows, window_len, n_channels).

    - `lf_fraction`: share of (mean-removed) power below 20 Hz.
    - `mains_fraction`: share of power within ±2 Hz of the mains lines and their harmonics.
    - `flat_fraction`: share of successive samples that are exactly equal (lead-off, clipping).
    - `clip_fraction`: share of samples sitting at the window's extreme value (a rail).
    All outputs have shape (n_windows, n_channels).
    """
    w = np.asarray(windows, dtype=np.float64)
    centred = w - w.mean(axis=1, keepdims=True)
    n = w.shape[1]
    spec = np.abs(np.fft.rfft(centred * np.hanning(n)[None, :, None], axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    total = spec[:, 1:].sum(axis=1) + 1e-300
    low = spec[:, 1:][:, (freqs[1:] < LOW_EDGE_HZ)].sum(axis=1)
    lines = np.zeros_like(freqs, dtype=bool)
    for base in mains_hz:
        for f0 in np.arange(base, fs / 2.0, base):
            lines |= np.abs(freqs - f0) <= MAINS_HALF_WIDTH_HZ
    mains = spec[:, lines].sum(axis=1)
    diffs = np.diff(w, axis=1)
    flat = (diffs == 0).mean(axis=1)
    peak = np.abs(centred).max(axis=1, keepdims=True)
    at_rail = np.abs(np.abs(centred) - peak) <= 1e-9 * (peak + 1e-300)
    clip = at_rail.mean(axis=1)
    return {
        "lf_fraction": low / total,
        "mains_fraction": mains / total,
        "flat_fraction": flat,
        "clip_fraction": clip,
    }
