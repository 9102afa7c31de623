import numpy as np

from emgspasm.detect.activity import hysteresis


def reference_latch(level, on, off, state):
    out = []
    for v in level:
        if v > on:
            state = True
        elif v < off:
            state = False
        out.append(state)
    return np.array(out), state


def test_hysteresis_matches_a_sample_by_sample_latch():
    rng = np.random.default_rng(0)
    level = rng.uniform(0, 3, size=(500, 3))
    on, off = np.array([2.0, 1.5, 2.5]), np.array([1.0, 1.2, 0.5])
    got, last = hysteresis(level, on, off, np.array([False, True, False]))
    for ch, start in enumerate([False, True, False]):
        want, want_last = reference_latch(level[:, ch], on[ch], off[ch], start)
        np.testing.assert_array_equal(got[:, ch], want)
        assert last[ch] == want_last


def test_hysteresis_carries_state_across_blocks():
    rng = np.random.default_rng(1)
    level = rng.uniform(0, 3, size=(300, 2))
    on, off = np.full(2, 2.0), np.full(2, 1.0)
    whole, _ = hysteresis(level, on, off, np.zeros(2, bool))
    state = np.zeros(2, bool)
    parts = []
    for a in range(0, 300, 37):
        part, state = hysteresis(level[a:a + 37], on, off, state)
        parts.append(part)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_hysteresis_holds_between_thresholds():
    level = np.array([[0.5], [2.5], [1.5], [1.5], [0.5], [1.5]])
    got, _ = hysteresis(level, np.array([2.0]), np.array([1.0]), np.array([False]))
    assert got[:, 0].tolist() == [False, True, True, True, False, False]
