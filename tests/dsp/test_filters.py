"""Filter design across sampling rates, and exact chunk invariance of the streaming filter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from emgspasm.dsp import (  # the public names under test: the package's list, in part
    NYQUIST_FRACTION,
    StreamingFilter,
    design_emg_filter,
    emg_clean,
    notch_frequencies,
    pass_band,
)

from ._helpers import RATES_HZ, split_points


def gain_db(sos: np.ndarray, freq_hz: float, fs: float) -> float:
    _, h = signal.sosfreqz(sos, worN=[freq_hz], fs=fs)
    return float(20 * np.log10(np.abs(h[0]) + 1e-300))


# A frequency inside every rate's pass band and >= 10 Hz from any mains notch.
MID_BAND_HZ = {200.0: 40.0, 250.0: 80.0, 500.0: 80.0, 1000.0: 80.0, 2000.0: 80.0, 4000.0: 80.0}


@pytest.mark.parametrize("fs", RATES_HZ)
def test_design_passes_emg_and_rejects_motion_and_mains(fs: float) -> None:
    sos = design_emg_filter(fs)
    assert sos.ndim == 2 and sos.shape[1] == 6 and sos.dtype == np.float64
    assert abs(gain_db(sos, MID_BAND_HZ[fs], fs)) < 0.5
    assert gain_db(sos, 5.0, fs) < -40.0
    assert gain_db(sos, 50.0, fs) < -60.0
    assert gain_db(sos, 60.0, fs) < -60.0
    # Stable: every pole strictly inside the unit circle.
    _, poles, _ = signal.sos2zpk(sos)
    assert np.all(np.abs(poles) < 1.0)


@pytest.mark.parametrize("fs", RATES_HZ)
def test_upper_edge_follows_nyquist(fs: float) -> None:
    low, high = pass_band(fs)
    assert low == 20.0
    assert high == min(450.0, NYQUIST_FRACTION * fs / 2)
    assert gain_db(design_emg_filter(fs, mains_hz=None), high, fs) == pytest.approx(-3.01, abs=0.05)


def test_200hz_myo_band_is_20_to_90() -> None:
    assert pass_band(200.0) == (20.0, 90.0)
    sos = design_emg_filter(200.0)
    assert gain_db(sos, 99.0, 200.0) < -20.0


@pytest.mark.parametrize("fs", [10.0, 40.0, 50.0])
def test_too_low_rate_raises_clear_error(fs: float) -> None:
    with pytest.raises(ValueError, match="no EMG pass band"):
        design_emg_filter(fs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"band": (450.0, 20.0)},
        {"band": (0.0, 100.0)},
        {"order": 0},
        {"notch_q": 0.0},
        {"mains_hz": -50.0},
        {"ecg_highpass_hz": 95.0},
    ],
)
def test_bad_parameters_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        design_emg_filter(200.0, **kwargs)


@pytest.mark.parametrize("fs", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_rate_raises(fs: float) -> None:
    with pytest.raises(ValueError, match="fs"):
        design_emg_filter(fs)


def test_notches_skip_nyquist_and_out_of_band() -> None:
    # 200 Hz: the 100 Hz harmonic is Nyquist itself -> skipped; one notch, 4 band-pass sections.
    assert notch_frequencies(200.0, mains_hz=50.0) == (50.0,)
    assert design_emg_filter(200.0, mains_hz=50.0).shape == (5, 6)
    # 250 Hz: 120 Hz (0.96 Nyquist) is above the 112.5 Hz band edge -> skipped.
    assert notch_frequencies(250.0, mains_hz=60.0) == (60.0,)
    assert notch_frequencies(250.0, mains_hz=50.0) == (50.0, 100.0)
    # 1 kHz: harmonics up to the 450 Hz edge, the shared 300 Hz notched once.
    both = notch_frequencies(1000.0)
    assert both.count(300.0) == 1
    assert max(both) == 450.0 and len(both) == 15


def test_mains_forms() -> None:
    n_bandpass = design_emg_filter(1000.0, mains_hz=None).shape[0]
    assert n_bandpass == 4
    assert notch_frequencies(1000.0, mains_hz=None) == ()
    assert notch_frequencies(1000.0, mains_hz=60.0, harmonics=False) == (60.0,)
    assert notch_frequencies(1000.0, mains_hz=[50.0], harmonics=False) == (50.0,)
    assert design_emg_filter(1000.0, mains_hz=(50.0,), harmonics=False).shape == (5, 6)


def test_notch_outside_ecg_raised_band_is_skipped() -> None:
    assert notch_frequencies(1000.0, mains_hz=25.0, harmonics=False) == (25.0,)
    assert notch_frequencies(1000.0, mains_hz=25.0, harmonics=False, ecg_highpass_hz=30.0) == ()


@pytest.mark.parametrize("fs", RATES_HZ)
def test_ecg_highpass_adds_attenuation_below_30hz(fs: float) -> None:
    plain = design_emg_filter(fs)
    ecg = design_emg_filter(fs, ecg_highpass_hz=30.0)
    assert ecg.shape[0] == plain.shape[0] + 2  # an order-4 high-pass is two sections
    assert gain_db(ecg, 20.0, fs) < gain_db(plain, 20.0, fs) - 10.0
    assert gain_db(ecg, 10.0, fs) < -60.0
    assert abs(gain_db(ecg, MID_BAND_HZ[fs], fs)) < 0.5


@pytest.mark.parametrize("fs", [200.0, 1000.0])
def test_streaming_matches_offline_sosfilt(fs: float) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3000, 4)) * 50.0
    sos = design_emg_filter(fs)
    reference = signal.sosfilt(sos, x, axis=0)
    filt = StreamingFilter(sos, n_channels=4)
    cuts = np.sort(rng.choice(np.arange(1, 3000), size=40, replace=False))
    out = np.concatenate([filt.process(part) for part in np.split(x, cuts)])
    assert np.array_equal(out, reference)
    assert np.array_equal(emg_clean(x, fs=fs), reference)


@settings(max_examples=60, deadline=None)
@given(
    fs=st.sampled_from(RATES_HZ),
    n_channels=st.integers(1, 3),
    n=st.integers(0, 300),
    sizes=st.lists(st.integers(0, 40), min_size=1, max_size=60),
    seed=st.integers(0, 2**32 - 1),
)
def test_chunk_invariance_is_bit_exact(
    fs: float, n_channels: int, n: int, sizes: list[int], seed: int
) -> None:
    x = np.random.default_rng(seed).standard_normal((n, n_channels)) * 100.0
    sos = design_emg_filter(fs, ecg_highpass_hz=30.0)
    whole = StreamingFilter(sos, n_channels).process(x)
    chunked = StreamingFilter(sos, n_channels)
    parts = np.split(x, split_points(n, sizes))
    parts.insert(len(parts) // 2, x[:0])  # an explicit empty block mid-stream
    out = np.concatenate([chunked.process(p) for p in parts])
    assert np.array_equal(out, whole)


def test_one_sample_blocks_bit_exact() -> None:
    x = np.random.default_rng(5).standard_normal((500, 2))
    sos = design_emg_filter(250.0)
    filt = StreamingFilter(sos, 2)
    out = np.concatenate([filt.process(x[i : i + 1]) for i in range(len(x))])
    assert np.array_equal(out, emg_clean(x, fs=250.0))


def test_empty_block_leaves_state_alone() -> None:
    filt = StreamingFilter(design_emg_filter(500.0), 3)
    filt.process(np.ones((10, 3)))
    before = filt.zi
    out = filt.process(np.empty((0, 3)))
    assert out.shape == (0, 3)
    assert np.array_equal(filt.zi, before)


def test_reset_restores_zero_state() -> None:
    sos = design_emg_filter(1000.0)
    x = np.random.default_rng(7).standard_normal((200, 2))
    filt = StreamingFilter(sos, 2)
    filt.process(x)
    filt.reset()
    assert not filt.zi.any()
    assert np.array_equal(filt.process(x), StreamingFilter(sos, 2).process(x))


def test_zi_is_a_copy() -> None:
    filt = StreamingFilter(design_emg_filter(1000.0), 1)
    filt.process(np.ones((5, 1)))
    zi = filt.zi
    zi[...] = 0.0
    assert filt.zi.any()


@pytest.mark.parametrize("shape", [(10,), (10, 3), (10, 2, 1)])
def test_wrong_block_shape_raises(shape: tuple[int, ...]) -> None:
    filt = StreamingFilter(design_emg_filter(1000.0), 2)
    with pytest.raises(ValueError, match="shape"):
        filt.process(np.zeros(shape))


def test_bad_constructor_arguments_raise() -> None:
    with pytest.raises(ValueError):
        StreamingFilter(np.zeros((3, 5)), 1)
    with pytest.raises(ValueError):
        StreamingFilter(design_emg_filter(1000.0), 0)


def test_emg_clean_honours_axis_and_is_causal() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((800, 3))
    y = emg_clean(x, fs=500.0, ecg_highpass_hz=30.0)
    assert np.array_equal(emg_clean(x.T, fs=500.0, axis=1, ecg_highpass_hz=30.0), y.T)
    # Changing the future cannot change the past.
    x2 = x.copy()
    x2[400:] = rng.standard_normal((400, 3)) * 1e3
    assert np.array_equal(emg_clean(x2, fs=500.0, ecg_highpass_hz=30.0)[:400], y[:400])


def test_emg_clean_removes_mains_and_keeps_emg_band() -> None:
    fs = 1000.0
    t = np.arange(int(4 * fs)) / fs
    emg_like = np.sin(2 * np.pi * 80.0 * t)
    y = emg_clean(emg_like + 5.0 * np.sin(2 * np.pi * 50.0 * t) + 20.0, fs=fs)
    settled = slice(int(fs), None)  # skip the start-up transient
    residual = y[settled] - emg_clean(emg_like, fs=fs)[settled]
    assert np.sqrt(np.mean(residual**2)) < 0.02
    assert np.sqrt(np.mean(y[settled] ** 2)) == pytest.approx(np.sqrt(0.5), rel=0.02)


def test_the_streaming_filter_equals_sosfilt_bit_for_bit_in_any_chunking():
    # StreamingFilter calls scipy's compiled kernel directly (skipping sosfilt's per-call
    # checks): the output and the carried state must stay sosfilt's, bit for bit.
    from scipy import signal

    from emgspasm.dsp import filters

    sos = filters.design_emg_filter(2000.0)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30_000, 5)) * 40.0
    ref, ref_zi = signal.sosfilt(sos, x, axis=0, zi=np.zeros((sos.shape[0], 2, 5)))
    f = filters.StreamingFilter(sos, 5)
    parts, i = [], 0
    while i < x.shape[0]:
        k = int(rng.integers(0, 2500))
        parts.append(f.process(x[i:i + k]))
        i += k
    assert np.array_equal(np.concatenate(parts), ref)
    assert np.array_equal(f.zi, ref_zi)
