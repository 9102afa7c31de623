"""Features of one episode: what the classifier sees, each with a physiological reason.

All amplitudes are in multiples of the channel's noise floor (scale-free across people and
electrodes); durations in seconds; spectral figures in Hz. The same channel summary is computed
for the episode's own channel and, over the same interval, for its agonist/antagonist partner,
because the separating signatures of docs/labels.md are cross-channel: a cramp is localised (partner
quiet), rigidity is on both at once, voluntary contraction co-activates the antagonist a little.
"""

from __future__ import annotations

import numpy as np

from emgspasm.detect.config import DetectorGeometry
from emgspasm.detect.segmenter import Episode
from emgspasm.detect.segments import Segments, ranges
from emgspasm.detect.table import RowTable

MODULATION_BAND_HZ = (0.7, 3.0)
"""Cramp envelopes wax and wane at ~1.4 Hz [Minetto 2009]; voluntary ramps are slower."""

MODULATION_REFERENCE_HZ = (0.2, 10.0)
"""The modulation share is taken relative to envelope power in this band."""

MIN_MODULATION_S = 2.0
"""Below this an envelope spectrum cannot resolve 0.7 Hz: the modulation feature is 0."""

RHYTHM_BAND_HZ = (3.0, 30.0)
"""Motor units discharge at 5–35 Hz: rigidity's few units at a steady 5–7 Hz, voluntary ones at
8–35 Hz with ISI CV 0.1–0.2, cramp units irregularly (CV ≈ 0.45). The spectrum of the per-hop
peak series over this band shows how rhythmic the discharges are, whatever the MUAP shape."""

RHYTHM_PEAK_WIDTH_HZ = 1.0
"""Half-width of the spectral peak whose share of the band measures rhythmicity."""

MIN_RHYTHM_S = 2.0
"""Shorter episodes give too few discharges for a rhythm; their rhythm features are 0."""

PLATEAU_SHARE = 0.7
"""Rise and fall are timed to/from this share of the episode's 90th-percentile level."""

WINDOW_FEATURES = ("median_freq", "mean_freq", "kurtosis", "skewness", "zc", "wamp",
                   "flat_fraction", "clip_fraction", "broad_lf_fraction",
                   "broad_mains_fraction", "common_mode")

_CHANNEL_STATS = ("log_duration", "n_bursts", "burst_rate", "burst_interval_cv",
                  "burst_median_s", "active_fraction", "log_peak", "log_level_mean",
                  "log_level_p90", "level_cv", "modulation", "rise_s", "fall_s",
                  "log_broad_ratio", "spike_only_fraction", "log_broad_level", "core_s",
                  "rhythm_hz", "rhythm_share")

_PARTNER_STATS = ("active_fraction", "log_level_mean", "log_peak", "modulation", "level_cv",
                  "n_bursts", "burst_interval_cv", "rhythm_share")
"""Channel statistics of the partner over the episode, beside the episode's own."""

