"""Segment reductions against the per-segment numpy call they replace."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.detect.segments import Segments, ranges


def _split(lengths, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=int(sum(lengths)))
    seg = Segments(np.asarray(lengths))
    parts = np.split(x, np.cumsum(lengths)[:-1])
    return x, seg, parts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=12), st.integers(0, 1000))
def test_reductions_match_numpy_per_segment(lengths, seed):
    x, seg, parts = _split(lengths, seed)
    np.testing.assert_allclose(seg.sum(x), [p.sum() for p in parts], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(seg.mean(x), [p.mean() for p in parts], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(seg.max(x), [p.max() for p in parts])
    np.testing.assert_allclose(seg.std(x), [p.std() for p in parts], rtol=1e-9, atol=1e-12)
    for q in (0.1, 0.5, 0.9):
        np.testing.assert_array_equal(seg.quantile(x, q), [np.quantile(p, q) for p in parts])
    flags = x > 0.5
    first, last = seg.first_last(flags)
    for p, f, la in zip(parts, first, last, strict=True):
        hits = np.flatnonzero(p > 0.5)
        assert (f, la) == ((hits[0], hits[-1]) if hits.size else (-1, -1))


def test_nanmax_ignores_nan_and_max_propagates_it():
    x = np.array([1.0, np.nan, 3.0, 2.0])
    seg = Segments(np.array([2, 2]))
    np.testing.assert_array_equal(seg.nanmax(x), [1.0, 3.0])
    assert np.isnan(seg.max(x)[0]) and seg.max(x)[1] == 3.0


def test_boolean_mean_is_a_fraction_not_a_logical_or():
    seg = Segments(np.array([4, 2]))
    np.testing.assert_allclose(seg.mean(np.array([1, 0, 0, 1, 0, 0], dtype=bool)), [0.5, 0.0])


def test_sub_picks_rows_of_each_segment():
    x, seg, parts = _split([5, 3, 7])
    rows, sub = seg.sub(np.array([1, 0, 2]), np.array([4, 1, 7]))
    np.testing.assert_array_equal(x[rows], np.concatenate([parts[0][1:4], parts[1][:1],
                                                           parts[2][2:7]]))
    np.testing.assert_array_equal(sub.lengths, [3, 1, 5])


def test_ranges_and_empty_inputs():
    np.testing.assert_array_equal(ranges(np.array([5, 0, 9]), np.array([2, 0, 3])),
                                  [5, 6, 9, 10, 11])
    assert ranges(np.array([], dtype=int), np.array([], dtype=int)).size == 0
    empty = Segments(np.zeros(0, dtype=int))
    assert empty.count == 0 and empty.sum(np.zeros(0)).shape == (0,)
    with pytest.raises(ValueError):
        Segments(np.array([3, 0]))
