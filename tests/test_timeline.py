"""Stream index <-> file index across gaps, against a brute-force model of the timeline."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.timeline import file_to_stream, stream_to_file

gaps_strategy = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 9)), max_size=5, unique_by=lambda g: g[0]
)


def _model(n_file: int, gaps: list[tuple[int, int]]) -> list[int | None]:
    """Stream timeline as a list: the file index at each stream position, None in gaps."""
    missing = dict(gaps)
    timeline: list[int | None] = []
    for j in range(n_file + 1):  # one past the end, so a gap at n_file is represented
        timeline += [None] * missing.get(j, 0)
        timeline.append(j)
    return timeline


@settings(max_examples=100, deadline=None)
@given(gaps=gaps_strategy)
def test_against_model(gaps: list[tuple[int, int]]) -> None:
    timeline = _model(60, gaps)
    stream = np.arange(len(timeline))
    expected_stream = [s for s, j in enumerate(timeline) if j is not None]
    assert file_to_stream(np.arange(61), gaps).tolist() == expected_stream
    # inside a gap: the next sample recorded
    expected_file = [next(j for j in timeline[s:] if j is not None) for s in stream]
    assert stream_to_file(stream, gaps).tolist() == expected_file


def test_no_gaps_is_identity() -> None:
    assert stream_to_file(np.arange(5), []).tolist() == [0, 1, 2, 3, 4]
    assert int(file_to_stream(7, [])) == 7
