"""Zero-copy sliding windows."""

from __future__ import annotations

import numpy as np
import pytest

from emgspasm.dsp import sliding_windows


def test_shape_values_and_hop() -> None:
    x = np.arange(20.0).reshape(10, 2)
    w = sliding_windows(x, window=4, hop=3)
    assert w.shape == (3, 4, 2)  # starts 0, 3, 6
    np.testing.assert_array_equal(w[1], x[3:7])
    np.testing.assert_array_equal(w[2], x[6:10])


def test_is_a_read_only_view() -> None:
    x = np.random.default_rng(0).standard_normal((1000, 8))
    w = sliding_windows(x, 200, 50)
    assert np.shares_memory(w, x)
    assert not w.flags.writeable
    assert w.shape == (17, 200, 8)


def test_shorter_than_window_gives_no_windows() -> None:
    w = sliding_windows(np.zeros((5, 3)), 6, 1)
    assert w.shape == (0, 6, 3)
    assert sliding_windows(np.zeros((6, 3)), 6, 100).shape == (1, 6, 3)


def test_one_dimensional_and_other_axis() -> None:
    x = np.arange(12.0)
    assert sliding_windows(x, 5, 2).shape == (4, 5)
    xt = np.arange(24.0).reshape(2, 12)
    w = sliding_windows(xt, 5, 2, axis=1)
    assert w.shape == (2, 4, 5)
    np.testing.assert_array_equal(w[1, 3], xt[1, 6:11])
    np.testing.assert_array_equal(sliding_windows(xt, 5, 2, axis=-1), w)


@pytest.mark.parametrize("window, hop", [(0, 1), (3, 0), (2.5, 1), (3, -1)])
def test_bad_sizes_raise(window: float, hop: int) -> None:
    with pytest.raises(ValueError):
        sliding_windows(np.zeros((10, 1)), window, hop)  # type: ignore[arg-type]


def test_bad_axis_raises() -> None:
    with pytest.raises(ValueError, match="axis"):
        sliding_windows(np.zeros((10, 1)), 3, 1, axis=2)
