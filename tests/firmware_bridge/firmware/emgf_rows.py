"""What both firmware test files draw: EMGF sample formats, their count limits, blocks of rows.

The C encoder is checked against a reference written from the spec (test_firmware_c.py) and
against the Python codec (test_firmware_emgf_cross.py) on the same kind of input, so the input
is defined once here. A helper module beside the tests, imported by name as
tests/firmware_bridge/conftest.py describes.
"""

from __future__ import annotations

from hypothesis import strategies as st

INT16, INT24 = 0x02, 0x03
LIMITS = {INT16: (-(2**15), 2**15 - 1), INT24: (-(2**23), 2**23 - 1)}


@st.composite
def sample_rows(draw) -> tuple[int, list[list[int]]]:
    """A format and rows of counts in its range, with the rails, 0 and ±1 drawn often: the
    values whose bytes an encoder gets wrong first (sign, width, byte order)."""
    fmt = draw(st.sampled_from([INT16, INT24]))
    lo, hi = LIMITS[fmt]
    n_ch = draw(st.integers(1, 8))
    n_s = draw(st.integers(1, 40))
    value = st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, 0, -1, 1]))
    rows = draw(st.lists(st.lists(value, min_size=n_ch, max_size=n_ch), min_size=n_s, max_size=n_s))
    return fmt, rows
