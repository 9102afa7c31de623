"""The wide variety: what training covers beyond the standard ranges (params.py, "wide")."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from emgspasm.simulate import simulate


@pytest.fixture(scope="module")
def wide_sessions():
    return [simulate(180.0, fs=fs, n_channels=4, seed=seed, variety="wide")
            for seed, fs in ((1, 1000.0), (2, 200.0), (3, 2000.0), (4, 250.0), (5, 500.0))]


def test_the_standard_variety_is_unchanged_by_the_new_argument():
    a = simulate(30.0, fs=500.0, n_channels=2, seed=7)
    b = simulate(30.0, fs=500.0, n_channels=2, seed=7, variety="standard")
    np.testing.assert_array_equal(a.recording.samples, b.recording.samples)
    assert a.truth == b.truth


def test_an_unknown_variety_is_refused():
    with pytest.raises(ValueError, match="variety"):
        simulate(5.0, variety="exotic")


def test_wide_sessions_hold_the_hard_negatives(wide_sessions):
    kinds = Counter(ev.extra.get("kind") for s in wide_sessions for ev in s.truth
                    if ev.label == "voluntary")
    assert kinds["postural"] and kinds["strong"] and kinds["gait"], kinds
    postural = [ev for s in wide_sessions for ev in s.truth if ev.extra.get("kind") == "postural"]
    assert max(ev.end_s - ev.start_s for ev in postural) >= 20.0


def test_wide_hum_reaches_several_times_the_noise(wide_sessions):
    rel = np.concatenate([s.params["background"]["hum_rms_rel_noise"] for s in wide_sessions])
    assert rel.max() > 2.0
    assert all("hum_hz" in s.params["background"] for s in wide_sessions)


def test_armband_rates_may_be_quantised_to_8_bit_steps():
    for seed in range(12):
        sim = simulate(20.0, fs=200.0, n_channels=2, seed=seed, variety="wide")
        lsb = sim.params["background"]["lsb_uv"]
        if lsb is None:
            continue
        # params keep 6 significant digits: the step is known to ~1e-6 of itself
        steps = sim.recording.samples / (lsb * sim.params["gain"])
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
        assert np.round(steps).min() >= -128 and np.round(steps).max() <= 127
        assert np.unique(np.round(steps)).size > 5
        return
    pytest.fail("no 200 Hz wide session in 12 seeds was quantised")


def test_continuous_ecg_and_single_channel_rigidity_occur():
    ecg, single = False, False
    for seed in range(20):
        sim = simulate(60.0, fs=500.0, n_channels=2, seed=seed, variety="wide")
        ecg |= bool(sim.params["background"]["ecg_channels"])
        single |= any(ev.label == "rigidity" and len(ev.channels) == 1 for ev in sim.truth)
        if ecg and single:
            return
    pytest.fail(f"in 20 seeds: continuous ECG {ecg}, single-channel rigidity {single}")


def test_wide_cramps_run_past_a_minute_and_partners_can_be_free_of_crosstalk(wide_sessions):
    """Minute-long cramps and electrode pairs with no crosstalk at all are what other
    generators and real recordings hold; the standard ranges (≤ 60 s, 0–10 % crosstalk drawn
    uniformly) had almost none, and the classifier learnt a quirk of that."""
    durations = []
    for seed in range(40):
        sim = simulate(200.0, fs=250.0, n_channels=2, seed=seed, variety="wide",
                       scenario="cramp")
        durations += [ev.end_s - ev.start_s for ev in sim.truth if ev.label == "cramp"]
        if max(durations, default=0.0) > 60.0:
            break
    assert max(durations) > 60.0, sorted(durations)
    pair = {("ch1", "ch2"), ("ch2", "ch1"), ("ch3", "ch4"), ("ch4", "ch3")}
    fractions = np.array([lk["fraction"] for s in wide_sessions for lk in s.params["crosstalk"]
                          if (lk["source"], lk["target"]) in pair])
    # log-uniform over 0.1-15 %: a third below 0.5 % (uniform over 0-10 % gave one in twenty)
    assert np.mean(fractions < 0.005) >= 0.15 and fractions.max() > 0.03, fractions


def test_wide_muaps_can_be_shorter_than_the_standard_ones():
    wide = simulate(5.0, fs=1000.0, n_channels=2, seed=3, variety="wide")
    standard = simulate(5.0, fs=1000.0, n_channels=2, seed=3)
    def shortest(sim):
        return min(min(p["units"]["duration_ms"]) for p in sim.params["pools"])

    assert shortest(wide) < 10.0 <= shortest(standard)


def test_wide_baseline_wander_reaches_what_dc_coupled_front_ends_pass(wide_sessions):
    """Hundreds of µV of electrode drift (DC-coupled boards) in the wide variety; the standard
    ranges stop at 100 µV."""
    amplitudes = [a for s in wide_sessions for w in s.params["background"]["wander"]
                  for a in w["amplitude_uv"]]
    assert max(amplitudes) > 200.0, amplitudes
