"""Per-window sEMG features, per channel and across channels, vectorised over windows x channels.

Input is the ``(n_windows, window_len, n_channels)`` layout of
:func:`emgspasm.dsp.sliding_windows`; every per-channel feature comes back as
``(n_windows, n_channels)`` float64.

Chunk invariance: the windows are first copied into a C-contiguous ``(n_windows, n_channels,
window_len)`` block and every reduction runs along that last, contiguous axis.  numpy then sums each
(window, channel) row with the same pairwise scheme regardless of how many rows the batch holds, so
``window_features(w[i:i+1])`` equals ``window_features(w)[i:i+1]`` bit for bit (tested).  Matrix
products (BLAS) are avoided for the same reason: their blocking depends on the batch shape.

References: Hudgins, Parker & Scott 1993 (IEEE TBME 40:82) for MAV, ZC, SSC, WL; Phinyomark,
Phukpattaranont & Limsakul 2012 (Expert Syst Appl 39:7420) for the definitions and names used here.

>>> import numpy as np
>>> from emgspasm.dsp import window_features
>>> w = np.array([1.0, -1.0, 1.0, -1.0])[None, :, None]
>>> f = window_features(w, fs=1000.0)
>>> [float(f[k][0, 0]) for k in ("zc", "wl", "mav", "rms", "kurtosis")]
[3.0, 6.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from emgspasm.dsp.envelope import teager_kaiser
from emgspasm.dsp.moments import FLAT_RELATIVE_STD, Deviations
from emgspasm.dsp.spectrum import (
    band_fractions,
    centred_periodogram,
    mean_frequency,
    median_frequency,
)

__all__ = [
    "BANDS_HZ",
    "CROSS_CHANNEL_NAMES",
    "DEFAULT_THRESHOLD_RMS_FRACTION",
    "ENVELOPE_SMOOTH_S",
    "FEATURE_NAMES",
    "MIN_WINDOW_LEN",
    "cross_channel_features",
    "window_features",
]

#: Default ZC/SSC/WAMP threshold as a fraction of each window's own RMS, used when the caller has
#: no noise-floor estimate.  Relative thresholds make these counts scale-free -- amplitudes differ
#: 10x between people and electrodes (docs/signal.md) -- so they describe waveform shape while
#: MAV/RMS
#: carry amplitude; 10 % ignores wiggles from quantisation and low-level noise riding on the
#: signal yet counts nearly every genuine crossing.  Prefer passing ``thresholds`` = k x the
#: recording's noise RMS (e.g. k = 3) once the noise floor is known.
DEFAULT_THRESHOLD_RMS_FRACTION: float = 0.1

#: Moving-average length for the rectified envelope behind ``env_cv``: 25 ms spans one to two
#: surface MUAPs (10-20 ms), so single potentials are smoothed into an envelope while a twitch
#: (tens of ms) still stands out from it.
ENVELOPE_SMOOTH_S: float = 0.025

#: Named frequency bands ``[low, high)`` in Hz for the band-power fractions.  ``bp_low`` is
#: movement artefact / residual ECG territory (below the 20 Hz EMG edge), ``bp_20_50`` the low
#: EMG band where fatigue and slow (type I) units shift power, ``bp_50_150`` where the median
#: frequency of a healthy contraction lies (~85-120 Hz, docs/signal.md), ``bp_150_plus`` the
#: fast-unit /
#: high-frequency tail.  Bands stop at Nyquist: at 200 Hz ``bp_50_150`` is 50-100 Hz and
#: ``bp_150_plus`` is 0 (there is no spectrum above 100 Hz); at 250 Hz the same holds.
BANDS_HZ: dict[str, tuple[float, float]] = {
    "bp_low": (0.0, 20.0),
    "bp_20_50": (20.0, 50.0),
    "bp_50_150": (50.0, 150.0),
    "bp_150_plus": (150.0, np.inf),
}

_AMPLITUDE_AND_SPECTRUM = ("mav", "rms", "wl", "zc", "ssc", "wamp", "var", "skewness",
                           "kurtosis", "mean_freq", "median_freq")
_ENVELOPE = ("env_cv", "tkeo_mean")

#: Keys of :func:`window_features`, in a stable order (for stacking into a model's input).
FEATURE_NAMES: tuple[str, ...] = (*_AMPLITUDE_AND_SPECTRUM, *BANDS_HZ, *_ENVELOPE)

#: Keys of :func:`cross_channel_features`.
CROSS_CHANNEL_NAMES: tuple[str, ...] = ("coactivation", "pair_corr", "localisation", "common_mode")

#: Shortest window accepted: SSC and the interior TKEO need three samples.
MIN_WINDOW_LEN: int = 3

def _rows(windows: np.ndarray) -> np.ndarray:
    """Validate ``(n_windows, window_len, n_channels)``; return a contiguous ``(W, C, L)`` copy."""
    w = np.asarray(windows)
    if w.ndim != 3:
        raise ValueError(
            f"windows must have shape (n_windows, window_len, n_channels), got {w.shape}"
        )
    if w.shape[1] < MIN_WINDOW_LEN:
        raise ValueError(f"window_len must be at least {MIN_WINDOW_LEN}, got {w.shape[1]}")
    return np.ascontiguousarray(np.moveaxis(w, 1, -1), dtype=np.float64)


def _check_fs(fs: float) -> float:
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"fs must be a positive finite number, got {fs!r}")
    return fs


def _thresholds(thresholds: np.ndarray | float | None, rms: np.ndarray) -> np.ndarray:
    """Per (window, channel) ZC/SSC/WAMP threshold, shape ``(W, C, 1)`` for broadcasting."""
    if thresholds is None:
        return (DEFAULT_THRESHOLD_RMS_FRACTION * rms)[..., None]
    thr = np.asarray(thresholds, dtype=np.float64)
    n_channels = rms.shape[-1]
    if thr.ndim == 0:
        thr = np.full(n_channels, float(thr))
    if thr.shape != (n_channels,):
        raise ValueError(f"thresholds must be a scalar or shape ({n_channels},), got {thr.shape}")
    if not np.all(np.isfinite(thr)) or np.any(thr < 0):
        raise ValueError("thresholds must be finite and non-negative")
    return np.broadcast_to(thr[:, None], (*rms.shape, 1))


def _ratio(num: np.ndarray, den: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=valid)


def window_features(
    windows: np.ndarray,
    *,
    fs: float,
    thresholds: np.ndarray | float | None = None,
    bands: Mapping[str, tuple[float, float]] = BANDS_HZ,
    names: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """Compute the per-channel feature set of each window.

    Parameters
    ----------
    windows : shape ``(n_windows, window_len, n_channels)``, ``window_len >= 3``, e.g. from
        :func:`emgspasm.dsp.sliding_windows` over a filtered signal.
    fs : sampling rate in Hz (for the spectral features and the envelope smoothing).
    thresholds : ZC/SSC/WAMP amplitude threshold in the signal's units, a scalar or one value per
        channel -- typically k x the recording's noise RMS (k ~ 3).  ``None`` uses
        ``DEFAULT_THRESHOLD_RMS_FRACTION`` x each window's own RMS.
    bands : named ``[low, high)`` bands in Hz for the band-power fractions (default ``BANDS_HZ``).
    names : only compute these features (default: all). A streaming caller that needs a few
        features per window should not pay for the rest.

    Returns
    -------
    dict mapping each name in ``FEATURE_NAMES`` (with the band names of ``bands``) to a float64
    array of shape ``(n_windows, n_channels)``.  ``x`` below is one window of one channel, ``N``
    its length, ``d[n] = x[n+1] - x[n]``, ``T`` the threshold:

    - ``mav`` mean absolute value ``mean|x|`` [Hudgins 1993].
    - ``rms`` root mean square ``sqrt(mean x**2)`` (about zero, not the window mean).
    - ``wl`` waveform length ``sum|d|`` -- a combined amplitude/frequency measure [Hudgins 1993].
    - ``zc`` zero crossings: ``x[n]``, ``x[n+1]`` on opposite sides of zero and ``|d[n]| >= T``
      [Hudgins 1993].  Exact 0 counts as positive, so a quantised signal stepping through 0
      (common with 8-bit Myo samples) is counted once instead of never.
    - ``ssc`` slope sign changes: ``x[n]`` a strict local extremum (``1 <= n <= N-2``) and
      ``|x[n]-x[n-1]| >= T`` or ``|x[n]-x[n+1]| >= T`` [Hudgins 1993].
    - ``wamp`` Willison amplitude: count of ``|d[n]| >= T`` with ``d[n] != 0``
      [Phinyomark 2012]; the ``!= 0`` keeps a silent window (``T = 0``) at 0.
    - ``var`` variance about the window mean, ``1/(N-1)`` normalisation as in Phinyomark 2012.
    - ``skewness`` ``m3 / m2**1.5`` and ``kurtosis`` ``m4 / m2**2`` (Pearson: normal = 3, a
      constant-amplitude square wave = 1), with population central moments ``m_k``.  A flat
      window (std <= 1e-12 |mean|, i.e. constant up to rounding) reports 0 for both instead of
      NaN, and 0 for ``var`` and every spectral feature.
    - ``mean_freq``, ``median_freq`` from the Hann periodogram of the mean-removed window
      (:mod:`emgspasm.dsp.spectrum`); the median is interpolated within its bin.  0 for a
      window with no power.
    - ``bp_*`` fraction of the window's total power in each band (sum ~ 1); bands above
      Nyquist are 0.
    - ``env_cv`` coefficient of variation (std / mean) of the rectified envelope smoothed by a
      ``ENVELOPE_SMOOTH_S`` moving average computed inside the window only: low for tonic,
      steady activity (rigidity, cramp plateau), high for brief bursts (twitches).  0 for a
      silent window or a constant envelope.
    - ``tkeo_mean`` mean Teager-Kaiser energy over the interior samples ``1..N-2`` (those with
      both neighbours inside the window, so the feature uses no sample outside it).

    Counts (``zc``, ``ssc``, ``wamp``) are returned as float64 so all features stack into one
    array.  No loops over windows or samples; a window's features are bit-identical whether it
    is computed alone or in any batch.
    """
    fs = _check_fs(fs)
    rows = _rows(windows)
    n = rows.shape[-1]
    want = set(FEATURE_NAMES if names is None else names)
    unknown = want - set(FEATURE_NAMES) - set(bands)
    if unknown:
        raise ValueError(f"unknown feature name(s) {sorted(unknown)}")
    out: dict[str, np.ndarray] = {}

    moments = Deviations(rows)
    flat = moments.flat
    if want & {"mav", "rms", "zc", "ssc", "wamp", "wl"}:
        rms = np.sqrt((rows * rows).sum(axis=-1) / n)
        out["rms"] = rms
        if "mav" in want:
            out["mav"] = np.abs(rows).sum(axis=-1) / n
    if want & {"zc", "ssc", "wamp", "wl"}:
        thr = _thresholds(thresholds, rms)
        d = np.diff(rows, axis=-1)
        abs_d = np.abs(d)
        steep_d = abs_d >= thr
        if "wl" in want:
            out["wl"] = abs_d.sum(axis=-1)
        if "zc" in want:
            positive = rows >= 0  # 0 counts as positive
            crossing = positive[..., :-1] != positive[..., 1:]
            out["zc"] = np.count_nonzero(crossing & steep_d, axis=-1).astype(np.float64)
        if "ssc" in want:
            d_before, d_after = d[..., :-1], d[..., 1:]  # x[n]-x[n-1], x[n+1]-x[n], n=1..N-2
            extremum = ((d_before > 0) & (d_after < 0)) | ((d_before < 0) & (d_after > 0))
            steep = steep_d[..., :-1] | steep_d[..., 1:]
            out["ssc"] = np.count_nonzero(extremum & steep, axis=-1).astype(np.float64)
        if "wamp" in want:
            out["wamp"] = np.count_nonzero(steep_d & (abs_d > 0), axis=-1).astype(np.float64)
    if "var" in want:
        out["var"] = np.where(flat, 0.0, moments.sum_sq / (n - 1))
    if "skewness" in want:
        out["skewness"] = _ratio(moments.m3, moments.m2**1.5, ~flat)
    if "kurtosis" in want:
        out["kurtosis"] = _ratio(moments.m4, moments.m2 * moments.m2, ~flat)

    if want & {"mean_freq", "median_freq", *bands}:
        freqs, power = centred_periodogram(moments.dev, fs=fs)
        power[flat] = 0.0  # a flat window's "spectrum" is rounding noise of its mean
        out["mean_freq"] = mean_frequency(freqs, power)
        out["median_freq"] = median_frequency(freqs, power, fs=fs)
        if names is None or want & set(bands):
            out.update(band_fractions(freqs, power, bands))

    if "env_cv" in want:
        out["env_cv"] = _envelope_cv(rows, fs=fs)
    if "tkeo_mean" in want:
        out["tkeo_mean"] = teager_kaiser(rows, axis=-1)[..., 1:-1].sum(axis=-1) / (n - 2)
    order = (*_AMPLITUDE_AND_SPECTRUM, *bands, *_ENVELOPE)
    return {k: out[k] for k in order if k in out and (k in want or names is None)}


def _envelope_cv(rows: np.ndarray, *, fs: float) -> np.ndarray:
    """Coefficient of variation of the within-window moving average of ``|x|``.

    The moving average uses a cumulative sum along the row ("valid" part only, so every
    envelope sample is an average of exactly ``m`` samples inside the window); the rectified
    signal is non-negative, so the cumulative sum is monotone and the differences cannot go
    negative.  A window shorter than the smoothing length gives a single envelope value: CV 0.
    """
    n = rows.shape[-1]
    m = int(min(n, max(1, round(ENVELOPE_SMOOTH_S * fs))))
    rect = np.abs(rows)
    csum = np.zeros((*rect.shape[:-1], n + 1))
    np.cumsum(rect, axis=-1, out=csum[..., 1:])
    env = (csum[..., m:] - csum[..., :-m]) / m
    k = env.shape[-1]
    env_mean = env.sum(axis=-1) / k
    env_dev = env - env_mean[..., None]
    env_std = np.sqrt((env_dev * env_dev).sum(axis=-1) / k)
    steady = env_std <= FLAT_RELATIVE_STD * env_mean  # rounding noise of a constant envelope
    return _ratio(env_std, env_mean, (env_mean > 0) & ~steady)


def cross_channel_features(
    windows: np.ndarray,
    *,
    pairs: Sequence[tuple[int, int]],
    names: Collection[str] = CROSS_CHANNEL_NAMES,
) -> dict[str, np.ndarray]:
    """Relations between channels within each window.

    Parameters
    ----------
    windows : shape ``(n_windows, window_len, n_channels)``.
    pairs : channel index pairs ``(i, j)``, ``i != j``, e.g. agonist/antagonist electrodes.
    names : only compute these (default: all).

    Returns
    -------
    - ``coactivation`` ``(n_windows, n_pairs)``: smaller / larger RMS of the pair, in [0, 1].
      Near 1 when both muscles of an agonist/antagonist pair fire together -- the hallmark of
      rigidity -- and near 0 for a reciprocal voluntary movement.  0 when both are silent.
    - ``pair_corr`` ``(n_windows, n_pairs)``: Pearson correlation of the pair's signals over the
      window.  Separate muscles give near-0 correlation; cross-talk or a shared artifact gives
      |r| near 1.  0 when either channel is flat.
    - ``localisation`` ``(n_windows, n_channels)``: each channel's share of the summed RMS --
      a twitch is local (one channel dominates), a cramp or artifact may be widespread.  0 for
      all channels when the window is silent.
    - ``common_mode`` ``(n_windows, n_channels)``: mean |Pearson r| of each channel with every
      other channel.  Movement and mains artifacts appear identically on all channels and score
      near 1; independent muscle activity scores low.  0 with a single channel.

    The correlation matrices come from one stacked matrix product: numpy multiplies each
    window's (channels x samples) block on its own, with the same shapes whatever the batch,
    so the result is batch-invariant and memory stays ``O(n_windows x n_channels x window_len)``.
    """
    unknown = set(names) - set(CROSS_CHANNEL_NAMES)
    if unknown:
        raise ValueError(f"unknown cross-channel feature(s) {sorted(unknown)}")
    rows = _rows(windows)
    _, n_channels, n = rows.shape
    idx = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    if idx.size and (idx.min() < 0 or idx.max() >= n_channels):
        raise ValueError(f"pair indices must lie in [0, {n_channels}), got {pairs!r}")
    if np.any(idx[:, 0] == idx[:, 1]):
        raise ValueError(f"a pair must name two different channels, got {pairs!r}")

    out: dict[str, np.ndarray] = {}
    if {"coactivation", "localisation"} & set(names):
        rms = np.sqrt((rows * rows).sum(axis=-1) / n)
        ri, rj = rms[:, idx[:, 0]], rms[:, idx[:, 1]]
        hi = np.maximum(ri, rj)
        total = rms.sum(axis=-1, keepdims=True)
        out["coactivation"] = _ratio(np.minimum(ri, rj), hi, hi > 0)
        out["localisation"] = _ratio(rms, total, total > 0)
    if {"pair_corr", "common_mode"} & set(names):
        moments = Deviations(rows)
        dev = moments.dev
        cov = np.matmul(dev, dev.transpose(0, 2, 1))
        var = np.where(moments.flat, 0.0, np.diagonal(cov, axis1=1, axis2=2))
        den = np.sqrt(var[:, :, None] * var[:, None, :])
        corr = np.clip(_ratio(cov, den, den > 0), -1.0, 1.0)
        out["pair_corr"] = np.ascontiguousarray(corr[:, idx[:, 0], idx[:, 1]])
        abs_corr = np.abs(corr)
        abs_corr[:, np.arange(n_channels), np.arange(n_channels)] = 0.0
        out["common_mode"] = abs_corr.sum(axis=-1) / max(n_channels - 1, 1)
    return {k: out[k] for k in CROSS_CHANNEL_NAMES if k in names}
