"""Cross-channel window features: co-activation, correlation, localisation, common mode."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.dsp import CROSS_CHANNEL_NAMES, cross_channel_features, sliding_windows


def windows_of(*channels: np.ndarray) -> np.ndarray:
    return np.stack(channels, axis=-1)[None]


def test_identical_channels() -> None:
    x = np.random.default_rng(0).standard_normal(300)
    f = cross_channel_features(windows_of(x, x, x), pairs=[(0, 1), (1, 2)])
    np.testing.assert_allclose(f["pair_corr"], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f["coactivation"], 1.0, rtol=0, atol=0)
    np.testing.assert_allclose(f["common_mode"], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(f["localisation"], 1 / 3, rtol=1e-12)


def test_inverted_and_scaled_channel() -> None:
    x = np.random.default_rng(1).standard_normal(300)
    f = cross_channel_features(windows_of(x, -0.25 * x), pairs=[(0, 1)])
    assert f["pair_corr"][0, 0] == pytest.approx(-1.0)
    assert f["coactivation"][0, 0] == pytest.approx(0.25)
    np.testing.assert_allclose(f["localisation"][0], [0.8, 0.2])
    np.testing.assert_allclose(f["common_mode"][0], [1.0, 1.0])


def test_independent_channels_are_uncorrelated() -> None:
    rng = np.random.default_rng(2)
    w = rng.standard_normal((1, 20_000, 4))
    f = cross_channel_features(w, pairs=[(0, 1), (2, 3)])
    assert np.all(np.abs(f["pair_corr"]) < 0.05)
    assert np.all(f["common_mode"] < 0.05)
    assert np.all(f["coactivation"] > 0.9)


def test_shared_artifact_raises_common_mode() -> None:
    rng = np.random.default_rng(3)
    emg = rng.standard_normal((1, 1000, 4))
    artifact = 10.0 * np.sin(2 * np.pi * np.arange(1000) / 200.0)[None, :, None]
    clean = cross_channel_features(emg, pairs=[])
    dirty = cross_channel_features(emg + artifact, pairs=[])
    assert np.all(dirty["common_mode"] > 0.9)
    assert np.all(clean["common_mode"] < 0.2)


def test_silent_channels_give_zeros_not_nan() -> None:
    x = np.random.default_rng(4).standard_normal(100)
    f = cross_channel_features(
        windows_of(x, np.zeros(100), np.full(100, 2.5)), pairs=[(0, 1), (1, 2)]
    )
    for arr in f.values():
        assert np.all(np.isfinite(arr))
    assert f["coactivation"][0, 0] == 0.0  # one active, one silent
    # A flat channel correlates with nothing.
    np.testing.assert_array_equal(f["pair_corr"], [[0.0, 0.0]])
    silent = cross_channel_features(np.zeros((2, 50, 3)), pairs=[(0, 2)])
    for name in CROSS_CHANNEL_NAMES:
        assert not silent[name].any(), name


def test_single_channel_and_no_pairs() -> None:
    f = cross_channel_features(np.random.default_rng(5).standard_normal((3, 40, 1)), pairs=[])
    assert f["coactivation"].shape == (3, 0)
    assert f["pair_corr"].shape == (3, 0)
    np.testing.assert_array_equal(f["localisation"], 1.0)
    np.testing.assert_array_equal(f["common_mode"], 0.0)


def test_shapes() -> None:
    w = sliding_windows(np.random.default_rng(6).standard_normal((600, 5)), 100, 50)
    f = cross_channel_features(w, pairs=[(0, 1), (3, 4), (4, 0)])
    assert tuple(f) == CROSS_CHANNEL_NAMES
    assert f["coactivation"].shape == f["pair_corr"].shape == (w.shape[0], 3)
    assert f["localisation"].shape == f["common_mode"].shape == (w.shape[0], 5)
    np.testing.assert_allclose(f["localisation"].sum(axis=1), 1.0)


@pytest.mark.parametrize("pairs", [[(0, 0)], [(0, 3)], [(-1, 1)]])
def test_bad_pairs_raise(pairs: list[tuple[int, int]]) -> None:
    with pytest.raises(ValueError, match="pair"):
        cross_channel_features(np.zeros((1, 10, 3)), pairs=pairs)


@settings(max_examples=30, deadline=None)
@given(
    n_windows=st.integers(1, 8),
    window=st.integers(3, 200),
    n_channels=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_batch_invariant(n_windows: int, window: int, n_channels: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n_windows, window, n_channels)) * 10.0 ** rng.uniform(-2, 3)
    pairs = [(i, (i + 1) % n_channels) for i in range(n_channels)]
    full = cross_channel_features(w, pairs=pairs)
    for i in range(n_windows):
        alone = cross_channel_features(w[i : i + 1], pairs=pairs)
        for name in CROSS_CHANNEL_NAMES:
            assert np.array_equal(alone[name], full[name][i : i + 1]), (name, i)


def test_a_subset_of_names_gives_the_same_values_as_the_full_set():
    w = np.random.default_rng(3).normal(size=(5, 64, 4))
    full = cross_channel_features(w, pairs=[(0, 1), (2, 3)])
    for names in (("common_mode",), ("coactivation",), ("pair_corr", "localisation")):
        part = cross_channel_features(w, pairs=[(0, 1), (2, 3)], names=names)
        assert list(part) == list(names)
        for k in names:
            np.testing.assert_array_equal(part[k], full[k])
    with pytest.raises(ValueError, match="unknown"):
        cross_channel_features(w, pairs=[], names=("nonsense",))
