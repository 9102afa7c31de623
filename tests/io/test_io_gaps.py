"""Gaps in EDF+/BDF+ keep real time (issue 11, item 11): filler on the time axis, marked
``BAD_gap`` for MNE, taken back out by our reader; files with gaps back to back still read.

MNE is the other tool here: what it shows is what a user of MNE or EDFbrowser sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest
from legacy_edf import RANGE_UV, write_back_to_back

from emgspasm.events import Event
from emgspasm.export import write_annotated_copy
from emgspasm.io import RecordingWarning, open_reader, open_writer, read, write
from emgspasm.io.edf_writer import BdfWriter, EdfWriter
from emgspasm.recording import Annotation, Recording

FS = 500
RANGE = 1000.0
GAPS = [(1200, 250), (1200, 5), (2600, 1)]
"""(received index, n_missing): a 0.5 s outage then a 10 ms loss at the same place (two
gaps reported as two), and a single lost sample."""
N = 3100
"""Received samples: 6.2 s arrive over 6.712 s of device time, ending mid-record."""


def _signal() -> np.ndarray:
    """A ramp per channel: every sample tells its own received index."""
    k = np.arange(N, dtype=np.float64)
    return np.column_stack((k / 10.0 - 150.0, 300.0 - k / 20.0))


def _write_with_gaps(path: Path, **options) -> np.ndarray:
    x = _signal()
    with open_writer(path, FS, ["EMG1", "EMG2"], physical_range_uv=RANGE, **options) as out:
        position = 0
        for index, missing in [*GAPS, (N, 0)]:
            out.write(x[position:index])
            position = index
            if missing:
                out.add_gap(missing)
    return x


def _mne(path: Path) -> mne.io.BaseRaw:
    read_raw = mne.io.read_raw_bdf if path.suffix == ".bdf" else mne.io.read_raw_edf
    return read_raw(path, preload=True, verbose="error")


def _device_index(received: np.ndarray) -> np.ndarray:
    """Device (stream) index of received samples: each gap before them shifts them on."""
    shift = np.zeros(received.shape, dtype=np.int64)
    for index, missing in GAPS:
        shift += np.where(received >= index, missing, 0)
    return received + shift


@pytest.mark.parametrize(("ext", "cls"), [(".bdf", BdfWriter), (".edf", EdfWriter)])
def test_mne_sees_real_time_with_the_gaps_marked_bad(tmp_path: Path, ext: str, cls) -> None:
    path = tmp_path / f"gappy{ext}"
    x = _write_with_gaps(path)
    raw = _mne(path)
    device_samples = N + sum(n for _, n in GAPS)
    assert raw.n_times == 7 * FS  # 6.712 s of device time in whole 1-s records
    notes = list(zip(raw.annotations.onset, raw.annotations.duration,
                     raw.annotations.description, strict=True))
    bad = [(o, d) for o, d, t in notes if t.startswith("BAD_gap")]
    np.testing.assert_allclose(bad, [(2.4, 0.5), (2.9, 0.01), (5.71, 0.002)], atol=1e-4)
    padding = [(o, d) for o, d, t in notes if t.startswith("BAD_padding")]
    np.testing.assert_allclose(padding, [(device_samples / FS, 7 - device_samples / FS)],
                               atol=1e-4)

    # every received sample sits at its device time in MNE's data, within one digital step
    step = 2 * RANGE / (cls.DIGITAL_MAX - cls.DIGITAL_MIN)
    data = raw.get_data() * 1e6  # V -> µV
    at = _device_index(np.arange(N))
    np.testing.assert_allclose(data[:, at].T, x, atol=step)

    # MNE's BAD_ convention leaves exactly the gaps and the padding out
    kept = raw.get_data(reject_by_annotation="NaN")
    missing = np.isnan(kept[0])
    expected = np.ones(raw.n_times, dtype=bool)
    expected[at] = False
    np.testing.assert_array_equal(missing, expected)
    # and the filler cannot pass for signal: it is the channel's negative rail
    assert np.all(data[:, missing] <= -RANGE + step)


@pytest.mark.parametrize("ext", [".bdf", ".edf"])
def test_our_reader_takes_the_filler_back_out(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"gappy{ext}"
    x = _write_with_gaps(path)
    rec = read(path)
    assert rec.n_samples == N and rec.gaps == sorted(GAPS)
    np.testing.assert_allclose(rec.samples, x, atol=0.02)
    with open_reader(path) as reader:
        assert reader.packed_gaps == []  # every gap keeps its time in the file
        for size in (1, 7, 1200, 5000):  # chunk boundaries on, before and after the filler
            got = np.concatenate(list(reader.chunks(size)))
            np.testing.assert_array_equal(got, rec.samples)
        np.testing.assert_array_equal(reader.read_span(1190, 2610), rec.samples[1190:2610])
        np.testing.assert_array_equal(reader.read_span(1200, 1201), rec.samples[1200:1201])


def test_annotations_made_while_recording_land_on_real_time(tmp_path: Path) -> None:
    path = tmp_path / "notes.bdf"
    with open_writer(path, FS, ["EMG1"], physical_range_uv=RANGE) as out:
        out.write(np.zeros(FS))
        out.add_gap(FS // 2)
        assert out.file_time_s == 1.5
        out.add_annotation(out.file_time_s, 0.0, "reconnect")
        out.write(np.zeros(FS))
    assert read(path).annotations == [Annotation(1.5, 0.0, "reconnect")]
    raw = _mne(path)
    assert [(o, t) for o, t in zip(raw.annotations.onset, raw.annotations.description,
                                   strict=True) if t == "reconnect"] == [(1.5, "reconnect")]


def test_a_gap_too_long_to_fill_is_stored_back_to_back_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "long-gap.bdf"
    with pytest.warns(RecordingWarning, match="max_fill_s"):
        x = _write_with_gaps(path, max_fill_s=0.1)  # the 0.5 s outage is over the limit
    rec = read(path)
    assert rec.n_samples == N and rec.gaps == sorted(GAPS)
    np.testing.assert_allclose(rec.samples, x, atol=0.02)
    with open_reader(path) as reader:
        assert reader.packed_gaps == [(1200, 250)]
    raw = _mne(path)
    texts = list(raw.annotations.description)
    assert "gap 250 samples before #1200" in texts and "BAD_gap 5 samples at #1200" in texts


def test_files_with_gaps_back_to_back_read_as_before(tmp_path: Path) -> None:
    """The layout of every recording made before gaps were filled (see legacy_edf)."""
    x = _signal()
    path = write_back_to_back(tmp_path / "old.bdf", x, FS, GAPS, notes=[(2.4, "reconnect")])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecordingWarning)
        rec = read(path)
    assert rec.n_samples == N and rec.gaps == sorted(GAPS)
    assert rec.annotations == [Annotation(2.4, 0.0, "reconnect")]
    np.testing.assert_allclose(rec.samples, x, atol=2 * RANGE_UV / 2**24)
    with open_reader(path) as reader:
        assert reader.packed_gaps == sorted(GAPS)


def test_an_annotated_copy_of_an_old_file_keeps_real_time(tmp_path: Path) -> None:
    """The copy fills the old file's gaps: events (stream time) go in at their own times, and
    the old file's annotations move from its back-to-back time to real time."""
    x = _signal()
    source = write_back_to_back(tmp_path / "old.bdf", x, FS, GAPS, notes=[(3.0, "marker")])
    out = write_annotated_copy(source, [Event(4.0, 5.0, "cramp", ["ch1"])],
                               tmp_path / "copy.bdf")
    with pyedflib.EdfReader(str(out)) as edf:
        onsets, durations, texts = edf.readAnnotations()
    found = {str(t): (float(o), float(d)) for o, d, t in zip(onsets, durations, texts,
                                                              strict=True)}
    assert found["cramp ch1"] == pytest.approx((4.0, 1.0), abs=1e-4)
    assert found["marker"][0] == pytest.approx(3.0 + 255 / FS, abs=1e-4)  # after 2 gaps
    copy = read(out)
    assert copy.gaps == sorted(GAPS) and copy.n_samples == N
    np.testing.assert_allclose(copy.samples, x, atol=0.01)


