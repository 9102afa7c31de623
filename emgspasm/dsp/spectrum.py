"""Per-window power spectra and the EMG spectral summaries: mean/median frequency, band powers.

Every function reduces along the *last* axis of a C-contiguous array and treats the leading axes
as independent rows.  That is deliberate: numpy's sums, cumulative sums and ``rfft`` then compute
each row the same way however many rows are in the batch, so a window's features do not depend on
which other windows were computed alongside it (chunk invariance, docs/architecture.md).

>>> import numpy as np
>>> from emgspasm.dsp.spectrum import median_frequency, window_periodogram
>>> t = np.arange(500) / 1000.0
>>> f, p = window_periodogram(np.sin(2 * np.pi * 100.0 * t)[None], fs=1000.0)
>>> round(float(median_frequency(f, p, fs=1000.0)[0]), 1)
100.0
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from scipy.signal import windows as sig_windows

__all__ = [
    "band_fractions",
    "band_power",
    "bins_in",
    "centred_periodogram",
    "mean_frequency",
    "median_frequency",
    "power_share",
    "window_periodogram",
]


def window_periodogram(rows: np.ndarray, *, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided Hann-windowed periodogram of each row (last axis = time).

    Each row has its mean removed first (scipy's ``detrend='constant'``) so a residual electrode
    offset does not pile power into the DC bin and drag mean/median frequency towards 0.  A
    periodic Hann window (``sym=False``, the spectral-analysis convention) trades a little
    resolution for far less leakage than a rectangular window, which matters with windows of only
    a few hundred samples.  Scaling is a power spectral density (units**2 / Hz), as
    :func:`scipy.signal.periodogram` with ``scaling='density'``; the EMG summaries below only use
    ratios, so the scale cancels.

    Returns ``(freqs, power)`` with ``freqs`` of shape ``(n_bins,)`` and ``power`` of shape
    ``rows.shape[:-1] + (n_bins,)``, ``n_bins = n // 2 + 1``.
    """
    rows = np.ascontiguousarray(rows, dtype=np.float64)
    return centred_periodogram(rows - (rows.sum(axis=-1, keepdims=True) / rows.shape[-1]),
                               fs=fs)


def centred_periodogram(centred: np.ndarray, *, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`window_periodogram` of rows whose mean is already removed (C-contiguous, last
    axis = time): a caller that has the deviations for its moments need not make them twice."""
    n = centred.shape[-1]
    taper = _periodic_hann(n)
    spec = np.fft.rfft(centred * taper, axis=-1)
    power = spec.real * spec.real + spec.imag * spec.imag
    power *= 1.0 / (fs * float((taper * taper).sum()))
    # One-sided: fold the negative frequencies onto the positive ones (not DC, not Nyquist).
    stop = power.shape[-1] if n % 2 else power.shape[-1] - 1
    power[..., 1:stop] *= 2.0
    return np.fft.rfftfreq(n, d=1.0 / fs), power


@lru_cache(maxsize=16)
def _periodic_hann(n: int) -> np.ndarray:
    """The taper for `n`-sample windows, made once (a stream asks for the same length
    thousands of times); read-only so no caller can alter the shared copy."""
    taper = sig_windows.hann(n, sym=False)
    taper.setflags(write=False)
    return taper


def mean_frequency(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Power-weighted mean frequency ``sum(f P) / sum(P)`` [Phinyomark et al. 2012, MNF].

    Rows with no power (an all-zero window) give 0 rather than NaN.
    """
    total = power.sum(axis=-1)
    weighted = (power * freqs).sum(axis=-1)
    return np.divide(weighted, total, out=np.zeros_like(total), where=total > 0)


def median_frequency(freqs: np.ndarray, power: np.ndarray, *, fs: float) -> np.ndarray:
    """Frequency below which half of the power lies [Phinyomark et al. 2012, MDF].

    Each bin's power is taken as spread evenly over the bin's width (``fs / n`` around its
    centre, clipped to ``[0, fs/2]``) and the half-power point is interpolated inside the bin
    where the cumulative power crosses one half.  Without that, the estimate would snap to bin
    centres -- 5 Hz steps for a 200-sample window at 1 kHz -- and a symmetric peak (a sine through
    the Hann window) would land half a bin off.  Rows with no power give 0.
    """
    nyq = fs / 2.0
    n_bins = freqs.shape[-1]
    if n_bins > 1:
        half_width = (freqs[1] - freqs[0]) / 2.0
    else:
        half_width = nyq
    lo = np.clip(freqs - half_width, 0.0, nyq)
    hi = np.clip(freqs + half_width, 0.0, nyq)
    cum = np.cumsum(power, axis=-1)
    half = 0.5 * cum[..., -1:]
    # First bin reaching half the power: `cum` never decreases (power >= 0), so that is the
    # number of bins still below half -- a count, cheaper than argmax over a mask.
    k = np.count_nonzero(cum < half, axis=-1)
    flat_cum, flat_power = cum.reshape(-1, n_bins), power.reshape(-1, n_bins)
    row = np.arange(flat_cum.shape[0])
    k_flat = k.reshape(-1)
    before = np.where(k_flat > 0, flat_cum[row, np.maximum(k_flat - 1, 0)], 0.0)
    p_k = flat_power[row, k_flat]
    frac = np.divide(half.reshape(-1) - before, p_k, out=np.zeros_like(p_k), where=p_k > 0)
    med = lo[k_flat] + np.clip(frac, 0.0, 1.0) * (hi[k_flat] - lo[k_flat])
    return med.reshape(k.shape)


def band_fractions(
    freqs: np.ndarray,
    power: np.ndarray,
    bands: Mapping[str, tuple[float, float]],
) -> dict[str, np.ndarray]:
    """Share of each row's total power in each named band ``[low, high)`` Hz.

    Bins are assigned by their centre frequency.  A band reaching past Nyquist simply stops
    there, and a band lying wholly above Nyquist has no bins and reports 0 -- there is no
    spectrum to measure, and keeping the key gives every sampling rate the same feature layout.
    Rows with no power report 0 in every band.
    """
    total = power.sum(axis=-1)
    return {k: power_share(band_power(power, bins_in(freqs, [edges])), total)
            for k, edges in bands.items()}


def bins_in(freqs: np.ndarray, edges_hz: list[tuple[float, float]]) -> np.ndarray:
    """Boolean mask of the bins (by centre frequency, ascending ``freqs``) lying in any of the
    ``[low, high)`` bands."""
    edges = np.searchsorted(freqs, np.asarray(edges_hz, dtype=np.float64).reshape(-1, 2),
                            side="left")
    mask = np.zeros(freqs.shape, dtype=bool)
    for lo, hi in edges:
        mask[lo:hi] = True
    return mask


def band_power(power: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Power of each row (last axis = bins) in the bins `mask` selects.

    One multiply and one contiguous sum however many bands the mask joins (a mains comb has
    dozens), and each row is summed the same way whatever the batch: a boolean gather would
    copy, and differences of a cumulative sum cost a slow sequential pass and lose precision
    to cancellation.
    """
    return (power * mask).sum(axis=-1)


def power_share(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    """part / total, 0 where a row has no power."""
    return np.divide(part, total, out=np.zeros(np.broadcast(part, total).shape),
                     where=total > 0)
