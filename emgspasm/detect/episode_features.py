"""Features of one episode: what the classifier sees, each with a physiological reason.

All amplitudes are in multiples of the channel's noise floor (scale-free across people and
electrodes); durations in seconds; spectral figures in Hz. The same channel summary is computed
for the episode's own channel and, over the same interval, for its agonist/antagonist partner,
because the separating signatures of SPEC.md are cross-channel: a cramp is localised (partner
quiet), rigidity is on both at once, voluntary contraction co-activates the antagonist a little.
"""

from __future__ import annotations

import numpy as np

from emgspasm.detect.config import DetectorGeometry
from emgspasm.detect.segmenter import Episode, runs
from emgspasm.detect.table import RowTable

MODULATION_BAND_HZ = (0.7, 3.0)
"""Cramp envelopes wax and wane at ~1.4 Hz [Minetto 2009]; voluntary ramps are slower."""

MODULATION_REFERENCE_HZ = (0.2, 10.0)
"""The modulation share is taken relative to envelope power in this band."""

MIN_MODULATION_S = 2.0
"""Below this an envelope spectrum cannot resolve 0.7 Hz: the modulation feature is 0."""

PLATEAU_SHARE = 0.7
"""Rise and fall are timed to/from this share of the episode's 90th-percentile level."""

WINDOW_FEATURES = ("median_freq", "mean_freq", "kurtosis", "skewness", "zc", "wamp",
                   "lf_fraction", "mains_fraction", "flat_fraction", "clip_fraction",
                   "broad_lf_fraction", "broad_mains_fraction", "common_mode")

_CHANNEL_STATS = ("log_duration", "n_bursts", "burst_rate", "burst_interval_cv",
                  "burst_median_s", "active_fraction", "log_peak", "log_level_mean",
                  "log_level_p90", "level_cv", "modulation", "rise_s", "fall_s",
                  "log_broad_ratio", "spike_only_fraction", "log_broad_level", "core_s")

FEATURE_NAMES: tuple[str, ...] = (
    *_CHANNEL_STATS,
    *WINDOW_FEATURES,
    *(f"partner_{k}" for k in ("active_fraction", "log_level_mean", "log_peak", "modulation",
                               "level_cv", "n_bursts", "burst_interval_cv", "kurtosis")),
    "has_partner",
    "partner_log_ratio",
    "partner_envelope_corr",
    "others_active_fraction",
    "others_log_ratio",
)


def refine_bounds(ep: Episode, hops: RowTable, geo: DetectorGeometry,
                  sigma: float) -> tuple[int, int]:
    """Pull onset and offset to the hops where the signal itself stands out of the noise.

    The trailing RMS lags by up to `level_hops`: the onset may lie that far before the first
    active hop, and the offset that far before the last. The offset is the last hop whose peak
    stands out, so a single MUAP is not stretched to the length of the RMS window.
    """
    c = ep.channel
    lo = ep.start_hop - geo.level_hops + 1
    peak = hops.get("peak", lo, ep.end_hop + 1)[:, c]
    floor = hops.get("floor", lo, ep.end_hop + 1)[:, c]
    lo = ep.end_hop + 1 - peak.shape[0]  # clipped to what history holds
    strong = peak > sigma * floor
    head = np.flatnonzero(strong[: ep.start_hop - lo + 1])
    start = lo + int(head[0]) if head.size else ep.start_hop
    tail = np.flatnonzero(strong[start - lo:])
    end = start + int(tail[-1]) if tail.size else max(start, ep.end_hop - geo.level_hops + 1)
    return start, end


def core_span(ep: Episode, hops: RowTable, core_fraction: float) -> tuple[int, int]:
    """First and last hop whose peak reaches `core_fraction` of the episode's largest peak.

    A fasciculation is one MUAP (or a doublet): its core is a hop or two however long the
    smoothed envelope lingers, so this is the span a twitch is judged and reported by.
    """
    peak = hops.get("peak", ep.start_hop, ep.end_hop + 1)[:, ep.channel]
    strong = np.flatnonzero(peak >= core_fraction * peak.max())
    return ep.start_hop + int(strong[0]), ep.start_hop + int(strong[-1])


