"""RowTable: absolute row addressing, trimming, and bounds checks on every index `take` gets."""

import numpy as np
import pytest

from emgspasm.detect.table import RowTable


@pytest.fixture
def table():
    t = RowTable()
    t.append(level=np.arange(12.0).reshape(4, 3), hop=np.arange(4))
    t.append(level=np.arange(12.0, 18.0).reshape(2, 3), hop=np.arange(4, 6))
    t.trim_before(2)  # rows 2..5 held
    return t


def test_take_addresses_rows_absolutely_and_one_column_per_row(table):
    np.testing.assert_array_equal(table.take("hop", [2, 5]), [2, 5])
    # column[rows[i], cols[i]]: level[r, c] = 3 r + c.
    np.testing.assert_array_equal(table.take("level", [2, 3, 5], [0, 2, 1]), [6.0, 11.0, 16.0])
    assert table.take("level", np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)).size == 0


@pytest.mark.parametrize("rows", [[1, 2], [5, 6]])
def test_take_refuses_rows_not_held(table, rows):
    with pytest.raises(IndexError, match="rows outside"):
        table.take("hop", rows)


@pytest.mark.parametrize("cols", [[0, -1], [3, 0]])
def test_take_refuses_column_indices_outside_the_channels(table, cols):
    # -1 is how episode features spell "no partner": numpy alone would read the last channel.
    with pytest.raises(IndexError, match=r"column indices of 'level' outside \[0, 3\)"):
        table.take("level", [2, 3], cols)
