"""MainsCanceller: causal, chunk-invariant, removes hum of either mains frequency, adds almost
nothing without hum, leaves no tail after a spike, and holds still under strong EMG.

Signals are band-passed noise (σ = its RMS, the unit of every bound) plus band-passed hum made
like real hum: a fundamental 0.05 Hz off nominal, odd harmonics of 10-50 % and even ones of
2-10 % up to the 7th (none above 0.45 fs), amplitude drifting slowly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.dsp import MainsCanceller, StreamingFilter, design_emg_filter


def _band(fs: float, x: np.ndarray) -> np.ndarray:
    return StreamingFilter(design_emg_filter(fs, mains_hz=None), x.shape[1]).process(x)


def _hum(fs: float, n: int, f0: float, rng: np.random.Generator, n_ch: int = 2,
         offset_hz: float = 0.05) -> np.ndarray:
    """Unit-RMS hum (before the slow drift), the same on every channel."""
    t = np.arange(n) / fs
    out = np.zeros(n)
    for k in range(1, 8):
        if k * f0 >= 0.45 * fs:
            continue
        rel = 1.0 if k == 1 else rng.uniform(0.1, 0.5) if k % 2 else rng.uniform(0.02, 0.1)
        out += rel * np.sin(2 * np.pi * k * (f0 + offset_hz) * t + rng.uniform(0, 2 * np.pi))
    out /= np.sqrt(np.mean(out ** 2))
    drift = np.exp(0.3 * np.sin(2 * np.pi * t / 60.0 + rng.uniform(0, 2 * np.pi)))
    return np.repeat((out * drift)[:, None], n_ch, axis=1)


def _scene(fs: float, f0: float | None, level: float, seconds: float, seed: int):
    """(band-passed noise, band-passed hum scaled to `level` σ, σ)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    noise = _band(fs, rng.standard_normal((n, 2)))
    sigma = float(noise.std())
    if f0 is None or level == 0:
        return noise, np.zeros_like(noise), sigma
    hum = _band(fs, _hum(fs, n, f0, rng))
    hum *= level * sigma / hum[int(fs):].std()
    return noise, hum, sigma


# -- causality and chunk invariance ----------------------------------------------------------
def test_causal_and_without_delay() -> None:
    fs = 1000.0
    noise, hum, _ = _scene(fs, 50.0, 5.0, 4.0, 0)
    x = noise + hum
    cut = 2345  # mid-block
    y = x.copy()
    y[cut:] = np.random.default_rng(1).normal(0, 100.0, size=y[cut:].shape)
    a = MainsCanceller(fs, 2).process(x)
    b = MainsCanceller(fs, 2).process(y)
    np.testing.assert_array_equal(a[:cut], b[:cut])  # the past does not see the future
    # No delay: a change at sample `cut` shows at sample `cut` itself, one for one.
    np.testing.assert_allclose(b[cut] - a[cut], y[cut] - x[cut], rtol=1e-12)


def _run(mc: MainsCanceller, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    out, at = [], 0
    for s in sizes:
        out.append(mc.process(x[at:at + s]))
        at += s
    out.append(mc.process(x[at:]))
    return np.concatenate(out)


@pytest.fixture(scope="module")
def chunk_case():
    fs = 1024.0  # a non-integer mains period and block
    noise, hum, sigma = _scene(fs, 60.0, 8.0, 5.0, 2)
    x = noise + hum
    x[3000:3010] += 60 * sigma  # a spike: a rejected block inside
    return fs, x, MainsCanceller(fs, 2).process(x)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=700), max_size=30))
def test_any_chunking_is_bit_identical(chunk_case, sizes: list[int]) -> None:
    fs, x, whole = chunk_case
    np.testing.assert_array_equal(_run(MainsCanceller(fs, 2), x, sizes), whole)


def test_one_sample_blocks_are_bit_identical(chunk_case) -> None:
    fs, x, whole = chunk_case
    n = 1500  # past the first blocks, the settle time and into the first floor period
    mc = MainsCanceller(fs, 2)
    ones = np.concatenate([mc.process(x[i:i + 1]) for i in range(n)])
    rest = mc.process(x[n:])
    np.testing.assert_array_equal(np.concatenate([ones, rest]), whole)