def channel_stats(hops: RowTable, cols: list[int], s: int, e: int, geo: DetectorGeometry,
                  burst_gap: int) -> dict[str, np.ndarray]:
    """Summary of each channel in `cols` over hops [s, e] (inclusive), one value per column.

    The episode's own channel and its partner are summarised in one call: every statistic is
    a reduction along the hop axis, so doing both columns together halves the (dominant)
    per-call overhead without changing any value.
    """
    hop_s = geo.hop_s
    floor = hops.get("floor", s, s + 1)[0, cols]
    bfloor = hops.get("broad_floor", s, s + 1)[0, cols]
    level = hops.get("level", s, e + 1)[:, cols] / floor
    broad = hops.get("broad_level", s, e + 1)[:, cols] / bfloor
    peak = hops.get("peak", s, e + 1)[:, cols] / floor
    active = hops.get("active", s, e + 1)[:, cols]
    spike_only = hops.get("spike", s, e + 1)[:, cols] & ~hops.get("level_flag", s, e + 1)[:, cols]
    n = level.shape[0]
    duration = n * hop_s
    bursts = np.array([_burst_stats(active[:, k], burst_gap, hop_s) for k in range(len(cols))])

    p90 = _column_quantile(level, 0.9)
    mid = level[int(0.2 * n): max(int(0.8 * n), int(0.2 * n) + 1)]
    first, last = _first_last(level >= PLATEAU_SHARE * p90)
    plateau = last >= 0
    rise = np.where(plateau, first * hop_s, duration)
    fall = np.where(plateau, (n - 1 - last) * hop_s, duration)
    mean_sq = np.mean(level**2, axis=0) * floor**2
    broad_sq = np.mean(broad**2, axis=0) * bfloor**2
    core_first, core_last = _first_last(peak >= 0.5 * np.nanmax(peak, axis=0))
    return {
        "log_duration": np.full(len(cols), np.log10(duration)),
        "n_bursts": np.log1p(bursts[:, 0]),
        "burst_rate": bursts[:, 0] / duration,
        "burst_interval_cv": bursts[:, 1],
        "burst_median_s": bursts[:, 2],
        "active_fraction": active.mean(axis=0),
        "log_peak": np.log10(np.maximum(peak.max(axis=0), 1e-6)),
        "log_level_mean": np.log10(np.maximum(level.mean(axis=0), 1e-6)),
        "log_level_p90": np.log10(np.maximum(p90, 1e-6)),
        "level_cv": mid.std(axis=0) / (mid.mean(axis=0) + 1e-12),
        "modulation": modulation_share(level, 1.0 / hop_s),
        "rise_s": rise,
        "fall_s": fall,
        "log_broad_ratio": np.log10((broad_sq + 1e-12) / (mean_sq + 1e-12)),
        "spike_only_fraction": spike_only.mean(axis=0),
        "log_broad_level": np.log10(np.maximum(broad.mean(axis=0), 1e-6)),
        "core_s": np.where(core_last >= 0, core_last - core_first + 1, 0) * hop_s,
        "_level_uv": np.sqrt(mean_sq),
    }


