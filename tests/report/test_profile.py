"""RecordingProfile: values against NumPy on known signals, chunk invariance, serialisation."""

from __future__ import annotations

import itertools
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from emgspasm.dsp.filters import design_emg_filter
from emgspasm.report.profile import (
    CLIP_MIN_LEVELS,
    FLAT_MIN_RUN_S,
    RecordingProfile,
)

FS = 1000.0


def _profile(x: np.ndarray, fs: float = FS, chunk: int = 997, **kwargs) -> RecordingProfile:
    p = RecordingProfile(fs, [f"ch{i + 1}" for i in range(x.shape[1])], **kwargs)
    for i in range(0, x.shape[0], chunk):
        p.update(x[i:i + chunk])
    return p


def _sine(freq: float, amplitude: float, n: int, fs: float = FS) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(n) / fs + 0.3)


def _band_limited_sigma(sigma: float, fs: float) -> float:
    """σ of white noise after the strip's band-pass: σ² times the mean of |H|² up to Nyquist."""
    _, h = signal.sosfreqz(design_emg_filter(fs, mains_hz=None), worN=1 << 16, fs=fs)
    return sigma * float(np.sqrt(np.mean(np.abs(h) ** 2)))


def test_mains_sine_reads_its_rms() -> None:
    """A 50 Hz hum of amplitude A reads A/√2 µV of mains; its band-passed RMS is the same."""
    x = np.column_stack([_sine(50.0, 20.0, 20_000), _sine(60.0, 5.0, 20_000)])
    p = _profile(x)
    assert p.mains_uv == pytest.approx([20 / np.sqrt(2), 5 / np.sqrt(2)], rel=0.03)
    # steady state, past the filters' start-up (first bins)
    assert np.nanmedian(p.strip_rms_uv, axis=1) == pytest.approx(
        [20 / np.sqrt(2), 5 / np.sqrt(2)], rel=0.01)
    assert np.nanmedian(p.strip_mains_uv, axis=1) == pytest.approx(
        [20 / np.sqrt(2), 5 / np.sqrt(2)], rel=0.01)


def test_mains_is_small_on_white_noise_and_broadband_emg() -> None:
    """Noise leaks into the narrow mains lines only a little (π/2 Hz per line)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((60_000, 2)) * 10.0
    p = _profile(x)
    n_lines = len(p.mains_lines_hz)
    assert n_lines == 6  # 50, 100, 150, 60, 120, 180 Hz
    expected = 10.0 * np.sqrt(n_lines * (np.pi / 2) / (FS / 2))
    assert p.mains_uv == pytest.approx([expected] * 2, rel=0.15)
    assert (p.mains_uv < 0.2 * p.noise_floor_uv).all()


@pytest.mark.parametrize("fs", [250.0, 1000.0, 2000.0])
def test_noise_floor_of_white_noise(fs: float) -> None:
    """White noise of σ: the floor is the band-limited σ, lowered by the 5th percentile of
    1-s RMS values. Over B Hz of noise bandwidth a 1-s RMS averages 2B independent squares,
    so it spreads by sqrt(1 / 4B) relative, and its 5th percentile sits 1.645 spreads low."""
    rng = np.random.default_rng(2)
    sigma = 4.0
    x = rng.standard_normal((int(120 * fs), 3)) * sigma
    p = _profile(x, fs=fs, chunk=4321)
    band_limited = _band_limited_sigma(sigma, fs)
    bandwidth = (band_limited / sigma) ** 2 * fs / 2
    expected = band_limited * (1 - 1.645 * np.sqrt(1 / (4 * bandwidth)))
    assert p.noise_floor_uv == pytest.approx([expected] * 3, rel=0.03)


def test_noise_floor_ignores_activity() -> None:
    """Bursts of activity over a third of the recording leave the floor at the noise."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((90_000, 1)) * 3.0
    x[30_000:60_000] *= 50.0
    p = _profile(x)
    assert p.noise_floor_uv[0] == pytest.approx(_band_limited_sigma(3.0, FS), rel=0.1)
    assert np.nanmax(p.strip_rms_uv) > 40 * p.noise_floor_uv[0]


