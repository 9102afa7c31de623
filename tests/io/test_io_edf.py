"""EDF+/BDF+ through pyedflib: round trips, physical units, annotations, gaps, bad files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyedflib
import pytest
from conftest import make_recording

from emgspasm.io import RecordingError, RecordingWarning, open_reader, open_writer, read, write
from emgspasm.io.edf_writer import FILLER_MARGIN, BdfWriter, EdfWriter, header_ceil
from emgspasm.recording import Annotation, Recording


def _step(writer_cls: type[EdfWriter], range_uv: np.ndarray) -> np.ndarray:
    return 2 * range_uv / (writer_cls.DIGITAL_MAX - writer_cls.DIGITAL_MIN)


@pytest.mark.parametrize(("ext", "cls"), [(".edf", EdfWriter), (".bdf", BdfWriter)])
def test_round_trip_within_quantisation(tmp_path: Path, recording: Recording, ext, cls) -> None:
    path = write(tmp_path / f"rec{ext}", recording)
    back = read(path)
    assert back.fs == recording.fs
    assert back.channels == recording.channels
    assert back.samples.shape == recording.samples.shape
    peaks = np.abs(recording.samples).max(axis=0) * (1 + FILLER_MARGIN)  # as write() sizes it
    ranges = np.array([header_ceil(r) for r in peaks])
    error = np.abs(back.samples - recording.samples).max(axis=0)
    assert np.all(error <= 0.5 * _step(cls, ranges) * (1 + 1e-6))
    assert back.gaps == recording.gaps
    assert back.annotations == recording.annotations
    assert back.path == path


def _write_with_pyedflib(path: Path, dimension: str, values: np.ndarray, fs: int = 256,
                         physical: float = 5.0) -> None:
    """An EDF+ written by pyedflib directly, in `dimension` units (as other software would)."""
    w = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{
        "label": "EMG", "dimension": dimension, "sample_frequency": fs,
        "physical_max": physical, "physical_min": -physical,
        "digital_max": 32767, "digital_min": -32768, "transducer": "", "prefilter": "",
    }])
    w.writeSamples([values])
    w.writeAnnotation(0.25, 0.5, "from pyedflib")
    w.close()


@pytest.mark.parametrize(
    ("dimension", "uv_per_unit"),
    [("mV", 1e3), ("MV", 1e3), ("mv", 1e3), ("V", 1e6), ("uV", 1.0), ("UV", 1.0)],
)
def test_physical_units_become_microvolts(tmp_path: Path, dimension: str, uv_per_unit) -> None:
    values = np.sin(np.arange(512) / 10) * 2.0  # ±2 units, 2 records at 256 Hz
    path = tmp_path / "units.edf"
    _write_with_pyedflib(path, dimension, values)
    rec = read(path)
    step = 10.0 / 65535
    assert np.allclose(rec.samples[:, 0], values * uv_per_unit, atol=step * uv_per_unit)
    assert rec.annotations == [Annotation(0.25, 0.5, "from pyedflib")]


def test_unknown_dimension_names_file_and_signal(tmp_path: Path) -> None:
    path = tmp_path / "temp.edf"
    _write_with_pyedflib(path, "degC", np.zeros(256))
    with pytest.raises(RecordingError, match=r"temp\.edf.*'EMG'.*'degC'"):
        read(path)


def test_blank_dimension_uses_units_argument(tmp_path: Path) -> None:
    path = tmp_path / "blank.edf"
    _write_with_pyedflib(path, "", np.full(256, 1.0))
    with pytest.raises(RecordingError, match="units="):
        read(path)
    assert np.allclose(read(path, units="mV").samples, 1000.0, atol=0.2)


@pytest.mark.parametrize("fs", [250.0, 2000, 250.5, 1000 / 3])
def test_rates_integer_and_not(tmp_path: Path, fs: float) -> None:
    rec = make_recording(n=1234, fs=fs, n_channels=2)
    back = read(write(tmp_path / "rate.bdf", rec))
    assert back.fs == pytest.approx(fs, rel=1e-9)
    assert back.n_samples == 1234  # padding of the last record is not data


def test_annotation_capacity_is_extended_not_dropped(tmp_path: Path) -> None:
    notes = [Annotation(i * 0.01, 0.0, f"note {i}") for i in range(25)]
    rec = make_recording(n=300, fs=100.0, n_channels=1)  # 3 records, 2 annotation slots each
    back = read(write(tmp_path / "many.edf", rec, annotations=notes))
    assert back.annotations == notes
    assert back.n_samples == 300


def test_long_annotation_text_is_cut_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(RecordingWarning, match="cut to"):
        with open_writer(tmp_path / "long.edf", 100.0, ["EMG"]) as out:
            out.write(np.zeros(100))
            out.add_annotation(0.0, 0.0, "x" * 60)
    assert read(tmp_path / "long.edf").annotations[0].text == "x" * 40


def test_chunked_writer_clips_and_counts(tmp_path: Path) -> None:
    with open_writer(tmp_path / "clip.edf", 100.0, ["EMG"], physical_range_uv=100.0) as out:
        with pytest.warns(RecordingWarning, match="clipped"):
            out.write(np.array([0.0, 50.0, 150.0, -300.0, 10.0]))
    assert out.n_clipped == 2
    samples = read(tmp_path / "clip.edf").samples[:, 0]
    step = _step(EdfWriter, out.physical_range_uv)[0]
    assert samples[2] == pytest.approx(100.0)
    assert samples[3] == pytest.approx(-100.0 + step)  # the lowest value is the gap filler's
    with pyedflib.EdfReader(str(tmp_path / "clip.edf")) as edf:  # clipped data stay off the
        assert edf.readSignal(0, 0, 5, digital=True).min() > EdfWriter.DIGITAL_MIN  # filler


def test_default_ranges_are_generous(tmp_path: Path) -> None:
    with open_writer(tmp_path / "d.bdf", 1000.0, ["EMG"]) as bdf:
        bdf.write(np.array([150_000.0, -150_000.0, 0.25]))
    with open_writer(tmp_path / "d.edf", 1000.0, ["EMG"]) as edf:
        edf.write(np.array([9_000.0, -9_000.0, 0.25]))
    assert bdf.n_clipped == edf.n_clipped == 0
    assert read(tmp_path / "d.bdf").samples[:, 0] == pytest.approx([150_000, -150_000, 0.25],
                                                                   abs=0.02)
    assert read(tmp_path / "d.edf").samples[:, 0] == pytest.approx([9_000, -9_000, 0.25], abs=0.2)


def test_empty_recording(tmp_path: Path) -> None:
    with open_writer(tmp_path / "empty.bdf", 500.0, ["EMG1", "EMG2"]):
        pass
    back = read(tmp_path / "empty.bdf")
    assert back.samples.shape == (0, 2)


def test_channel_selection_and_mismatched_fs(tmp_path: Path, recording: Recording) -> None:
    path = write(tmp_path / "sel.bdf", recording)
    back = read(path, channels=["EMG3", "EMG1"])
    assert back.channels == ["EMG3", "EMG1"]
    assert np.allclose(back.samples, recording.samples[:, [2, 0]], atol=0.01)
    with pytest.raises(RecordingError, match=r"sel\.bdf.*'EMG9'"):
        read(path, channels=["EMG9"])
    with pytest.raises(RecordingError, match=r"sel\.bdf.*1000 was passed"):
        read(path, fs=1000)


def test_mixed_rates_keep_the_fastest_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "mixed.edf"
    w = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([
        {"label": label, "dimension": "uV", "sample_frequency": fs, "physical_max": 100,
         "physical_min": -100, "digital_max": 32767, "digital_min": -32768,
         "transducer": "", "prefilter": ""}
        for label, fs in (("EMG", 200), ("ACC", 50))
    ])
    w.writeSamples([np.zeros(400), np.zeros(100)])
    w.close()
    with pytest.warns(RecordingWarning, match="ACC"):
        rec = read(path)
    assert rec.channels == ["EMG"] and rec.fs == 200
    with pytest.raises(RecordingError, match="different rates"):
        read(path, channels=["EMG", "ACC"])


def test_truncated_file_names_file_and_byte(tmp_path: Path, recording: Recording) -> None:
    data = write(tmp_path / "ok.bdf", recording).read_bytes()
    broken = tmp_path / "cut.bdf"
    broken.write_bytes(data[:-500])
    with pytest.raises(RecordingError, match=r"cut\.bdf.*truncated.*ends at byte \d+"):
        read(broken)
    header_only = tmp_path / "head.bdf"
    header_only.write_bytes(data[:100])
    with pytest.raises(RecordingError, match=r"head\.bdf.*byte 100"):
        read(header_only)


def test_garbage_header_names_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.edf"
    path.write_bytes(b"0       " + bytes(range(256)) * 8)
    with pytest.raises(RecordingError, match=r"garbage\.edf.*not a readable EDF"):
        read(path)


def test_reader_closes_and_restarts(tmp_path: Path, recording: Recording) -> None:
    path = write(tmp_path / "re.edf", recording)
    with open_reader(path) as reader:
        first = np.concatenate(list(reader.chunks(1000)))
        again = np.concatenate(list(reader.chunks(777)))
    assert np.array_equal(first, again)
    assert reader.duration_s == pytest.approx(recording.duration_s)


def test_writer_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16"):
        open_writer(tmp_path / "x.edf", 100.0, ["a-very-long-channel-name"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with open_writer(tmp_path / "y.edf", 100.0, ["EMG"]) as out:
            with pytest.raises(ValueError, match="NaN"):
                out.write(np.array([1.0, np.nan]))
            with pytest.raises(ValueError, match="shape"):
                out.write(np.zeros((3, 2)))
