"""`read_span(start, stop)` equals slicing the whole recording, in every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_recording
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.io import RecordingError, open_reader, read, write
from emgspasm.io.base import SPAN_READ_SAMPLES
from emgspasm.io.edf_reader import EdfReader

FORMATS = ("rec.bdf", "rec.edf", "rec.csv")
N = 2100


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each format once (with gaps and annotations), with its whole-file samples."""
    root = tmp_path_factory.mktemp("span")
    rec = make_recording(n=N, fs=500.0, n_channels=3, seed=5)
    out = {}
    for name in FORMATS:
        path = write(root / name, rec)
        out[name] = (path, read(path).samples)
    return out


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(FORMATS), a=st.integers(0, N), b=st.integers(0, N))
def test_span_equals_slice(files, name: str, a: int, b: int) -> None:
    path, whole = files[name]
    start, stop = min(a, b), max(a, b)
    with open_reader(path) as reader:
        span = reader.read_span(start, stop)
        again = reader.read_span(start, stop)  # random access: no state left behind
    assert span.dtype == np.float64
    assert span.shape == (stop - start, whole.shape[1])
    assert np.array_equal(span, whole[start:stop])
    assert np.array_equal(again, span)


def test_edf_uses_random_access_and_base_default_agrees(files) -> None:
    """The EDF override and the generic chunk-skipping default give the same samples."""
    path, whole = files["rec.bdf"]
    with open_reader(path) as reader:
        assert type(reader).read_span is EdfReader.read_span
        generic = super(EdfReader, reader).read_span(1000, 1700)
    assert np.array_equal(generic, whole[1000:1700])


def test_span_after_chunks_and_interleaved(files) -> None:
    path, whole = files["rec.csv"]
    with open_reader(path) as reader:
        chunks = reader.chunks(300)
        first = next(chunks)
        span = reader.read_span(1500, 1510)
        second = next(chunks)
    assert np.array_equal(first, whole[:300])
    assert np.array_equal(second, whole[300:600])
    assert np.array_equal(span, whole[1500:1510])


def test_span_beyond_one_read_block(tmp_path: Path) -> None:
    """A span that straddles the default's internal block boundary is stitched correctly."""
    rec = make_recording(n=SPAN_READ_SAMPLES + 500, fs=1000.0, n_channels=1, seed=2)
    path = write(tmp_path / "long.csv", rec)
    whole = read(path).samples
    with open_reader(path) as reader:
        span = reader.read_span(SPAN_READ_SAMPLES - 3, SPAN_READ_SAMPLES + 4)
    assert np.array_equal(span, whole[SPAN_READ_SAMPLES - 3:SPAN_READ_SAMPLES + 4])


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("span", [(-1, 5), (5, 4), (0, N + 1), (1.5, 3)])
def test_bad_span_names_the_file(files, name: str, span: tuple) -> None:
    path, _ = files[name]
    with open_reader(path) as reader, pytest.raises(ValueError, match=path.name):
        reader.read_span(*span)


def test_truncated_file_is_reported(tmp_path: Path) -> None:
    rec = make_recording(n=400, fs=100.0, n_channels=1, seed=1)
    path = write(tmp_path / "cut.csv", rec)
    with open_reader(path) as reader:
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:200]))
        with pytest.raises(RecordingError, match="before sample 390"):
            reader.read_span(380, 390)
