"""Format choice by extension and content; registering new formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emgspasm.io import (
    READERS,
    RecordingError,
    RecordingReader,
    open_reader,
    read,
    register_reader,
    write,
)
from emgspasm.io.csv_reader import CsvReader
from emgspasm.io.edf_reader import EdfReader
from emgspasm.recording import Recording


def test_extension_picks_reader_case_insensitively(tmp_path: Path, recording: Recording) -> None:
    path = write(tmp_path / "REC.BDF", recording)
    with open_reader(path) as reader:
        assert isinstance(reader, EdfReader)
    with open_reader(write(tmp_path / "rec.csv", recording)) as reader:
        assert isinstance(reader, CsvReader)


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "rec.xyz"
    path.write_text("1\n")
    with pytest.raises(RecordingError, match=r"rec\.xyz: cannot read \.xyz files; supported: "):
        read(path)
    with pytest.raises(RecordingError, match="cannot write"):
        write(tmp_path / "out.wav", Recording(np.zeros((3, 1)), 100.0, ["a"]))


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    for name in ("none.edf", "none.csv", "none.txt"):
        with pytest.raises(FileNotFoundError):
            read(tmp_path / name)


def test_register_reader(tmp_path: Path) -> None:
    class Constant(RecordingReader):
        def __init__(self, path, *, fs=None, units=None, channels=None):
            self.path, self.fs, self.channels = Path(path), fs or 10.0, ["X"]
            self.n_samples, self.annotations, self.gaps = 5, [], []

        def _blocks(self, preferred):
            yield np.ones((5, 1))

    register_reader(".CONST", Constant)
    try:
        path = tmp_path / "a.const"
        path.write_text("")
        rec = read(path, fs=20.0)
        assert rec.fs == 20.0 and rec.samples.shape == (5, 1)
    finally:
        READERS.pop(".const")


def test_reader_detects_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "grow.csv"
    path.write_text("EMG\n1\n2\n")
    with open_reader(path, fs=10.0) as reader:
        path.write_text("EMG\n1\n2\n3\n")
        with pytest.raises(RecordingError, match=r"grow\.csv: delivered 3 samples"):
            list(reader.chunks(10))


def test_chunk_size_is_validated_at_call(tmp_path: Path, recording: Recording) -> None:
    with open_reader(write(tmp_path / "v.csv", recording)) as reader:
        with pytest.raises(ValueError, match=">= 1"):
            reader.chunks(0)