def test_clipped_sine_clip_fraction() -> None:
    """A sine clipped at ±c: the fraction of samples sitting at ±c, as NumPy counts them."""
    rng = np.random.default_rng(4)
    x = _sine(7.0, 1000.0, 30_000) + rng.standard_normal(30_000) * 5.0
    rail = 800.0
    clipped = np.clip(x, -rail, rail)
    p = _profile(np.column_stack([clipped, x]))
    expected = np.count_nonzero(np.abs(clipped) == rail) / clipped.size
    assert expected > 0.2
    assert p.clip_fraction[0] == pytest.approx(expected, abs=1e-12)
    assert p.clip_fraction[1] == 0.0  # unclipped: each extreme occurs once
    assert p.max_uv[0] == rail and p.min_uv[0] == -rail


def test_one_rail_only() -> None:
    x = _sine(3.0, 100.0, 10_000) + np.random.default_rng(10).standard_normal(10_000)
    p = _profile(np.minimum(x, 90.0)[:, None])
    assert p.clip_fraction[0] == pytest.approx(np.mean(np.minimum(x, 90.0) == 90.0))


def test_clipping_not_assessed_on_coarse_quantisation() -> None:
    """Few quantisation levels (a quiet 8-bit channel): the extremes recur by chance, so the
    clip fraction is NaN (not assessable), not a false alarm."""
    rng = np.random.default_rng(5)
    coarse = np.round(rng.standard_normal(20_000) * 2.0) * 0.5  # ~16 levels of 0.5 µV
    fine = rng.standard_normal(20_000) * 2.0
    p = _profile(np.column_stack([coarse, fine]))
    span = (coarse.max() - coarse.min()) / 0.5
    assert span < CLIP_MIN_LEVELS
    assert np.isnan(p.clip_fraction[0])
    assert p.clip_fraction[1] == 0.0


def test_flat_fraction_counts_long_runs_only() -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal((20_000, 2)) * 5.0
    x[5_000:5_700, 0] = x[4_999, 0]  # lead-off: 0.7 s at the last value, plus the sample before
    x[9_000:10_000, 0] = 0.0  # 1 s flat at zero
    short = round(FLAT_MIN_RUN_S * FS) - 2
    x[12_000:12_000 + short, 1] = 3.0  # a run shorter than FLAT_MIN_RUN_S: not a flat line
    p = _profile(x, chunk=333)
    assert p.flat_fraction[0] == pytest.approx((701 + 1000) / 20_000)
    assert p.flat_fraction[1] == 0.0


