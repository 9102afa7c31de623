"""Causal moving RMS and the Teager-Kaiser energy operator."""

from __future__ import annotations

import numpy as np
import pytest

from emgspasm.dsp import rms_envelope, teager_kaiser

from ._helpers import sine


def naive_trailing_rms(x: np.ndarray, n_win: int) -> np.ndarray:
    """Reference: zero-padded trailing mean of squares (vectorised via a padded sliding view)."""
    padded = np.concatenate([np.zeros((n_win - 1, *x.shape[1:])), x])
    view = np.lib.stride_tricks.sliding_window_view(padded, n_win, axis=0)
    return np.sqrt((view**2).mean(axis=-1))


def test_matches_reference_definition() -> None:
    x = np.random.default_rng(0).standard_normal((700, 3))
    env = rms_envelope(x, fs=1000.0, window_s=0.05)
    np.testing.assert_allclose(env, naive_trailing_rms(x, 50), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0, 4000.0])
def test_sine_envelope_is_amplitude_over_root_two(fs: float) -> None:
    x = sine(70.0 if fs < 300 else 100.0, fs, int(fs), amplitude=3.0)
    env = rms_envelope(x, fs=fs, window_s=0.2)  # several whole periods at every rate
    n_win = round(0.2 * fs)
    assert env[n_win:] == pytest.approx(3.0 / np.sqrt(2), rel=0.02)


def test_ramps_up_from_zero_history() -> None:
    env = rms_envelope(np.ones(100), fs=100.0, window_s=0.1)  # 10-sample window
    np.testing.assert_allclose(env[:10], np.sqrt(np.arange(1, 11) / 10))
    np.testing.assert_allclose(env[10:], 1.0)


def test_is_causal_and_non_negative() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(500)
    y = x.copy()
    y[300:] *= 1e6
    assert np.array_equal(rms_envelope(x, fs=500.0)[:300], rms_envelope(y, fs=500.0)[:300])
    assert np.all(rms_envelope(y, fs=500.0) >= 0)


def test_honours_axis() -> None:
    x = np.random.default_rng(2).standard_normal((400, 2))
    np.testing.assert_array_equal(rms_envelope(x.T, fs=250.0, axis=1), rms_envelope(x, fs=250.0).T)
    assert rms_envelope(np.empty((0, 2)), fs=250.0).shape == (0, 2)


@pytest.mark.parametrize("kwargs", [{"fs": 0.0}, {"fs": 100.0, "window_s": 0.0}])
def test_bad_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        rms_envelope(np.ones(10), **kwargs)


def test_tkeo_hand_case_and_zero_extended_edges() -> None:
    psi = teager_kaiser(np.array([1.0, 2.0, 3.0, 5.0]))
    # interior: 2*2 - 1*3 = 1, 3*3 - 2*5 = -1; edges x**2
    np.testing.assert_array_equal(psi, [1.0, 1.0, -1.0, 25.0])
    np.testing.assert_array_equal(teager_kaiser(np.array([2.0, -3.0])), [4.0, 9.0])


def test_tkeo_of_sine_is_constant() -> None:
    fs, f, amp = 1000.0, 37.0, 2.5
    psi = teager_kaiser(sine(f, fs, 300, amplitude=amp))
    expected = amp**2 * np.sin(2 * np.pi * f / fs) ** 2
    np.testing.assert_allclose(psi[1:-1], expected, rtol=1e-9)


def test_tkeo_honours_axis() -> None:
    x = np.random.default_rng(3).standard_normal((50, 4))
    np.testing.assert_array_equal(teager_kaiser(x.T, axis=1), teager_kaiser(x).T)
    np.testing.assert_array_equal(teager_kaiser(x, axis=0)[1:-1, 2], teager_kaiser(x[:, 2])[1:-1])
