"""Text recordings: PhysioNet emgdb (repaired, never shifted) and BioSPPy, plus synthetic cases."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from emgspasm.io import RecordingError, RecordingWarning, open_reader, read
from emgspasm.io.biosppy_text import BioSPPyTextReader, adc_to_uv_scale
from emgspasm.io.timevalue_text import TimeValueTextReader

# PhysioNet emgdb 1.0.0 WFDB headers (emg_*.hea): samples per record and the 16-bit checksum
# of the samples in 10000 adu/mV. The text exports must give the same samples.
EMGDB = {
    "healthy": {"n": 50860, "checksum": -29438, "duration_s": 12.7, "recovered": []},
    "myopathy": {"n": 110337, "checksum": -6380, "duration_s": 27.6,
                 "recovered": [64468, 93751]},
    "neuropathy": {"n": 147858, "checksum": 16686, "duration_s": 37.0,
                   "recovered": [71194, 84054]},
}

def _independent_parse(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Time stamps and first values, one per non-blank line, parsed without the reader."""
    times, values = [], []
    for raw in path.read_bytes().split(b"\n"):
        if raw.strip():
            numbers = re.findall(rb"-?(?:\d+(?:\.\d*)?|\.\d+)", raw)
            times.append(float(numbers[0]))
            values.append(float(numbers[1]))
    return np.array(times), np.array(values)


@pytest.mark.parametrize("name", sorted(EMGDB))
def test_physionet_emgdb(shared_data: Path, name: str) -> None:
    expected = EMGDB[name]
    path = shared_data / f"physionet_emgdb_emg_{name}.txt"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = open_reader(path)
    assert isinstance(reader, TimeValueTextReader)
    assert reader.fs == 4000.0
    assert reader.channels == ["EMG"]
    assert reader.n_samples == expected["n"]
    assert round(reader.n_samples / reader.fs, 1) == expected["duration_s"]

    # Corrupted lines are repaired, listed, and announced.
    assert [line for line, _ in reader.recovered] == expected["recovered"]
    announced = [w for w in caught if issubclass(w.category, RecordingWarning)]
    if expected["recovered"]:
        assert len(announced) == 1
        for line in expected["recovered"]:
            assert f"line {line}:" in str(announced[0].message)
    else:
        assert not announced

    samples = np.concatenate(list(reader.chunks(10_000)))[:, 0]
    times, values = _independent_parse(path)
    # One sample per line, each the line's first value (mV -> µV) ...
    assert samples.shape == times.shape
    assert np.allclose(samples, values * 1000.0, atol=1e-9)
    # ... at the line's own time: time stamp == t0 + (index + samples missing before) / fs.
    gap_at = np.array([g[0] for g in reader.gaps], dtype=np.int64)
    gap_n = np.array([g[1] for g in reader.gaps], dtype=np.int64)
    index = np.arange(samples.size)
    missing_before = np.concatenate(([0], np.cumsum(gap_n)))[np.searchsorted(gap_at, index,
                                                                            side="right")]
    predicted = times[0] + (index + missing_before) / reader.fs
    assert np.abs(predicted - times).max() < 0.3 / reader.fs
    # And the PhysioNet checksum agrees, so no sample was invented, lost or altered.
    adu = np.rint(samples * 10.0).astype(np.int64)  # 10000 adu/mV = 10 adu/µV
    assert (int(adu.sum()) + 32768) % 65536 - 32768 == expected["checksum"]


def test_physionet_recovery_descriptions(shared_data: Path) -> None:
    with pytest.warns(RecordingWarning):
        reader = open_reader(shared_data / "physionet_emgdb_emg_neuropathy.txt")
    notes = dict(reader.recovered)
    assert "stray byte(s) b'\\xec'" in notes[71194]
    assert "dropped the trailing 0.195" in notes[71194]
    assert "stray byte(s) b'/'" in notes[84054]


@pytest.mark.parametrize(("name", "n"), [("biosppy_emg.txt", 100_000),
                                         ("biosppy_emg_1.txt", 63_880)])
def test_biosppy(shared_data: Path, name: str, n: int) -> None:
    path = shared_data / name
    with open_reader(path) as reader:
        assert isinstance(reader, BioSPPyTextReader)
        assert reader.fs == 1000.0 and reader.channels == ["EMG"]
        assert reader.n_samples == n
    rec = read(path)
    assert rec.duration_s == pytest.approx(n / 1000.0)
    first_adc = float(path.read_bytes().split(b"\n")[4])
    offset, scale = adc_to_uv_scale(12, 3.3, 1009.0)
    assert rec.samples[0, 0] == pytest.approx((first_adc - offset) * scale)
    assert scale == pytest.approx(0.7985, abs=1e-4)  # µV per count at 12 bits
    assert abs(np.median(rec.samples)) < 20.0  # mid-scale removed


