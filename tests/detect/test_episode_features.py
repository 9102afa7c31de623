"""Episode features: batch invariance, and the vectorized statistics against plain definitions."""

import numpy as np
import pytest

from emgspasm.detect.config import DetectorConfig, DetectorGeometry
from emgspasm.detect.episode_features import (
    FEATURE_NAMES,
    WINDOW_FEATURES,
    burst_stats,
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
