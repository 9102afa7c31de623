import numpy as np

from emgspasm.detect.noise_floor import NoiseFloor


def make(period=100, memory=60):
    return NoiseFloor(1, period=period, memory=memory, quantile=0.2, history_quantile=0.1)


def test_floor_stays_at_rest_level_through_a_long_contraction():
    nf = make()
    assert not nf.ready
    rng = np.random.default_rng(0)
    for _ in range(10):
        nf.observe(1.0 + 0.01 * rng.random((100, 1)))
    quiet = nf.floor.copy()
    assert 1.0 <= quiet[0] <= 1.01
    # 40 s of strong activity (shorter than the memory) must not raise its own threshold.
    for _ in range(40):
        nf.observe(np.full((100, 1), 50.0))
    assert nf.floor[0] <= 1.01


def test_floor_follows_a_lasting_rise_of_the_noise():
    nf = make(period=10, memory=20)
    for _ in range(20):
        nf.observe(np.full((10, 1), 1.0))
    for _ in range(20):
        nf.observe(np.full((10, 1), 3.0))
    assert nf.floor[0] == 3.0


def test_flat_seconds_say_nothing_about_the_noise():
    nf = make(period=10, memory=20)
    nf.observe(np.full((10, 1), 2.0))
    nf.observe(np.zeros((10, 1)))
    assert nf.floor[0] == 2.0


def test_each_hop_is_judged_against_the_floor_known_before_it():
    nf = make(period=10, memory=20)
    floors = nf.observe(np.full((25, 1), 2.0))
    assert np.all(np.isnan(floors[:10]))  # nothing known during the first period
    assert np.all(floors[10:] == 2.0)  # the update at the boundary applies from hop 10 on


def test_any_split_of_the_hops_gives_the_same_floors():
    level = np.abs(np.random.default_rng(1).normal(size=(97, 2))) + 0.1
    whole = NoiseFloor(2, period=10, memory=5, quantile=0.2, history_quantile=0.1)
    parts = NoiseFloor(2, period=10, memory=5, quantile=0.2, history_quantile=0.1)
    expected = whole.observe(level)
    got = np.concatenate([parts.observe(level[a:b]) for a, b in
                          [(0, 1), (1, 13), (13, 13), (13, 50), (50, 97)]])
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(parts.floor, whole.floor)
