import numpy as np

from emgspasm.detect.noise_floor import NoiseFloor


def test_floor_tracks_quiet_seconds_and_ignores_active_ones():
    nf = NoiseFloor(1, period=100, memory=10, quantile=0.2, quiet_fraction=0.5)
    assert not nf.ready
    rng = np.random.default_rng(0)
    for _ in range(5):
        nf.observe(1.0 + 0.01 * rng.random((100, 1)), np.zeros((100, 1), bool))
    quiet = nf.floor.copy()
    assert 1.0 <= quiet[0] <= 1.01
    # A minute-long contraction (active) must not raise its own threshold.
    for _ in range(60):
        nf.observe(np.full((100, 1), 50.0), np.ones((100, 1), bool))
    np.testing.assert_allclose(nf.floor, quiet)


def test_floor_follows_a_change_of_noise_level():
    nf = NoiseFloor(1, period=10, memory=5, quantile=0.2, quiet_fraction=0.5)
    for _ in range(5):
        nf.observe(np.full((10, 1), 1.0), np.zeros((10, 1), bool))
    for _ in range(5):
        nf.observe(np.full((10, 1), 3.0), np.zeros((10, 1), bool))
    assert nf.floor[0] == 3.0


def test_observe_refuses_to_cross_an_update_boundary():
    nf = NoiseFloor(1, period=10, memory=5, quantile=0.2, quiet_fraction=0.5)
    try:
        nf.observe(np.ones((11, 1)), np.zeros((11, 1), bool))
    except ValueError:
        return
    raise AssertionError("expected ValueError")
