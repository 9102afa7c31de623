"""Per-channel window features: hand-checked values, spectra, and exact batch invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.dsp import FEATURE_NAMES, sliding_windows, window_features

from ._helpers import RATES_HZ, sine


def one(values: list[float] | np.ndarray) -> np.ndarray:
    """A single single-channel window."""
    return np.asarray(values, dtype=np.float64)[None, :, None]


def scalar(features: dict[str, np.ndarray], name: str) -> float:
    return float(features[name][0, 0])


def test_alternating_window_hand_case() -> None:
    f = window_features(one([1.0, -1.0, 1.0, -1.0]), fs=1000.0)
    assert scalar(f, "zc") == 3
    assert scalar(f, "wl") == 6
    assert scalar(f, "mav") == 1
    assert scalar(f, "rms") == 1
    assert scalar(f, "ssc") == 2  # the two interior samples are extrema
    assert scalar(f, "wamp") == 3
    assert scalar(f, "var") == pytest.approx(4 / 3)
    assert scalar(f, "skewness") == 0
    assert scalar(f, "kurtosis") == 1


def test_square_wave_kurtosis_is_one() -> None:
    f = window_features(one(np.tile([3.0, 3.0, -3.0, -3.0], 50)), fs=500.0)
    assert scalar(f, "kurtosis") == 1.0
    assert scalar(f, "skewness") == 0.0
    assert scalar(f, "env_cv") == 0.0  # constant rectified amplitude


def test_gaussian_noise_moments() -> None:
    x = np.random.default_rng(0).standard_normal(40_000)
    f = window_features(one(x), fs=1000.0)
    assert scalar(f, "kurtosis") == pytest.approx(3.0, abs=0.1)
    assert scalar(f, "skewness") == pytest.approx(0.0, abs=0.05)
    assert scalar(f, "var") == pytest.approx(1.0, rel=0.03)


def test_ssc_hand_case_with_threshold() -> None:
    assert scalar(window_features(one([0.0, 1.0, 0.0, 1.0, 0.0]), fs=100.0), "ssc") == 3
    # n=1 (max, step 2) counts; n=2 (min, steps 0.1) is below T=0.5; n=3 (max, step 2) counts.
    x = one([0.0, 2.0, 1.9, 2.0, 0.0])
    assert scalar(window_features(x, fs=100.0, thresholds=0.5), "ssc") == 2
    assert scalar(window_features(x, fs=100.0, thresholds=0.0), "ssc") == 3
    assert scalar(window_features(x, fs=100.0, thresholds=2.5), "ssc") == 0


def test_zc_and_wamp_thresholds() -> None:
    x = one([1.0, -0.01, 0.02, -1.0])
    assert scalar(window_features(x, fs=100.0, thresholds=0.5), "zc") == 2
    assert scalar(window_features(x, fs=100.0, thresholds=0.0), "zc") == 3
    assert scalar(window_features(x, fs=100.0, thresholds=0.5), "wamp") == 2
    # A quantised signal passing through an exact zero is one crossing.
    assert scalar(window_features(one([2.0, 0.0, -2.0]), fs=100.0, thresholds=0.0), "zc") == 1


def test_per_channel_thresholds() -> None:
    x = np.stack([[1.0, -0.01, 0.02, -1.0]] * 2, axis=-1)[None]
    f = window_features(x, fs=100.0, thresholds=np.array([0.0, 0.5]))
    np.testing.assert_array_equal(f["zc"], [[3.0, 2.0]])
    with pytest.raises(ValueError, match="thresholds"):
        window_features(x, fs=100.0, thresholds=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="thresholds"):
        window_features(x, fs=100.0, thresholds=-1.0)


def test_default_threshold_is_relative_to_window_rms() -> None:
    x = np.random.default_rng(1).standard_normal((1, 300, 1))
    # Scaling by a power of two is exact in floating point, so the counts must match exactly.
    small, big = window_features(x, fs=1000.0), window_features(1024.0 * x, fs=1000.0)
    for name in ("zc", "ssc", "wamp", "kurtosis", "median_freq", "env_cv"):
        assert np.array_equal(small[name], big[name]), name


@pytest.mark.parametrize("fs", RATES_HZ)
@pytest.mark.parametrize("fraction", [0.13, 0.27])
def test_pure_sine_mean_and_median_frequency(fs: float, fraction: float) -> None:
    n = 256
    f0 = fraction * fs
    f = window_features(one(sine(f0, fs, n)), fs=fs)
    bin_hz = fs / n
    assert scalar(f, "mean_freq") == pytest.approx(f0, abs=0.25 * bin_hz)
    assert scalar(f, "median_freq") == pytest.approx(f0, abs=0.25 * bin_hz)


def test_band_powers_follow_the_signal_and_nyquist() -> None:
    f = window_features(one(sine(100.0, 1000.0, 500)), fs=1000.0)
    assert scalar(f, "bp_50_150") > 0.99
    bands = ("bp_low", "bp_20_50", "bp_50_150", "bp_150_plus")
    assert sum(scalar(f, b) for b in bands) == pytest.approx(1.0)
    # At 200 Hz (Myo) there is no spectrum above 100 Hz: the band exists but is empty.
    noise = np.random.default_rng(2).standard_normal(400)
    g = window_features(one(noise), fs=200.0)
    assert scalar(g, "bp_150_plus") == 0.0
    assert sum(scalar(g, b) for b in bands) == pytest.approx(1.0)
    h = window_features(one(sine(30.0, 200.0, 400)), fs=200.0)
    assert scalar(h, "bp_20_50") > 0.99


def test_custom_bands() -> None:
    f = window_features(one(sine(100.0, 1000.0, 500)), fs=1000.0, bands={"mine": (90.0, 110.0)})
    assert scalar(f, "mine") > 0.99
    assert "bp_low" not in f


def test_env_cv_separates_bursts_from_steady_activity() -> None:
    rng = np.random.default_rng(3)
    steady = rng.standard_normal(500)
    burst = np.zeros(500)
    burst[240:270] = 5.0 * rng.standard_normal(30)
    f = window_features(np.stack([steady, burst], axis=-1)[None], fs=1000.0)
    cv_steady, cv_burst = f["env_cv"][0]
    assert cv_steady < 0.5 < 1.5 < cv_burst


def test_tkeo_mean_of_sine() -> None:
    fs, f0, amp = 1000.0, 40.0, 2.0
    f = window_features(one(sine(f0, fs, 300, amplitude=amp)), fs=fs)
    assert scalar(f, "tkeo_mean") == pytest.approx(amp**2 * np.sin(2 * np.pi * f0 / fs) ** 2)


@pytest.mark.parametrize("value", [0.0, 3.7, -1e-3])
def test_flat_windows_give_finite_zeros(value: float) -> None:
    f = window_features(np.full((2, 50, 3), value), fs=250.0)
    for name, arr in f.items():
        assert np.all(np.isfinite(arr)), name
    for name in ("skewness", "kurtosis", "var", "wl", "zc", "ssc", "wamp", "env_cv", "median_freq"):
        assert not f[name].any(), name


def test_shapes_keys_and_dtypes() -> None:
    w = sliding_windows(np.random.default_rng(4).standard_normal((1000, 5)), 100, 30)
    f = window_features(w, fs=500.0)
    assert tuple(f) == FEATURE_NAMES
    for arr in f.values():
        assert arr.shape == (w.shape[0], 5)
        assert arr.dtype == np.float64
    empty = window_features(np.zeros((0, 100, 5)), fs=500.0)
    assert all(arr.shape == (0, 5) for arr in empty.values())


@pytest.mark.parametrize("shape", [(10, 3), (1, 2, 3, 4), (4, 2, 3)])
def test_bad_windows_raise(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="window"):
        window_features(np.zeros(shape), fs=1000.0)


def test_bad_fs_raises() -> None:
    with pytest.raises(ValueError, match="fs"):
        window_features(np.zeros((1, 10, 1)), fs=0.0)


def assert_batch_invariant(windows: np.ndarray, fs: float, thresholds: np.ndarray | None) -> None:
    full = window_features(windows, fs=fs, thresholds=thresholds)
    for i in range(windows.shape[0]):
        alone = window_features(windows[i : i + 1], fs=fs, thresholds=thresholds)
        for name in FEATURE_NAMES:
            assert np.array_equal(alone[name], full[name][i : i + 1]), (name, i)


@settings(max_examples=40, deadline=None)
@given(
    fs=st.sampled_from(RATES_HZ),
    n_windows=st.integers(1, 9),
    window=st.integers(3, 300),
    n_channels=st.integers(1, 4),
    hop=st.integers(1, 50),
    use_view=st.booleans(),
    use_thresholds=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_window_features_are_batch_invariant(
    fs: float,
    n_windows: int,
    window: int,
    n_channels: int,
    hop: int,
    use_view: bool,
    use_thresholds: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-2, 3)
    if use_view:  # overlapping strided windows, exactly as the pipeline makes them
        x = rng.standard_normal(((n_windows - 1) * hop + window, n_channels)) * scale
        windows = sliding_windows(x, window, hop)
    else:
        windows = rng.standard_normal((n_windows, window, n_channels)) * scale
    thresholds = rng.uniform(0, 2 * scale, n_channels) if use_thresholds else None
    assert_batch_invariant(windows, fs, thresholds)


def test_same_window_from_different_recordings_gives_identical_features() -> None:
    """A window's features cannot depend on its neighbours or its position in the batch."""
    rng = np.random.default_rng(5)
    target = rng.standard_normal((256, 4))
    a = np.concatenate([rng.standard_normal((100, 4)), target])
    b = np.concatenate([rng.standard_normal((7, 4)), target, rng.standard_normal((999, 4))])
    wa = window_features(sliding_windows(a, 256, 100), fs=1000.0)
    wb = window_features(sliding_windows(b, 256, 1)[7:8], fs=1000.0)
    for name in FEATURE_NAMES:
        assert np.array_equal(wa[name][1], wb[name][0]), name