def test_dc_offset_does_not_ring() -> None:
    """A raw front end's DC offset changes neither the floor nor the mains reading."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((30_000, 1)) * 5.0
    a, b = _profile(x), _profile(x + 50_000.0)
    assert b.noise_floor_uv == pytest.approx(a.noise_floor_uv, rel=1e-6)
    assert b.mains_uv == pytest.approx(a.mains_uv, rel=1e-6)
    assert np.nanmax(b.strip_rms_uv) < 2 * np.nanmax(a.strip_rms_uv)


def test_gaps_move_the_clock_and_leave_empty_bins() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5_000, 2))
    p = RecordingProfile(FS, ["a", "b"], strip_s=1.0)
    p.update(x[:1_500])
    p.add_gap(2_700)  # 1.5 s .. 4.2 s missing
    p.update(x[1_500:])
    p.add_gap(300)  # the recording ends in a gap
    assert p.gaps == [(1_500, 2_700), (5_000, 300)]
    assert p.n_samples == 5_000 and p.n_missing == 3_000
    assert p.duration_s == pytest.approx(8.0)
    assert p.strip_count.tolist() == [1000, 500, 0, 0, 800, 1000, 1000, 700]
    assert p.strip_times_s.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert np.isnan(p.strip_rms_uv[:, 2:4]).all()
    assert np.isfinite(p.strip_rms_uv[:, [0, 1, 4, 5, 6, 7]]).all()


def _messy_signal() -> np.ndarray:
    """Noise, a burst, hum, a clipped stretch and a flat stretch, on a 0.1 µV grid."""
    rng = np.random.default_rng(9)
    n = 3_300
    x = rng.standard_normal((n, 3)) * 4.0
    x[800:1400, 0] *= 40.0
    x[:, 1] += _sine(50.0, 30.0, n, fs=500.0)
    x[:, 2] = np.clip(x[:, 2], -6.0, 6.0)
    x[2000:2200, 1] = 1.0
    return np.round(x, 1)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 700), min_size=1, max_size=30),
    gap_at=st.integers(0, 3_300),
    strip_s=st.sampled_from([0.25, 1.0, 0.333]),
)
def test_chunk_invariance(sizes: list[int], gap_at: int, strip_s: float) -> None:
    """Any chunking (with a gap somewhere) gives a bit-identical profile."""
    x = _messy_signal()

    def run(cuts: list[int]) -> dict:
        p = RecordingProfile(500.0, ["a", "b", "c"], strip_s=strip_s)
        bounds = sorted({0, x.shape[0], gap_at, *cuts})
        for lo, hi in itertools.pairwise(bounds):
            if lo == gap_at:
                p.add_gap(123)
            p.update(x[lo:hi])
        if gap_at == x.shape[0]:
            p.add_gap(123)
        return p.to_dict()

    cuts = [c for c in np.cumsum(sizes).tolist() if c < x.shape[0]]
    assert run(cuts) == run([])


def test_single_sample_chunks_match_one_block() -> None:
    x = _messy_signal()[:1200]
    one = RecordingProfile(500.0, ["a", "b", "c"], strip_s=0.1)
    one.update(x)
    single = RecordingProfile(500.0, ["a", "b", "c"], strip_s=0.1)
    for row in x:
        single.update(row[None])
    assert single.to_dict() == one.to_dict()


def test_dict_round_trip_through_json_and_pickle() -> None:
    p = RecordingProfile(500.0, ["a", "b", "c"])
    x = _messy_signal()
    p.update(x[:1000])
    p.add_gap(600)  # a whole empty bin: NaN in the strips
    p.update(x[1000:])
    d = p.to_dict()
    text = json.dumps(d, allow_nan=False)  # strict JSON: NaN became null
    restored = RecordingProfile.from_dict(json.loads(text))
    assert restored.to_dict() == d
    assert np.array_equal(restored.strip_rms_uv, p.strip_rms_uv, equal_nan=True)
    assert restored.gaps == p.gaps and restored.duration_s == p.duration_s
    with pytest.raises(ValueError, match="restored"):
        restored.update(x[:10])

    live = pickle.loads(pickle.dumps(p))
    live.update(x[:500])
    p.update(x[:500])
    assert live.to_dict() == p.to_dict()


def test_from_dict_rejects_unknown_layouts() -> None:
    d = RecordingProfile(500.0, ["a"]).to_dict()
    with pytest.raises(ValueError, match="version"):
        RecordingProfile.from_dict({**d, "version": 99})
    del d["mains_uv"]
    with pytest.raises(ValueError, match="mains_uv"):
        RecordingProfile.from_dict(d)


def test_empty_profile_is_serialisable() -> None:
    p = RecordingProfile(500.0, ["a", "b"])
    d = p.to_dict()
    assert d["duration_s"] == 0.0 and d["strip_count"] == []
    assert d["noise_floor_uv"] == [None, None]
    json.dumps(d, allow_nan=False)


def test_bad_input_is_refused() -> None:
    p = RecordingProfile(500.0, ["a", "b"])
    with pytest.raises(ValueError, match="shape"):
        p.update(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        p.update(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="n_missing"):
        p.add_gap(0)
    with pytest.raises(ValueError, match="fs"):
        RecordingProfile(0.0, ["a"])


def test_low_rate_keeps_lines_inside_the_band() -> None:
    """At 200 Hz (Myo) the band is 20-90 Hz: only the 50 and 60 Hz lines are measured."""
    assert RecordingProfile(200.0, ["a"]).mains_lines_hz == (50.0, 60.0)
    assert RecordingProfile(2000.0, ["a"], mains_hz=(60.0,)).mains_lines_hz == (60.0, 120.0,
                                                                               180.0)


def test_mains_frequency_forms() -> None:
    """One frequency, several, or none (then the mains level is NaN, not 0)."""
    assert RecordingProfile(1000.0, ["a"], mains_hz=60.0).mains_lines_hz == (60.0, 120.0, 180.0)
    none = RecordingProfile(1000.0, ["a"], mains_hz=None)
    none.update(np.random.default_rng(11).standard_normal((3000, 1)))
    assert none.mains_lines_hz == () and np.isnan(none.mains_uv[0])
    assert RecordingProfile.from_dict(none.to_dict()).to_dict() == none.to_dict()
