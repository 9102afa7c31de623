"""CSV recordings: header, time_s or fs, units, gaps as time jumps, bad cells named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emgspasm.io import RecordingError, open_writer, read, write
from emgspasm.io.sidecar import sidecar_path
from emgspasm.recording import Annotation, Recording


def test_round_trip(tmp_path: Path, recording: Recording) -> None:
    path = write(tmp_path / "rec.csv", recording)
    assert path.read_text().splitlines()[0] == "time_s,EMG1,EMG2,EMG3"
    back = read(path)
    assert back.fs == recording.fs
    assert back.channels == recording.channels
    assert np.allclose(back.samples, recording.samples, rtol=1e-9, atol=1e-9)
    assert back.gaps == recording.gaps  # written as jumps in time_s
    assert back.annotations == recording.annotations  # kept in the sidecar
    assert sidecar_path(path).name == "rec.annotations.jsonl"


def test_without_annotations_no_sidecar(tmp_path: Path, recording: Recording) -> None:
    path = tmp_path / "rec.csv"
    sidecar_path(path).write_text('{"onset_s": 1, "duration_s": 0, "text": "stale"}\n')
    write(path, recording, annotations=[])
    assert not sidecar_path(path).exists()
    assert read(path).annotations == []


@pytest.mark.parametrize(("units", "factor"), [(None, 1.0), ("uV", 1.0), ("mV", 1e3),
                                               ("V", 1e6), ("µV", 1.0)])
def test_units_and_fs_without_time_column(tmp_path: Path, units, factor) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("EMG1,EMG2\n1.5,-2\n0.25,3e-1\n\n4,5\n")
    rec = read(path, fs=1000.0, units=units)
    assert rec.fs == 1000.0
    assert np.allclose(rec.samples, np.array([[1.5, -2], [0.25, 0.3], [4, 5]]) * factor)


# Each test writes its own tiny file and expects its own error: alike in shape only.
def test_fs_required_without_time_column(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("EMG\n1\n2\n")
    with pytest.raises(RecordingError, match=r"plain\.csv.*no time_s column.*fs="):
        read(path)


def test_fs_derived_from_time_column(tmp_path: Path) -> None:
    t = np.arange(3000) / 2048.0
    path = tmp_path / "timed.csv"
    np.savetxt(path, np.column_stack((t, np.sin(t))), delimiter=",", header="time_s,EMG",
               comments="", fmt="%.6f")
    rec = read(path)
    assert rec.fs == 2048.0
    assert rec.n_samples == 3000 and rec.gaps == []


def test_bad_cell_names_line_and_column(tmp_path: Path) -> None:
    rows = ["time_s,EMG1,EMG2"] + [f"{i / 100},{i},{-i}" for i in range(50)]
    rows[31] = "0.30,30,oops"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(RecordingError, match=r"bad\.csv:32: column 'EMG2': 'oops' is not a number"):
        read(path)


@pytest.mark.parametrize(("row", "message"), [
    ("0.03,3", r"short\.csv:5: 2 field\(s\), but the header has 3"),
    ("0.03,3,nan", r"short\.csv:5: column 'EMG2': 'nan' is not a number"),
    ("0.03,3,", r"short\.csv:5: column 'EMG2': '' is not a number"),
])
def test_malformed_rows_name_the_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "short.csv"
    path.write_text(f"time_s,EMG1,EMG2\n0,0,0\n0.01,1,1\n0.02,2,2\n{row}\n")
    with pytest.raises(RecordingError, match=message):
        read(path)


def test_quoted_cells_are_read(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('"time_s","EMG"\n"0.0","1.5"\n"0.5","2.5"\n')
    rec = read(path)
    assert rec.fs == 2.0 and rec.samples[:, 0].tolist() == [1.5, 2.5]


def test_irregular_time_names_the_line(tmp_path: Path) -> None:
    t = np.arange(100) / 100.0
    t[60] += 0.004  # 0.4 sample late
    path = tmp_path / "jitter.csv"
    np.savetxt(path, np.column_stack((t, t)), delimiter=",", header="time_s,EMG", comments="",
               fmt="%.4f")
    with pytest.raises(RecordingError, match=r"jitter\.csv:62: .*irregular"):
        read(path)


def test_time_going_backwards_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "back.csv"
    path.write_text("time_s,EMG\n0.00,1\n0.01,2\n0.02,3\n0.01,4\n0.04,5\n")
    with pytest.raises(RecordingError, match=r"back\.csv:5: time 0\.01 s does not come after"):
        read(path)


def test_time_jump_is_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text("time_s,EMG\n0.000,1\n0.001,2\n0.002,3\n0.006,4\n0.007,5\n")
    rec = read(path)
    assert rec.fs == 1000.0
    assert rec.samples[:, 0].tolist() == [1, 2, 3, 4, 5]
    assert rec.gaps == [(3, 3)]


def test_header_is_required(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("0,1\n0.1,2\n")
    with pytest.raises(RecordingError, match=r"noheader\.csv:1: .*header row"):
        read(path, fs=10)


def test_chunked_writer_with_gaps_and_annotations(tmp_path: Path) -> None:
    path = tmp_path / "stream.csv"
    with open_writer(path, 250.0, ["EMG1", "EMG2"]) as out:
        out.write(np.ones((100, 2)))
        out.add_gap(4)
        out.write(np.full((50, 2), 2.0))
        out.add_annotation(0.2, 0.1, "reseat")
    rec = read(path)
    assert rec.n_samples == 150 and rec.gaps == [(100, 4)]
    assert rec.annotations == [Annotation(0.2, 0.1, "reseat")]
