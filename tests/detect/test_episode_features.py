"""Episode features: batch invariance, and the vectorized statistics against plain definitions."""

import numpy as np
import pytest

from emgspasm.detect.config import DetectorConfig, DetectorGeometry
from emgspasm.detect.episode_features import (
    FEATURE_NAMES,
    MIN_MODULATION_S,
    MIN_RHYTHM_S,
    MODULATION_BAND_HZ,
    MODULATION_REFERENCE_HZ,
    PLATEAU_SHARE,
    RHYTHM_BAND_HZ,
    RHYTHM_PEAK_WIDTH_HZ,
    WINDOW_FEATURES,
    burst_stats,
    discharge_rhythm,
    episode_features,
)
from emgspasm.detect.segmenter import Episode
from emgspasm.detect.segments import Segments
from emgspasm.detect.table import RowTable

GEO = DetectorGeometry.from_config(DetectorConfig(), 1000.0)
N_CH, N_HOPS = 4, 900


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(7)
    hops = RowTable()
    level = rng.gamma(2.0, 1.0, size=(N_HOPS, N_CH))
    hops.append(floor=np.full((N_HOPS, N_CH), 0.8), broad_floor=np.full((N_HOPS, N_CH), 1.1),
                level=level, broad_level=level * rng.uniform(1.0, 2.0, size=level.shape),
                peak=level * rng.uniform(1.0, 4.0, size=level.shape),
                active=rng.random((N_HOPS, N_CH)) < 0.6, spike=rng.random((N_HOPS, N_CH)) < 0.2,
                level_flag=rng.random((N_HOPS, N_CH)) < 0.5)
    windows = RowTable()
    hop = np.arange(GEO.feature_hops - 1, N_HOPS, GEO.feature_hops)
    windows.append(hop=hop, values=rng.normal(size=(hop.size, len(WINDOW_FEATURES), N_CH)))
    return hops, windows


def _episodes():
    spans = [(0, 10, 40), (1, 5, 400), (2, 100, 101), (3, 300, 880), (0, 600, 602), (2, 0, 0)]
    return [Episode(channel=c, start_hop=s, end_hop=e, bursts=[], decided_hop=e + 22)
            for c, s, e in spans]


PARTNERS = {0: 1, 1: 0, 2: None, 3: None}


def test_each_episode_gets_the_features_it_would_get_alone(tables):
    hops, windows = tables
    eps = _episodes()
    partners = [PARTNERS[ep.channel] for ep in eps]
    together = episode_features(eps, partners, hops, windows, GEO, GEO.burst_gap_hops)
    assert together.shape == (len(eps), len(FEATURE_NAMES))
    alone = np.vstack([episode_features([ep], [p], hops, windows, GEO, GEO.burst_gap_hops)
                       for ep, p in zip(eps, partners, strict=True)])
    np.testing.assert_array_equal(together, alone)
    assert np.all(np.isfinite(together))


def test_partner_and_others_columns(tables):
    hops, windows = tables
    eps = _episodes()
    f = episode_features(eps, [PARTNERS[ep.channel] for ep in eps], hops, windows, GEO,
                         GEO.burst_gap_hops)
    col = {k: i for i, k in enumerate(FEATURE_NAMES)}
    np.testing.assert_array_equal(f[:, col["has_partner"]], [1, 1, 0, 0, 1, 0])
    assert np.all(f[[2, 3, 5], col["partner_log_ratio"]] == 0.0)
    # Episode 1 (channel 1, partner 0): the others are channels 2 and 3 over hops 5..400.
    active = hops.get("active", 5, 401)
    level = hops.get("level", 5, 401)
    assert f[1, col["others_active_fraction"]] == pytest.approx(active[:, 2:].mean())
    assert f[1, col["others_log_ratio"]] == pytest.approx(
        np.log10((level[:, 2:].mean() + 1e-9) / (level[:, 1].mean() + 1e-9)))
    a, b = level[:, 1], level[:, 0]
    assert f[1, col["partner_envelope_corr"]] == pytest.approx(np.corrcoef(a, b)[0, 1])
    # Window means: windows ending in hops 5 .. min(400 + feature_hops, decided 422).
    hop = windows.get("hop", 0, windows.stop)
    sel = (hop >= 5) & (hop <= min(400 + GEO.feature_hops, 422))
    kurt = windows.get("values", 0, windows.stop)[sel, WINDOW_FEATURES.index("kurtosis")]
    assert f[1, col["kurtosis"]] == pytest.approx(kurt[:, 1].mean())
    assert f[1, col["partner_kurtosis"]] == pytest.approx(kurt[:, 0].mean())


