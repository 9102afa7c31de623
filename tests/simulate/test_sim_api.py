"""Public API of emgspasm.simulate: shapes, reproducibility, overrides, validation, params."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emgspasm.simulate as sim_pkg
from emgspasm.events import LABELS
from emgspasm.simulate import SCENARIOS, Simulation, default_pairs, simulate


def test_scenarios_constant():
    assert SCENARIOS == ("mixed", "rest", "voluntary", "cramp", "twitch", "rigidity", "artifact")


def test_default_pairs():
    assert default_pairs(1) == []
    assert default_pairs(2) == [(0, 1)]
    assert default_pairs(5) == [(0, 1), (2, 3)]
    assert default_pairs(6) == [(0, 1), (2, 3), (4, 5)]


def test_same_seed_identical():
    a = simulate(20.0, fs=500.0, n_channels=3, seed=11)
    b = simulate(20.0, fs=500.0, n_channels=3, seed=11)
    np.testing.assert_array_equal(a.recording.samples, b.recording.samples)
    assert [e.to_dict() for e in a.truth] == [e.to_dict() for e in b.truth]
    assert a.params == b.params


def test_different_seeds_differ():
    a = simulate(20.0, fs=500.0, n_channels=2, seed=1)
    b = simulate(20.0, fs=500.0, n_channels=2, seed=2)
    assert not np.array_equal(a.recording.samples, b.recording.samples)
    assert a.params["pools"][0]["n_units"] != b.params["pools"][0]["n_units"] or (
        a.params["gain"] != b.params["gain"]
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0, 2000.0])
@pytest.mark.parametrize("n_channels", [1, 5])
def test_every_scenario_shape_finite_truth(scenario, fs, n_channels):
    duration = 30.0
    sim = simulate(duration, fs=fs, n_channels=n_channels, seed=5, scenario=scenario)
    rec = sim.recording
    assert isinstance(sim, Simulation)
    assert rec.samples.shape == (round(duration * fs), n_channels)
    assert rec.fs == fs
    assert rec.channels == [f"ch{i + 1}" for i in range(n_channels)]
    assert np.isfinite(rec.samples).all()
    names = set(rec.channels)
    for ev in sim.truth:
        assert 0.0 <= ev.start_s < ev.end_s <= duration
        assert ev.label in LABELS
        assert ev.confidence == 1.0
        assert ev.channels and set(ev.channels) <= names
        if scenario not in ("mixed", "rest"):
            assert ev.label == scenario
    if scenario == "rest":
        assert sim.truth == []
    elif scenario != "mixed":
        assert sim.truth, f"{scenario} produced no event in {duration} s"


def test_mixed_has_every_class():
    sim = simulate(120.0, fs=1000.0, n_channels=4, seed=0)
    labels = {e.label for e in sim.truth}
    assert labels == set(LABELS)


def test_gain_override_scales_exactly():
    a = simulate(10.0, fs=500.0, n_channels=2, seed=4, gain=1.0)
    b = simulate(10.0, fs=500.0, n_channels=2, seed=4, gain=2.5)
    np.testing.assert_allclose(b.recording.samples, 2.5 * a.recording.samples, rtol=1e-12)
    assert b.params["gain"] == 2.5


def test_noise_and_snr_overrides():
    s = simulate(10.0, fs=1000.0, n_channels=2, seed=3, scenario="rest", noise_uv=2.0, gain=1.0)
    assert s.params["noise_uv"] == [2.0, 2.0]
    assert s.params["noise_regime"] == "given_noise"
    t = simulate(10.0, fs=1000.0, n_channels=2, seed=3, scenario="rest", snr_db=12.0)
    np.testing.assert_allclose(t.params["snr_db_per_channel"], 12.0, atol=1e-3)
    u = simulate(10.0, fs=1000.0, n_channels=2, seed=3, snr_db=30.0, noise_uv=3.0)
    np.testing.assert_allclose(u.params["snr_db_per_channel"], 30.0, atol=1e-3)
    np.testing.assert_allclose(u.params["ref_rms_uv"], 3.0 * 10**1.5, rtol=1e-4)


@pytest.mark.parametrize("hz", [50.0, 60.0])
def test_mains_override(hz):
    sim = simulate(5.0, fs=1000.0, n_channels=1, seed=1, scenario="rest", mains_hz=hz)
    assert sim.params["mains_hz"] == hz


def test_params_json_and_complete():
    sim = simulate(60.0, fs=500.0, n_channels=4, seed=9)
    text = json.dumps(sim.params, allow_nan=False)
    assert json.loads(text) == sim.params
    p = sim.params
    for key in ("gain", "mains_hz", "noise_uv", "ref_rms_uv", "crosstalk", "background", "pools"):
        assert key in p
    pool = p["pools"][0]
    n = pool["n_units"]
    assert 80 <= n <= 200
    for key in ("threshold_mvc", "amplitude_uv", "duration_ms", "peak_rate_hz"):
        assert len(pool["units"][key]) == n
    assert len(p["events"]) >= 5
    assert all("label" in r and "start_s" in r for r in p["events"])


def test_module_is_callable():
    a = sim_pkg(3.0, fs=200.0, n_channels=1, seed=2)
    b = simulate(3.0, fs=200.0, n_channels=1, seed=2)
    np.testing.assert_array_equal(a.recording.samples, b.recording.samples)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scenario": "spasm"},
        {"duration_s": 0.0},
        {"fs": 50.0},
        {"n_channels": 0},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        simulate(**{"duration_s": 5.0, **kwargs})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    duration=st.floats(0.2, 25.0),
    fs=st.floats(200.0, 4000.0),
    n_channels=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    scenario=st.sampled_from(SCENARIOS),
)
def test_any_rate_any_channels(duration, fs, n_channels, seed, scenario):
    sim = simulate(duration, fs=fs, n_channels=n_channels, seed=seed, scenario=scenario)
    assert sim.recording.samples.shape == (round(duration * fs), n_channels)
    assert np.isfinite(sim.recording.samples).all()
    for ev in sim.truth:
        assert 0.0 <= ev.start_s < ev.end_s <= sim.recording.duration_s