_KILLED_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from emgspasm.io import open_writer

    out = open_writer(sys.argv[1], 500, ["EMG1", "EMG2"], physical_range_uv=1000.0)
    k = np.arange(3100, dtype=np.float64)
    x = np.column_stack((k / 10.0 - 150.0, 300.0 - k / 20.0))
    out.write(x[:1200]); out.add_gap(250); out.add_gap(5)
    out.write(x[1200:2600]); out.add_gap(1)
    out.write(x[2600:])
    print("written", flush=True)
    sys.stdin.read()  # wait to be killed: never closed, so edflib never writes annotations
""")


def test_a_killed_recording_keeps_its_gaps_out_of_the_signal(tmp_path: Path) -> None:
    """edflib writes annotations only at close: a killed session's file holds the filler but no
    BAD_gap. The filler is found by value and is still not read as signal."""
    path = tmp_path / "killed.bdf"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    with pytest.warns(RecordingWarning, match=r"killed\.bdf.*not closed.*2 run\(s\) of gap "
                                              r"filler \(256 samples"):
        rec = read(path)
    # the last, unfinished record is lost to the kill; everything before it reads right
    assert rec.n_samples == 6 * FS - 256
    assert rec.gaps == [(1200, 255), (2600, 1)]  # two gaps at one place read back as one
    np.testing.assert_allclose(rec.samples, _signal()[:rec.n_samples], atol=0.02)


@pytest.mark.parametrize("ext", [".bdf", ".edf"])
def test_data_at_the_negative_rail_are_not_taken_for_filler(tmp_path: Path, ext: str) -> None:
    """The filler's value is kept for filler: a recording of ours with no annotations (which
    is searched for filler by value) keeps its most negative samples, railed or clipped."""
    x = np.array([0.0, -40.0, 12.0, -40.0, 3.0] * 100)  # the peak is negative: write() sizes
    path = write(tmp_path / f"rail{ext}", Recording(x[:, None], FS, ["EMG1"]))  # the range on it
    with open_writer(tmp_path / f"clipped{ext}", FS, ["EMG1"], physical_range_uv=20.0) as out:
        with pytest.warns(RecordingWarning, match="clipped"):
            out.write(x)
    for file in (path, tmp_path / f"clipped{ext}"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RecordingWarning)
            rec = read(file)
        assert rec.gaps == [] and rec.n_samples == x.size
    assert read(path).samples[:, 0] == pytest.approx(x, abs=0.01)