FEATURE_NAMES: tuple[str, ...] = (
    *_CHANNEL_STATS,
    *WINDOW_FEATURES,
    *(f"partner_{k}" for k in (*_PARTNER_STATS, "kurtosis")),
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


def series_stats(hops: RowTable, chans: np.ndarray, s: np.ndarray, e: np.ndarray,
                 geo: DetectorGeometry, burst_gap: int) -> dict[str, np.ndarray]:
    """Summary of channel `chans[j]` over hops [s[j], e[j]] (inclusive), one value per series.

    An episode's own channel and its partner are two series; all the series of the episodes a
    block closed are summarised together (see :mod:`emgspasm.detect.segments`).
    """
    hop_s = geo.hop_s
    seg = Segments(e - s + 1)
    rows = ranges(s, seg.lengths)
    cols = chans[seg.ids]
    floor = hops.take("floor", s, chans)
    bfloor = hops.take("broad_floor", s, chans)
    level = hops.take("level", rows, cols) / floor[seg.ids]
    broad = hops.take("broad_level", rows, cols) / bfloor[seg.ids]
    peak = hops.take("peak", rows, cols) / floor[seg.ids]
    active = hops.take("active", rows, cols)
    spike_only = hops.take("spike", rows, cols) & ~hops.take("level_flag", rows, cols)
    n = seg.lengths
    duration = n * hop_s
    n_bursts, interval_cv, burst_median = burst_stats(active, seg, burst_gap)

    p90 = seg.quantile(level, 0.9)
    lo = (0.2 * n).astype(np.intp)
    mid_rows, mid = seg.sub(lo, np.maximum((0.8 * n).astype(np.intp), lo + 1))
    first, last = seg.first_last(level >= (PLATEAU_SHARE * p90)[seg.ids])
    plateau = last >= 0
    rise = np.where(plateau, first * hop_s, duration)
    fall = np.where(plateau, (n - 1 - last) * hop_s, duration)
    mean_sq = seg.mean(level**2) * floor**2
    broad_sq = seg.mean(broad**2) * bfloor**2
    core_first, core_last = seg.first_last(peak >= (0.5 * seg.nanmax(peak))[seg.ids])
    modulation = np.zeros(seg.count)
    rhythm_hz, rhythm = np.zeros(seg.count), np.zeros(seg.count)
    rate = 1.0 / hop_s
    for j in np.flatnonzero(n / rate >= min(MIN_MODULATION_S, MIN_RHYTHM_S)):
        a = seg.starts[j]  # the rest have too few hops
        if n[j] / rate >= MIN_MODULATION_S:
            modulation[j] = modulation_share(level[a:a + n[j], None], rate)[0]
        if n[j] / rate >= MIN_RHYTHM_S:
            rhythm_hz[j], rhythm[j] = discharge_rhythm(peak[a:a + n[j]], rate)
    return {
        "log_duration": np.log10(duration),
        "n_bursts": np.log1p(n_bursts),
        "burst_rate": n_bursts / duration,
        "burst_interval_cv": interval_cv,
        "burst_median_s": burst_median * hop_s,
        "active_fraction": seg.mean(active),
        "log_peak": np.log10(np.maximum(seg.max(peak), 1e-6)),
        "log_level_mean": np.log10(np.maximum(seg.mean(level), 1e-6)),
        "log_level_p90": np.log10(np.maximum(p90, 1e-6)),
        "level_cv": mid.std(level[mid_rows]) / (mid.mean(level[mid_rows]) + 1e-12),
        "modulation": modulation,
        "rise_s": rise,
        "fall_s": fall,
        "log_broad_ratio": np.log10((broad_sq + 1e-12) / (mean_sq + 1e-12)),
        "spike_only_fraction": seg.mean(spike_only),
        "log_broad_level": np.log10(np.maximum(seg.mean(broad), 1e-6)),
        "core_s": np.where(core_last >= 0, core_last - core_first + 1, 0) * hop_s,
        "rhythm_hz": rhythm_hz,
        "rhythm_share": rhythm,
        "_level_uv": np.sqrt(mean_sq),
    }


def burst_stats(active: np.ndarray, seg: Segments,
                burst_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: number of bursts, CV of burst onset intervals (0 below three bursts) and
    median burst length in hops. Runs of activity closer than `burst_gap` hops are one burst."""
    before = np.zeros_like(active)
    before[1:] = active[:-1]
    before[seg.starts] = False
    after = np.zeros_like(active)
    after[:-1] = active[1:]
    after[seg.starts + seg.lengths - 1] = False
    rs, re = np.flatnonzero(active & ~before), np.flatnonzero(active & ~after)
    run_seg = seg.ids[rs]
    keep = np.ones(rs.size, dtype=bool)
    keep[1:] = (run_seg[1:] != run_seg[:-1]) | (rs[1:] - re[:-1] - 1 >= burst_gap)
    kept = np.flatnonzero(keep)
    b_start, b_seg = rs[kept], run_seg[kept]
    b_end = re[np.append(kept[1:] - 1, rs.size - 1)] if rs.size else rs
    n_bursts = np.bincount(b_seg, minlength=seg.count)

    same = b_seg[1:] == b_seg[:-1]
    interval = np.diff(b_start)[same].astype(np.float64)
    i_seg = b_seg[1:][same]
    n_int = np.bincount(i_seg, minlength=seg.count)
    mean = np.bincount(i_seg, weights=interval, minlength=seg.count) / np.maximum(n_int, 1)
    dev = interval - mean[i_seg]
    std = np.sqrt(np.bincount(i_seg, weights=dev * dev, minlength=seg.count)
                  / np.maximum(n_int, 1))
    cv = np.divide(std, mean, out=np.zeros(seg.count), where=n_int >= 2)

    length = (b_end - b_start + 1)[np.lexsort((b_end - b_start, b_seg))]
    head = np.cumsum(n_bursts) - n_bursts
    last = max(length.size - 1, 0)
    lo = np.minimum(head + (n_bursts - 1) // 2, last)
    hi = np.minimum(head + n_bursts // 2, last)
    median = np.where(n_bursts > 0, (length[lo] + length[hi]) / 2.0, 0.0) if length.size \
        else np.zeros(seg.count)
    return n_bursts.astype(np.float64), cv, median


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


def discharge_rhythm(peak: np.ndarray, rate_hz: float) -> tuple[float, float]:
    """Frequency of the strongest rhythm in a per-hop peak series within RHYTHM_BAND_HZ, and
    the share of the band's power within RHYTHM_PEAK_WIDTH_HZ of it (1/n_bins for white,
    towards 1 for a few units firing like clockwork). The series is centred on its median and
    clipped at a few times its spread, so one large MUAP does not flatten the spectrum."""
    x = np.asarray(peak, dtype=np.float64)
    centre = np.median(x)
    spread = np.median(np.abs(x - centre)) + 1e-12
    x = np.clip(x - centre, -6.0 * spread, 6.0 * spread)
    x = x - x.mean()
    n = x.shape[0]
    spec = np.abs(np.fft.rfft(x * np.hanning(n))) ** 2
    f = np.fft.rfftfreq(n, d=1.0 / rate_hz)
    band = (f >= RHYTHM_BAND_HZ[0]) & (f <= min(RHYTHM_BAND_HZ[1], 0.45 * rate_hz))
    total = spec[band].sum()
    if not band.any() or total <= 0:
        return 0.0, 0.0
    width = max(1, round(RHYTHM_PEAK_WIDTH_HZ / (f[1] - f[0])))
    smooth = np.convolve(spec, np.ones(2 * width + 1), mode="same")
    best = np.flatnonzero(band)[int(np.argmax(smooth[band]))]
    return float(f[best]), float(min(smooth[best] / total, 1.0))


def episode_features(episodes: list[Episode], partners: list[int | None], hops: RowTable,
                     windows: RowTable, geo: DetectorGeometry, burst_gap: int) -> np.ndarray:
    """The feature matrix (episodes × FEATURE_NAMES) of the episodes one block closed, with
    each episode's agonist/antagonist partner channel (None if it has none)."""
    k = len(episodes)
    chan = np.array([ep.channel for ep in episodes], dtype=np.intp)
    s = np.array([ep.start_hop for ep in episodes], dtype=np.intp)
    e = np.array([ep.end_hop for ep in episodes], dtype=np.intp)
    partner = np.array([-1 if p is None else p for p in partners], dtype=np.intp)
    has_partner = partner >= 0
    pfloor = hops.take("floor", s[has_partner], partner[has_partner])
    has_partner[has_partner] = np.isfinite(pfloor) & (pfloor > 0)
    paired = np.flatnonzero(has_partner)
    stats = series_stats(hops, np.concatenate([chan, partner[paired]]),
                         np.concatenate([s, s[paired]]), np.concatenate([e, e[paired]]),
                         geo, burst_gap)
    out = np.zeros((k, len(FEATURE_NAMES)))
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}
    for name in _CHANNEL_STATS:
        out[:, column[name]] = stats[name][:k]

    decided = np.array([ep.decided_hop for ep in episodes], dtype=np.intp)
    means = _window_means(windows, np.concatenate([chan, partner[paired]]),
                          np.concatenate([s, s[paired]]),
                          np.minimum(np.concatenate([e, e[paired]]) + geo.feature_hops,
                                     np.concatenate([decided, decided[paired]])))
    for i, name in enumerate(WINDOW_FEATURES):
        out[:, column[name]] = means[:k, i]

    if paired.size:
        other = {name: v[k:] for name, v in stats.items()}
        for name in _PARTNER_STATS:
            out[paired, column[f"partner_{name}"]] = other[name]
        out[paired, column["partner_kurtosis"]] = means[k:, WINDOW_FEATURES.index("kurtosis")]
        out[paired, column["has_partner"]] = 1.0
        out[paired, column["partner_log_ratio"]] = np.log10(
            (other["_level_uv"] + 1e-9) / (stats["_level_uv"][paired] + 1e-9))
        out[paired, column["partner_envelope_corr"]] = _envelope_corr(
            hops, chan[paired], partner[paired], s[paired], e[paired])
    out[:, column["others_active_fraction"]], out[:, column["others_log_ratio"]] = \
        _others(hops, chan, partner, s, e)
    return out


