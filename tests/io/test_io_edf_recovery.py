"""EDF/BDF files cut short or with a stale record count: killed writers, under-counting headers.

edflib writes the header's record count only at close and trusts it when reading, so these
cases used to be unreadable (-1) or silently short (an under-count).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from emgspasm.io import RecordingError, RecordingWarning, open_reader, open_writer, read
from emgspasm.io.edf_diagnose import RECORD_COUNT_FIELD

FS = 1000.0
BLOCK = 100
"""Samples per write: a tenth of a 1 s data record, as a live session writes small blocks."""

_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from emgspasm.io import open_writer

    path, n_blocks = sys.argv[1], int(sys.argv[2])
    out = open_writer(path, 1000.0, ["EMG1", "EMG2"], physical_range_uv=1000.0)
    rng = np.random.default_rng(0)
    for _ in range(n_blocks):
        out.write(rng.normal(0.0, 50.0, (100, 2)))
    print("written", flush=True)
    sys.stdin.read()  # wait to be killed: the writer is never closed
""")


def _expected(n_blocks: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(0.0, 50.0, (BLOCK, 2)) for _ in range(n_blocks)])


def _kill_mid_recording(path: Path, n_blocks: int) -> None:
    """A real writer process, SIGKILLed after `n_blocks` writes (no close, no finally)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(n_blocks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("ext", [".bdf", ".edf"])
def test_killed_recording_opens_in_pyedflib_and_ours(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"killed{ext}"
    n_blocks = 75  # 7.5 s: 7 complete records, half a record still in the writer
    _kill_mid_recording(path, n_blocks)
    expected = _expected(n_blocks)
    step = 2000.0 / (2**24 if ext == ".bdf" else 2**16)
    with pyedflib.EdfReader(str(path)) as edf:  # the header is valid as written
        n = int(edf.getNSamples()[0])
        assert 6 * FS <= n <= 7 * FS  # at most the record edflib still buffered is lost
        assert np.allclose(edf.readSignal(0), expected[:n, 0], atol=step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecordingWarning)  # nothing to recover: the header is right
        rec = read(path)
    assert rec.samples.shape == (n, 2)
    assert np.allclose(rec.samples, expected[:n], atol=step)


def _with_count(path: Path, count: int, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[RECORD_COUNT_FIELD] = f"{count:<8d}".encode("ascii")
    out.write_bytes(bytes(data))
    return out


def _thirty_seconds(tmp_path: Path) -> tuple[Path, np.ndarray]:
    x = np.random.default_rng(1).normal(0.0, 50.0, (30 * int(FS), 1))
    with open_writer(tmp_path / "full.edf", FS, ["EMG1"], physical_range_uv=1000.0) as out:
        out.write(x)
    return tmp_path / "full.edf", x


def test_unclosed_header_is_recovered_with_a_warning(tmp_path: Path) -> None:
    full, x = _thirty_seconds(tmp_path)
    unclosed = _with_count(full, -1, tmp_path / "unclosed.edf")
    with pytest.raises(OSError, match="Number of Datarecords"):
        pyedflib.EdfReader(str(unclosed))
    with pytest.warns(RecordingWarning, match=r"unclosed\.edf.*count is -1.*never closed.*30 "):
        rec = read(unclosed)
    assert rec.n_samples == x.shape[0]
    assert np.allclose(rec.samples, x, atol=0.05)
    assert unclosed.read_bytes() == _with_count(full, -1, tmp_path / "again.edf").read_bytes()


def test_under_counting_header_is_read_in_full_with_a_warning(tmp_path: Path) -> None:
    full, x = _thirty_seconds(tmp_path)
    short = _with_count(full, 10, tmp_path / "short.edf")
    with pyedflib.EdfReader(str(short)) as edf:
        assert edf.getNSamples()[0] == 10 * FS  # what edflib alone does: 10 s of 30, silently
    with pytest.warns(RecordingWarning, match=r"short\.edf.*count is 10.*holds 30 complete"):
        with open_reader(short) as reader:
            assert reader.n_samples == x.shape[0]
            assert np.allclose(reader.read_span(25_000, 25_010), x[25_000:25_010], atol=0.05)


def test_killed_file_with_a_partial_record_drops_only_that(tmp_path: Path) -> None:
    full, _ = _thirty_seconds(tmp_path)
    cut = tmp_path / "cut.edf"
    cut.write_bytes(_with_count(full, -1, tmp_path / "m1.edf").read_bytes()[:-100])
    with pytest.warns(RecordingWarning, match=r"29 complete.*\d+ bytes of a partial record"):
        rec = read(cut)
    assert rec.n_samples == 29 * FS


def test_bytes_after_the_last_record_are_reported(tmp_path: Path) -> None:
    full, _ = _thirty_seconds(tmp_path)
    extra = tmp_path / "extra.edf"
    extra.write_bytes(full.read_bytes() + b"\0" * 10)
    with pytest.warns(RecordingWarning, match=r"extra\.edf@\d+: 10 bytes after the last"):
        read(extra)


def test_edflib_size_line_stays_off_stdout(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    full, _ = _thirty_seconds(tmp_path)
    over = _with_count(full, 40, tmp_path / "over.edf")
    with pytest.raises(RecordingError, match=r"over\.edf.*promises 40 data records"):
        read(over)
    assert "filesize" not in capfd.readouterr().out
