"""Stream time versus file position: how gaps shift one against the other.

Events carry *stream* time: the pipeline's clock advances over a gap by the samples that were
lost (`Pipeline.push(gap_before=...)`), so an event's `start_s` is where it happened in the
session. A recording *reader* delivers only the samples that arrived, back to back, and lists
the gaps as ``(sample_index, n_missing)`` pairs (samples missing just before that file index),
whatever the file does on disk (BDF/EDF written by emgspasm keep real time with gap filler,
which the reader takes out; CSV and older BDF/EDF store the samples back to back). Reading the
samples of an event, or writing an annotation into a file that stores gaps back to back,
therefore needs the conversion these two functions make.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _gap_table(gaps: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """File indices, missing counts and cumulative missing counts (through each gap), sorted."""
    table = np.asarray(sorted(gaps), dtype=np.int64).reshape(-1, 2)
    at, missing = table[:, 0], table[:, 1]
    return at, missing, np.cumsum(missing)


def file_to_stream(index: np.ndarray | int, gaps: Sequence[tuple[int, int]]) -> np.ndarray:
    """Stream sample index of file sample(s) `index`: the index plus every gap before it."""
    idx = np.asarray(index, dtype=np.int64)
    at, _, cum = _gap_table(gaps)
    if at.size == 0:
        return idx
    k = np.searchsorted(at, idx, side="right")  # gaps at or before each file sample
    return idx + np.concatenate(([0], cum))[k]


def stream_to_file(index: np.ndarray | int, gaps: Sequence[tuple[int, int]]) -> np.ndarray:
    """File sample index holding stream sample(s) `index`.

    A stream index inside a gap maps to the first sample after the gap (the sample that was
    recorded next), so an interval that starts in a gap starts where data resumes.
    """
    idx = np.asarray(index, dtype=np.int64)
    at, missing, cum = _gap_table(gaps)
    if at.size == 0:
        return idx
    before = cum - missing  # missing samples before each gap
    gap_start = at + before  # stream index where each gap begins
    k = np.searchsorted(gap_start, idx, side="right")  # gaps starting at or before idx
    shift = np.concatenate(([0], cum))[k]
    in_gap = (k > 0) & (idx < np.concatenate(([0], gap_start + missing))[k])
    return np.where(in_gap, np.concatenate(([0], at))[k], idx - shift)