def _naive_bursts(active, gap):
    padded = np.concatenate([[False], active, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    bursts = []
    for s, e in zip(edges[0::2], edges[1::2] - 1, strict=True):
        if bursts and s - bursts[-1][1] - 1 < gap:
            bursts[-1][1] = e
        else:
            bursts.append([s, e])
    if not bursts:
        return 0.0, 0.0, 0.0
    onsets = np.array([b[0] for b in bursts], dtype=float)
    iv = np.diff(onsets)
    cv = iv.std() / iv.mean() if iv.size >= 2 else 0.0
    return float(len(bursts)), cv, float(np.median([e - s + 1 for s, e in bursts]))


@pytest.mark.parametrize("seed", range(5))
def test_burst_stats_match_the_definition(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 80, size=9)
    active = rng.random(lengths.sum()) < rng.uniform(0.1, 0.9)
    n, cv, med = burst_stats(active, Segments(lengths), gap := 3)
    parts = np.split(active, np.cumsum(lengths)[:-1])
    expected = np.array([_naive_bursts(p, gap) for p in parts])
    np.testing.assert_array_equal(n, expected[:, 0])
    np.testing.assert_allclose(cv, expected[:, 1], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(med, expected[:, 2])


def test_window_means_stop_at_the_decision_hop(tables):
    # Windows ending after an episode's end are averaged in, up to `feature_hops` later, but
    # never past the hop its label is decided at: a live stream has not computed them yet.
    hops, windows = tables
    ep = Episode(channel=1, start_hop=200, end_hop=300, bursts=[], decided_hop=305)
    f = episode_features([ep], [0], hops, windows, GEO, GEO.burst_gap_hops)[0]
    hop = windows.get("hop", windows.start, windows.stop)
    values = windows.get("values", windows.start, windows.stop)
    # The cut must bind here: some window ends after the decision hop but within the
    # `feature_hops` after the episode's end.
    assert np.any((hop > ep.decided_hop) & (hop <= ep.end_hop + GEO.feature_hops))
    sel = (hop >= ep.start_hop) & (hop <= ep.decided_hop)
    col = {k: i for i, k in enumerate(FEATURE_NAMES)}
    for i, name in enumerate(WINDOW_FEATURES):
        assert f[col[name]] == pytest.approx(values[sel, i, 1].mean(), rel=1e-12)
    assert f[col["partner_kurtosis"]] == pytest.approx(
        values[sel, WINDOW_FEATURES.index("kurtosis"), 0].mean(), rel=1e-12)


# --- Every feature against a plain per-episode reference -----------------------------------

REF_CH, REF_HOPS = 4, 1000
UNKNOWN_FLOOR = {(700, 1): np.nan, (720, 0): 0.0}
"""(hop, channel) -> a noise floor not yet known there (NaN) or zero, in the reference table."""

REF_EPISODES = [
    # (channel, start, end, decided, partner)
    (2, 0, 0, 18, None),  # a single hop, no partner
    (0, 600, 600, 618, 1),  # a single hop with a partner
    (0, 100, 450, 468, 1),  # 3.5 s: nonzero modulation, on the partner too
    (3, 300, 880, 898, None),  # 5.8 s without a partner
    (1, 500, 560, 565, 0),  # decided before `end + feature_hops`: late windows excluded
    (2, 39, 59, 80, 3),  # short, with a partner; windows end at its start and end + 20
    (0, 700, 705, 723, 1),  # partner floor NaN at the start hop
    (1, 720, 790, 808, 0),  # partner floor 0 at the start hop
]


@pytest.fixture(scope="module")
def ref_tables():
    """Hop and window tables with noise floors that vary per hop and channel (the episode
    start's floor is the one that scales a whole series) and a few unknown ones."""
    rng = np.random.default_rng(11)
    shape = (REF_HOPS, REF_CH)
    level = rng.gamma(2.0, 1.0, size=shape)
    floor = rng.uniform(0.5, 1.5, size=shape)
    for (h, c), value in UNKNOWN_FLOOR.items():
        floor[h, c] = value
    hops = RowTable()
    hops.append(floor=floor, broad_floor=rng.uniform(0.8, 2.0, size=shape), level=level,
                broad_level=level * rng.uniform(1.0, 2.0, size=shape),
                peak=level * rng.uniform(1.0, 4.0, size=shape),
                active=rng.random(shape) < 0.6, spike=rng.random(shape) < 0.2,
                level_flag=rng.random(shape) < 0.5)
    windows = RowTable()
    hop = np.arange(GEO.feature_hops - 1, REF_HOPS, GEO.feature_hops)
    windows.append(hop=hop, values=rng.normal(size=(hop.size, len(WINDOW_FEATURES), REF_CH)))
    return hops, windows


def _ref_channel(hops, k, s, e, hop_s, gap):
    """Statistics of channel k over hops s..e, straight from their definitions."""
    floor = hops.get("floor", s, s + 1)[0, k]
    bfloor = hops.get("broad_floor", s, s + 1)[0, k]
    level = hops.get("level", s, e + 1)[:, k] / floor
    broad = hops.get("broad_level", s, e + 1)[:, k] / bfloor
    peak = hops.get("peak", s, e + 1)[:, k] / floor
    active = hops.get("active", s, e + 1)[:, k]
    spike_only = hops.get("spike", s, e + 1)[:, k] & ~hops.get("level_flag", s, e + 1)[:, k]
    n = level.size
    duration = n * hop_s
    n_bursts, interval_cv, median_hops = _naive_bursts(active, gap)
    p90 = np.quantile(level, 0.9)
    # Rise: from the start to the first hop at the plateau; fall: from the last one to the end.
    plateau = np.flatnonzero(level >= PLATEAU_SHARE * p90)
    mid = level[int(0.2 * n): max(int(0.8 * n), int(0.2 * n) + 1)]
    mean_sq = np.mean(level**2) * floor**2
    broad_sq = np.mean(broad**2) * bfloor**2
    core = np.flatnonzero(peak >= 0.5 * peak.max())
    modulation = 0.0
    if duration >= MIN_MODULATION_S:
        spec = np.abs(np.fft.rfft((level - level.mean()) * np.hanning(n))) ** 2
        freq = np.fft.rfftfreq(n, d=hop_s)

        def power(band):
            return spec[(freq >= band[0]) & (freq <= band[1])].sum()

        modulation = power(MODULATION_BAND_HZ) / power(MODULATION_REFERENCE_HZ)
    rhythm_hz, rhythm = (_ref_rhythm(peak, 1.0 / hop_s) if duration >= MIN_RHYTHM_S
                         else (0.0, 0.0))
    return {
        "log_duration": np.log10(duration),
        "n_bursts": np.log1p(n_bursts),
        "burst_rate": n_bursts / duration,
        "burst_interval_cv": interval_cv,
        "burst_median_s": median_hops * hop_s,
        "active_fraction": active.mean(),
        "log_peak": np.log10(max(peak.max(), 1e-6)),
        "log_level_mean": np.log10(max(level.mean(), 1e-6)),
        "log_level_p90": np.log10(max(p90, 1e-6)),
        "level_cv": mid.std() / (mid.mean() + 1e-12),
        "modulation": modulation,
        "rise_s": plateau[0] * hop_s,
        "fall_s": (n - 1 - plateau[-1]) * hop_s,
        "log_broad_ratio": np.log10((broad_sq + 1e-12) / (mean_sq + 1e-12)),
        "spike_only_fraction": spike_only.mean(),
        "log_broad_level": np.log10(max(broad.mean(), 1e-6)),
        "core_s": (core[-1] - core[0] + 1) * hop_s,
        "rhythm_hz": rhythm_hz,
        "rhythm_share": rhythm,
        "level_uv": np.sqrt(mean_sq),
    }


def _ref_rhythm(peak, rate):
    """The strongest discharge rhythm of a peak series, by its definition, with loops."""
    centre = np.median(peak)
    spread = np.median(np.abs(peak - centre)) + 1e-12
    x = np.clip(peak - centre, -6 * spread, 6 * spread)
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freq = np.fft.rfftfreq(x.size, d=1.0 / rate)
    band = [i for i, f in enumerate(freq)
            if RHYTHM_BAND_HZ[0] <= f <= min(RHYTHM_BAND_HZ[1], 0.45 * rate)]
    w = max(1, round(RHYTHM_PEAK_WIDTH_HZ / freq[1]))
    near = {i: sum(spec[j] for j in range(max(0, i - w), min(spec.size, i + w + 1)))
            for i in band}
    best = max(band, key=lambda i: near[i])
    return freq[best], min(near[best] / sum(spec[i] for i in band), 1.0)


def _ref_features(ep, partner, hops, windows, geo, gap):
    """One episode's feature vector, computed alone with plain numpy on the tables."""
    c, s, e = ep.channel, ep.start_hop, ep.end_hop
    floor = hops.get("floor", s, s + 1)[0]
    paired = partner is not None and np.isfinite(floor[partner]) and floor[partner] > 0
    own = _ref_channel(hops, c, s, e, geo.hop_s, gap)
    out = {name: v for name, v in own.items() if name != "level_uv"}

    hop = windows.get("hop", windows.start, windows.stop)
    values = windows.get("values", windows.start, windows.stop)
    sel = (hop >= s) & (hop <= min(e + geo.feature_hops, ep.decided_hop))

    def window_mean(name, k):
        return values[sel, WINDOW_FEATURES.index(name), k].mean() if sel.any() else 0.0

    out.update({name: window_mean(name, c) for name in WINDOW_FEATURES})
    level = hops.get("level", s, e + 1)
    partner_names = [n for n in FEATURE_NAMES if n.startswith("partner_")]
    out.update({name: 0.0 for name in partner_names}, has_partner=0.0)
    if paired:
        other = _ref_channel(hops, partner, s, e, geo.hop_s, gap)
        out.update({name: other[name[len("partner_"):]] for name in partner_names
                    if name[len("partner_"):] in other})
        a, b = level[:, c], level[:, partner]
        corr = np.corrcoef(a, b)[0, 1] if a.size >= 3 else 0.0
        out.update(partner_kurtosis=window_mean("kurtosis", partner), has_partner=1.0,
                   partner_log_ratio=np.log10((other["level_uv"] + 1e-9)
                                              / (own["level_uv"] + 1e-9)),
                   partner_envelope_corr=corr)
    # The others exclude the partner channel even when its floor is unknown.
    others = [k for k in range(level.shape[1]) if k not in (c, partner)]
    active = hops.get("active", s, e + 1)
    out["others_active_fraction"] = active[:, others].mean()
    out["others_log_ratio"] = np.log10((level[:, others].mean() + 1e-9)
                                       / (level[:, c].mean() + 1e-9))
    assert set(out) == set(FEATURE_NAMES)
    return np.array([out[name] for name in FEATURE_NAMES])


def _ref_episodes():
    return [Episode(channel=c, start_hop=s, end_hop=e, bursts=[], decided_hop=d)
            for c, s, e, d, _ in REF_EPISODES], [p for *_, p in REF_EPISODES]


def test_every_feature_matches_a_plain_per_episode_reference(ref_tables):
    hops, windows = ref_tables
    eps, partners = _ref_episodes()
    got = episode_features(eps, partners, hops, windows, GEO, GEO.burst_gap_hops)
    col = {k: i for i, k in enumerate(FEATURE_NAMES)}
    assert got[2, col["modulation"]] > 0 and got[2, col["partner_modulation"]] > 0
    for i, (ep, partner) in enumerate(zip(eps, partners, strict=True)):
        expected = _ref_features(ep, partner, hops, windows, GEO, GEO.burst_gap_hops)
        for j, name in enumerate(FEATURE_NAMES):
            np.testing.assert_allclose(got[i, j], expected[j], rtol=1e-9, atol=1e-12,
                                       err_msg=f"episode {i} ({ep}), feature {name}")


@pytest.mark.parametrize("i", [i for i, (c, s, *_, p) in enumerate(REF_EPISODES)
                               if p is not None and (s, p) in UNKNOWN_FLOOR])
def test_a_partner_without_a_known_floor_is_no_partner_but_not_an_other(ref_tables, i):
    # Its levels cannot be put in noise-floor units, so no partner features; it is still
    # the episode's partner muscle, so it must not count among the "other" channels.
    hops, windows = ref_tables
    eps, partners = _ref_episodes()
    ep, partner = eps[i], partners[i]
    s, e = ep.start_hop, ep.end_hop
    floor = hops.get("floor", s, s + 1)[0, partner]
    assert not (np.isfinite(floor) and floor > 0)
    f = episode_features([ep], [partner], hops, windows, GEO, GEO.burst_gap_hops)[0]
    col = {k: j for j, k in enumerate(FEATURE_NAMES)}
    assert f[col["has_partner"]] == 0.0
    assert all(f[col[n]] == 0.0 for n in FEATURE_NAMES if n.startswith("partner_"))
    others = [k for k in range(REF_CH) if k not in (ep.channel, partner)]
    active = hops.get("active", s, e + 1)
    level = hops.get("level", s, e + 1)
    assert f[col["others_active_fraction"]] == pytest.approx(active[:, others].mean())
    assert f[col["others_log_ratio"]] == pytest.approx(
        np.log10((level[:, others].mean() + 1e-9) / (level[:, ep.channel].mean() + 1e-9)))


def test_steady_slow_discharges_have_a_strong_rhythm_and_irregular_ones_do_not():
    """Rigidity's few units at a steady 6 Hz vs irregular (cramp-like) discharges."""
    rng = np.random.default_rng(3)
    rate, n = 100.0, 1000  # 10 s of 10 ms hops
    steady = np.ones(n)
    steady[np.round(np.cumsum(rng.normal(1 / 6.0, 0.005, 60)) * rate).astype(int)[:55]] = 20.0
    irregular = np.ones(n)
    irregular[rng.choice(n, 60, replace=False)] = 20.0
    hz, share = discharge_rhythm(steady, rate)
    assert abs(hz - 6.0) < 1.0  # RHYTHM_PEAK_WIDTH_HZ
    assert share > 1.5 * discharge_rhythm(irregular, rate)[1]