def _window_means(windows: RowTable, chans: np.ndarray, first: np.ndarray,
                  last: np.ndarray) -> np.ndarray:
    """Mean of each window feature of channel `chans[j]` over the windows ending at hops
    [first[j], last[j]]: windows just after an episode's end are included (a twitch may be
    shorter than one window step), but never past its decision hop, which a live stream has
    not seen yet. Zeros where no window falls in the span."""
    out = np.zeros((chans.size, len(WINDOW_FEATURES)))
    hop_idx = windows.get("hop", windows.start, windows.stop)
    lo = np.searchsorted(hop_idx, first, side="left")
    hi = np.searchsorted(hop_idx, last, side="right")
    some = np.flatnonzero(hi > lo)
    if some.size:
        seg = Segments(hi[some] - lo[some])
        rows = windows.start + ranges(lo[some], seg.lengths)
        cols = chans[some][seg.ids]
        windows.ensure(rows, cols)
        # "values" holds every window feature, (windows, WINDOW_FEATURES, channels).
        values = windows.take("values", rows)[np.arange(rows.size), :, cols]
        out[some] = seg.mean(values)
    return out


def _envelope_corr(hops: RowTable, chan: np.ndarray, partner: np.ndarray, s: np.ndarray,
                   e: np.ndarray) -> np.ndarray:
    """Pearson correlation of the own and partner level over each episode (0 for fewer than
    three hops or a constant series)."""
    seg = Segments(e - s + 1)
    rows = ranges(s, seg.lengths)
    a = hops.take("level", rows, chan[seg.ids])
    b = hops.take("level", rows, partner[seg.ids])
    da, db = a - seg.mean(a)[seg.ids], b - seg.mean(b)[seg.ids]
    den = np.sqrt(seg.sum(da * da) * seg.sum(db * db))
    ok = (seg.lengths >= 3) & (den > 0)
    return np.clip(np.divide(seg.sum(da * db), den, out=np.zeros(seg.count), where=ok),
                   -1.0, 1.0)