def _text(tmp_path: Path, name: str, body: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_synthetic_corrupted_lines(tmp_path: Path) -> None:
    lines = [f"{(i + 1) / 1000:.3f} {i / 10:.4f}".encode() for i in range(20)]
    lines[5] = b"0.006 0.5000\xff0.5500"  # next stamp skips a sample: two samples
    del lines[6]
    lines[10] = b"0.012 1.1000\x071.2000"  # next stamp is the next sample: one sample
    lines[12] = lines[12] + b"?"
    path = _text(tmp_path, "t.txt", b"\r\n".join(lines[:8]) + b"\n" + b"\n".join(lines[8:]))
    with pytest.warns(RecordingWarning, match="repaired 3"):
        reader = open_reader(path, units="uV")
    assert [line for line, _ in reader.recovered] == [6, 11, 13]
    assert "two samples run together" in reader.recovered[0][1]
    assert "dropped the trailing 1.2" in reader.recovered[1][1]
    assert reader.gaps == []
    samples = np.concatenate(list(reader.chunks(3)))[:, 0]
    assert samples.size == 20
    assert samples[5:7].tolist() == [0.5, 0.55]
    assert samples[11] == 1.1


def test_synthetic_eof_two_samples_and_gap(tmp_path: Path) -> None:
    path = _text(tmp_path, "e.txt", b"0.0 1\n0.5 2\n2.0 3\n2.5 4 5\n")
    with pytest.warns(RecordingWarning):
        rec = read(path, units="mV")
    assert rec.fs == 2.0
    assert rec.samples[:, 0].tolist() == [1000, 2000, 3000, 4000, 5000]
    assert rec.gaps == [(2, 2)]


@pytest.mark.parametrize(("body", "message"), [
    (b"0 1\n1 2\n2 3 4 5\n3 4\n", r"bad\.txt:3: .*holds 4 number"),
    (b"0 1\n1 2\n2 3\n1.5 4\n", r"bad\.txt:4: .*irregular"),
    (b"0 1\n1 2\n2 3\n1 4\n", r"bad\.txt:4: time 1\.0 s does not come after"),
    (b"0 1\n1 2\n2 \xff\n", r"bad\.txt:3: .*holds 1 number"),
])
def test_synthetic_errors_name_the_line(tmp_path: Path, body: bytes, message: str) -> None:
    with pytest.raises(RecordingError, match=message):
        read(_text(tmp_path, "bad.txt", body))


def test_biosppy_bad_value_names_the_line(tmp_path: Path) -> None:
    body = b"# Simple Text Format\n# Sampling Rate (Hz):= 100.00\n# Resolution:= 10\n" \
           b"# Labels:= EMG\n512\n513\nx12\n"
    with pytest.raises(RecordingError, match=r"b\.txt:7: expected 1 number"):
        read(_text(tmp_path, "b.txt", body))


def test_biosppy_options(tmp_path: Path) -> None:
    body = b"# Simple Text Format\n# Labels:= A\tB\n1\t2\n3\t4\n"
    path = _text(tmp_path, "o.txt", body)
    with pytest.raises(RecordingError, match="fs="):
        read(path)
    with pytest.raises(RecordingError, match="resolution_bits="):
        read(path, fs=100)
    rec = read(path, fs=100, units="mV", channels=["B"])
    assert rec.channels == ["B"] and rec.samples[:, 0].tolist() == [2000, 4000]
    rec = read(path, fs=100, resolution_bits=1, vcc_v=1.0, gain=1e6)  # 0.5 µV per count
    assert rec.samples[:, 0].tolist() == [0.0, 1.0]


def test_unknown_text_format(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"x\.txt: not a text recording"):
        read(_text(tmp_path, "x.txt", b"hello world\n"))


def test_too_many_damaged_lines_is_an_error(tmp_path: Path) -> None:
    body = "".join(f"{i / 100:.2f} {i}\n" for i in range(10))
    body += "".join(f"{i / 100:.2f} 0,{i}\n" for i in range(10, 200))  # decimal commas
    with pytest.raises(RecordingError, match=r"comma\.txt:11: 190 lines .* too many to repair"):
        read(_text(tmp_path, "comma.txt", body.encode()))
    with pytest.raises(RecordingError, match=r"comma\.txt: not a text recording"):
        read(_text(tmp_path, "comma.txt", body.encode()[body.index("0.10"):]))


def test_empty_channel_selection(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="empty channel list"):
        read(_text(tmp_path, "s.txt", b"0 1\n1 2\n"), channels=[])
