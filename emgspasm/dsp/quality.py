"""Signal-quality features of the *unfiltered* signal: what the EMG band-pass hides.

Motion (energy below 20 Hz), mains bursts (removed by the notch), clipping and lead-off are all
invisible or distorted after filtering, yet they are exactly what the `artifact` label needs.
Like the rest of `emgspasm.dsp`, every reduction runs along a contiguous last axis so a window's
values do not depend on the batch it was computed in.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

import numpy as np

from emgspasm.dsp.moments import Deviations
from emgspasm.dsp.spectrum import band_power, bins_in, centred_periodogram, power_share

LOW_EDGE_HZ = 20.0
"""Energy below the sEMG band edge [De Luca 2010] is motion, baseline wander or ECG P/T waves."""

MAINS_HALF_WIDTH_HZ = 2.0
"""Half-width of each mains line counted; covers 49–51 / 59–61 Hz drift and window leakage."""

QUALITY_NAMES = ("lf_fraction", "mains_fraction", "flat_fraction", "clip_fraction")


def mains_bands(fs: float, mains_hz: tuple[float, ...],
                half_width_hz: float = MAINS_HALF_WIDTH_HZ) -> dict[str, tuple[float, float]]:
    """Non-overlapping bands covering ±half-width around every mains line below Nyquist.

    Overlapping bands (50 and 60 Hz families with a wide half-width) are merged so no bin is
    counted twice.
    """
    lines = sorted({float(f0) for base in mains_hz for f0 in np.arange(base, fs / 2.0, base)})
    merged: list[list[float]] = []
    for f0 in lines:
        lo, hi = f0 - half_width_hz, f0 + half_width_hz
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    return {f"mains_{lo:g}_{hi:g}": (lo, hi) for lo, hi in merged}


@lru_cache(maxsize=16)
def _band_masks(fs: float, n: int, mains_hz: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bins of an `n`-sample window's spectrum below the EMG band (above DC) and on the mains
    comb: the same for every window of a stream, so made once."""
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    lowest = freqs[1] if freqs.size > 1 else 0.0
    # Hann leakage spreads a line over ±1.5 bins: widen the bands to at least that.
    half_width = max(MAINS_HALF_WIDTH_HZ, 1.5 * fs / n)
    low = bins_in(freqs, [(lowest, LOW_EDGE_HZ)])
    mains = bins_in(freqs, list(mains_bands(fs, mains_hz, half_width).values()))
    for mask in (low, mains):
        mask.setflags(write=False)
    return low, mains


def quality_features(
    windows: np.ndarray, *, fs: float, mains_hz: tuple[float, ...] = (50.0, 60.0),
    names: Collection[str] = QUALITY_NAMES,
) -> dict[str, np.ndarray]:
    """Per-window quality features for windows shaped (n_windows, window_len, n_channels).

    - `lf_fraction`: share of (mean-removed) power in 0 < f < 20 Hz.
    - `mains_fraction`: share of power within ±2 Hz of the mains lines and their harmonics
      (widened to ±1.5 frequency bins for short windows).
    - `flat_fraction`: share of successive samples that are exactly equal (lead-off, a rail).
    - `clip_fraction`: share of samples sitting at the window's extreme |value| (a rail).
    Only `names` are computed (a streaming caller pays for what it uses); all outputs have
    shape (n_windows, n_channels).
    """
    unknown = set(names) - set(QUALITY_NAMES)
    if unknown:
        raise ValueError(f"unknown quality feature(s) {sorted(unknown)}")
    rows = np.ascontiguousarray(np.asarray(windows, dtype=np.float64).transpose(0, 2, 1))
    n = rows.shape[-1]
    out: dict[str, np.ndarray] = {}
    deviations = Deviations(rows) if {"lf_fraction", "mains_fraction", "clip_fraction"} & \
        set(names) else None
    if {"lf_fraction", "mains_fraction"} & set(names):
        _, power = centred_periodogram(deviations.dev, fs=fs)
        low, mains = _band_masks(fs, n, tuple(mains_hz))
        total = power.sum(axis=-1)
        out["lf_fraction"] = power_share(band_power(power, low), total)
        out["mains_fraction"] = power_share(band_power(power, mains), total)
    if "flat_fraction" in names:
        out["flat_fraction"] = (rows[..., 1:] == rows[..., :-1]).sum(axis=-1) / max(n - 1, 1)
    if "clip_fraction" in names:
        centred = np.abs(deviations.dev)
        peak = centred.max(axis=-1, keepdims=True)
        out["clip_fraction"] = (centred >= peak * (1.0 - 1e-9)).sum(axis=-1) / n
    return {k: out[k] for k in QUALITY_NAMES if k in names}