def _burst_stats(active: np.ndarray, burst_gap: int, hop_s: float) -> tuple[float, ...]:
    """(bursts, CV of burst onset intervals, median burst length in s) of one channel: runs of
    activity closer than `burst_gap` hops are one burst."""
    rs, re = runs(active)
    if not rs.size:
        return 0.0, 0.0, 0.0
    keep = np.concatenate([[True], rs[1:] - re[:-1] - 1 >= burst_gap])
    b_start = rs[keep]
    b_end = np.concatenate([re[np.flatnonzero(keep)[1:] - 1], [re[-1]]])
    intervals = np.diff(b_start) * hop_s
    interval_cv = float(intervals.std() / intervals.mean()) if intervals.size >= 2 else 0.0
    lengths = np.sort(b_end - b_start + 1)
    middle = (lengths[(lengths.size - 1) // 2] + lengths[lengths.size // 2]) / 2.0
    return float(b_start.size), interval_cv, float(middle * hop_s)


def _column_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """`np.quantile(x, q, axis=0)` (linear interpolation, same arithmetic) without its
    per-call overhead, which dominated this module's cost for short episodes."""
    ordered = np.sort(x, axis=0)
    position = q * (x.shape[0] - 1)
    below = int(np.floor(position))
    above = min(below + 1, x.shape[0] - 1)
    t = position - below
    lo, hi = ordered[below], ordered[above]
    diff = hi - lo
    return hi - diff * (1.0 - t) if t >= 0.5 else lo + diff * t


def _first_last(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last row index of True in each column; -1 for both where a column has none."""
    n = flags.shape[0]
    anywhere = flags.any(axis=0)
    first = np.where(anywhere, np.argmax(flags, axis=0), -1)
    last = np.where(anywhere, n - 1 - np.argmax(flags[::-1], axis=0), -1)
    return first, last


def modulation_share(envelope: np.ndarray, rate_hz: float) -> np.ndarray:
    """Share of each column's envelope power in the cramp modulation band (0 when short)."""
    n = envelope.shape[0]
    if n / rate_hz < MIN_MODULATION_S:
        return np.zeros(envelope.shape[1:])
    x = envelope - envelope.mean(axis=0)
    spec = np.abs(np.fft.rfft(x * np.hanning(n)[:, None], axis=0)) ** 2
    f = np.fft.rfftfreq(n, d=1.0 / rate_hz)
    ref = spec[(f >= MODULATION_REFERENCE_HZ[0]) & (f <= MODULATION_REFERENCE_HZ[1])].sum(axis=0)
    band = spec[(f >= MODULATION_BAND_HZ[0]) & (f <= MODULATION_BAND_HZ[1])].sum(axis=0)
    return np.divide(band, ref, out=np.zeros_like(ref), where=ref > 0)


def episode_features(ep: Episode, hops: RowTable, windows: RowTable, geo: DetectorGeometry,
                     partner: int | None, burst_gap: int) -> np.ndarray:
    """The feature vector (ordered as FEATURE_NAMES) of one closed episode."""
    c, s, e = ep.channel, ep.start_hop, ep.end_hop
    has_partner = partner is not None and _floor_known(hops, partner, s)
    cols = [c, partner] if has_partner else [c]
    stats = channel_stats(hops, cols, s, e, geo, burst_gap)
    row = [float(stats[k][0]) for k in _CHANNEL_STATS]

    hop_idx = windows.get("hop", 0, windows.stop)
    first = windows.stop - hop_idx.shape[0]
    # Windows just after the end are included (a twitch may be shorter than one window
    # step), but never past the decision hop: those do not exist yet in a live stream.
    last = min(e + geo.feature_hops, ep.decided_hop)
    sel = np.flatnonzero((hop_idx >= s) & (hop_idx <= last)) + first
    # "values" holds every window feature, (windows, WINDOW_FEATURES, channels).
    means = windows.get("values", int(sel[0]), int(sel[-1]) + 1)[:, :, cols].mean(axis=0) \
        if sel.size else np.zeros((len(WINDOW_FEATURES), len(cols)))
    row += [float(v) for v in means[:, 0]]

    if has_partner:
        other = {k: float(v[1]) for k, v in stats.items()}
        pk = float(means[WINDOW_FEATURES.index("kurtosis"), 1])
        row += [other["active_fraction"], other["log_level_mean"], other["log_peak"],
                other["modulation"], other["level_cv"], other["n_bursts"],
                other["burst_interval_cv"], pk, 1.0,
                float(np.log10((other["_level_uv"] + 1e-9) / (stats["_level_uv"][0] + 1e-9))),
                _corr(hops.get("level", s, e + 1)[:, c], hops.get("level", s, e + 1)[:, partner])]
    else:
        row += [0.0] * 8 + [0.0, 0.0, 0.0]

    active = hops.get("active", s, e + 1)
    level = hops.get("level", s, e + 1)
    others = [k for k in range(active.shape[1]) if k not in (c, partner)]
    if others:
        row.append(float(active[:, others].mean()))
        row.append(float(np.log10((level[:, others].mean() + 1e-9) / (level[:, c].mean() + 1e-9))))
    else:
        row += [0.0, 0.0]
    return np.asarray(row, dtype=np.float64)


def _floor_known(hops: RowTable, c: int, s: int) -> bool:
    floors = hops.get("floor", s, s + 1)
    return bool(floors.size and np.isfinite(floors[0, c]) and floors[0, c] > 0)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation (0 for fewer than 3 points or a constant series)."""
    if a.size < 3:
        return 0.0
    da, db = a - a.mean(), b - b.mean()
    den = float(np.sqrt(np.dot(da, da) * np.dot(db, db)))
    return float(np.clip(np.dot(da, db) / den, -1.0, 1.0)) if den > 0 else 0.0