def test_restart_is_a_fresh_start() -> None:
    fs = 250.0
    noise, hum, _ = _scene(fs, 50.0, 5.0, 6.0, 3)
    x = noise + hum
    mc = MainsCanceller(fs, 2)
    mc.process(x[:777])
    mc.restart()
    np.testing.assert_array_equal(mc.process(x[777:]), MainsCanceller(fs, 2).process(x[777:]))


# -- removing hum ----------------------------------------------------------------------------
@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0, 1024.0, 2000.0])
@pytest.mark.parametrize("f0", [50.0, 60.0])
@pytest.mark.parametrize("level", [5.0, 10.0])
def test_removes_hum_of_the_mains_frequency_it_finds(fs: float, f0: float, level: float) -> None:
    noise, hum, sigma = _scene(fs, f0, level, 10.0, int(fs + f0 + level))
    mc = MainsCanceller(fs, 2)  # candidates 50 and 60 Hz: which one is found from the signal
    out = mc.process(noise + hum)
    residual = (out - noise)[int(3 * fs):]  # converged within 3 s
    assert residual.std() < 0.3 * sigma
    assert mc.mains_hz == f0
    assert mc.frequency_hz == pytest.approx(f0 + 0.05, abs=0.01)


@pytest.mark.parametrize("fs", [200.0, 1000.0, 2000.0])
def test_harmless_without_hum(fs: float) -> None:
    noise, _, _ = _scene(fs, None, 0.0, 20.0, 4)
    out = MainsCanceller(fs, 2).process(noise)
    tail = slice(int(2 * fs), None)
    assert np.mean(out[tail] ** 2) < 1.05 * np.mean(noise[tail] ** 2)


# -- no ringing, no learning from EMG --------------------------------------------------------
@pytest.mark.parametrize("fs", [250.0, 1000.0, 2000.0])
@pytest.mark.parametrize("amplitude", [60.0, 200.0])
def test_no_tail_after_an_isolated_muap(fs: float, amplitude: float) -> None:
    noise, hum, sigma = _scene(fs, 50.0, 5.0, 10.0, 5)
    at, width = int(7 * fs), max(3, int(0.01 * fs))
    muap = np.zeros_like(noise)
    muap[at:at + width, 0] = np.sin(2 * np.pi * (np.arange(width) + 0.5) / width)  # biphasic
    muap *= amplitude * sigma / np.abs(muap).max()
    with_muap = MainsCanceller(fs, 2).process(noise + hum + muap)
    without = MainsCanceller(fs, 2).process(noise + hum)
    added = (with_muap - without - muap)[at + int(0.05 * fs):at + int(0.3 * fs), 0]
    assert np.abs(added).max() < 1.0 * sigma


@pytest.mark.parametrize("fs", [250.0, 2000.0])
def test_strong_emg_is_not_learned_from(fs: float) -> None:
    noise, hum, sigma = _scene(fs, 60.0, 5.0, 14.0, 6)
    rng = np.random.default_rng(7)
    start, stop = int(6 * fs), int(10 * fs)
    emg = np.zeros_like(noise)
    emg[start:stop] = _band(fs, rng.standard_normal((stop - start, 2)))
    emg *= 100.0 * sigma / emg[start:stop].std()
    out = MainsCanceller(fs, 2).process(noise + hum + emg)
    residual = out - noise - emg
    assert np.mean(residual[start:stop] ** 2) < 0.03 * np.mean(emg[start:stop] ** 2)
    # It held its hum estimate: a second after the EMG the hum is still cancelled.
    assert residual[stop + int(fs):stop + int(3 * fs)].std() < 0.3 * sigma


def test_no_candidate_in_band_is_a_pass_through() -> None:
    mc = MainsCanceller(200.0, 1, mains_hz=(400.0,))
    x = np.random.default_rng(8).standard_normal((300, 1))
    assert not mc.active
    np.testing.assert_array_equal(mc.process(x), x)