def _others(hops: RowTable, chan: np.ndarray, partner: np.ndarray, s: np.ndarray,
            e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activity elsewhere during each episode: the active share of the channels that are
    neither its own nor its partner's, and their mean level relative to its own (log10)."""
    seg = Segments(e - s + 1)
    rows = ranges(s, seg.lengths)
    active = hops.take("active", rows)
    level = hops.take("level", rows)
    n_channels = level.shape[1]
    others = np.ones((seg.count, n_channels), dtype=bool)
    others[np.arange(seg.count), chan] = False
    mine = partner >= 0
    others[np.flatnonzero(mine), partner[mine]] = False
    n_others = others.sum(axis=1)
    if not n_others.any():
        return np.zeros(seg.count), np.zeros(seg.count)
    mask = others[seg.ids]
    count = n_others * seg.lengths
    active_share = seg.sum((active & mask).sum(axis=1)) / np.maximum(count, 1)
    others_level = seg.sum(np.where(mask, level, 0.0).sum(axis=1)) / np.maximum(count, 1)
    own_level = seg.mean(level[np.arange(rows.size), chan[seg.ids]])
    ratio = np.log10((others_level + 1e-9) / (own_level + 1e-9))
    has = n_others > 0
    return np.where(has, active_share, 0.0), np.where(has, ratio, 0.0)
