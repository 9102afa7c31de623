"""Event exports: CSV, and EDF+/BDF+ annotations that another EDF reader (pyedflib) reads."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyedflib
import pytest

from emgspasm.events import Event, read_events, write_events
from emgspasm.export import (
    CSV_COLUMNS,
    annotation_text,
    write_annotated_copy,
    write_annotations_only,
    write_events_csv,
)
from emgspasm.io import open_reader, read, write
from emgspasm.io.edf_writer import ANNOTATION_TEXT_BYTES
from emgspasm.recording import Annotation, Recording

EVENTS = [
    Event(1.5, 4.0, "cramp", ["EMG1"], 0.97, decided_at_s=4.2, extra={"peak_uv": 812.4}),
    Event(0.25, 0.26, "twitch", ["EMG2"], 0.8, extra={"median_freq_hz": 95.0}),
    Event(5.0, 6.5, "artifact", ["EMG1", "EMG2"], 1.0, extra={"subtype": "pop",
                                                               "tags": ["a", "b"]}),
]


def _recording(gaps: list[tuple[int, int]] | None = None) -> Recording:
    rng = np.random.default_rng(0)
    samples = rng.standard_normal((8000, 2)) * 20.0
    samples[3000:3500, 0] += 900.0  # a large value: the copy must not clip it
    return Recording(samples=samples, fs=1000.0, channels=["EMG1", "EMG2"],
                     annotations=[Annotation(2.5, 0.0, "electrode reseated")],
                     gaps=gaps or [])


def test_csv_columns_and_values(tmp_path: Path) -> None:
    path = write_events_csv(tmp_path / "out" / "e.csv", EVENTS)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header[:6] == list(CSV_COLUMNS)
    assert header[6:] == ["decided_at_s", "peak_uv", "median_freq_hz", "subtype", "tags"]
    assert [r["label"] for r in rows] == ["twitch", "cramp", "artifact"]  # by start time
    cramp = rows[1]
    assert float(cramp["start_s"]) == 1.5 and float(cramp["duration_s"]) == 2.5
    assert cramp["channels"] == "EMG1" and float(cramp["confidence"]) == 0.97
    assert float(cramp["decided_at_s"]) == 4.2 and float(cramp["peak_uv"]) == 812.4
    assert cramp["median_freq_hz"] == "" and rows[0]["peak_uv"] == ""
    assert rows[2]["channels"] == "EMG1;EMG2" and rows[2]["tags"] == '["a", "b"]'


def test_csv_without_optional_fields(tmp_path: Path) -> None:
    path = write_events_csv(tmp_path / "e.csv", [Event(0.0, 1.0, "voluntary", ["a"])])
    assert path.read_text().splitlines() == [
        ",".join(CSV_COLUMNS), "0.0,1.0,1.0,voluntary,a,1.0"]
    empty = write_events_csv(tmp_path / "none.csv", [])
    assert empty.read_text().splitlines() == [",".join(CSV_COLUMNS)]


def test_jsonl_export_is_the_event_format(tmp_path: Path) -> None:
    back = read_events(write_events(tmp_path / "e.jsonl", EVENTS))
    assert [e.to_dict() for e in back] == [e.to_dict() for e in sorted(
        EVENTS, key=lambda e: e.start_s)]


def test_annotation_text_fits_edflib() -> None:
    assert annotation_text(EVENTS[0]) == "cramp EMG1"
    assert annotation_text(EVENTS[2]) == "artifact EMG1,EMG2"
    wide = Event(0, 1, "artifact", [f"Channel{i:02d}" for i in range(8)])
    text = annotation_text(wide)
    assert text == "artifact Channel00+7"
    assert len(text.encode()) <= ANNOTATION_TEXT_BYTES


def _pyedflib_annotations(path: Path) -> list[tuple[float, float, str]]:
    reader = pyedflib.EdfReader(str(path))
    try:
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    return [(float(o), float(d), str(t)) for o, d, t in zip(onsets, durations, texts,
                                                             strict=True)]


@pytest.mark.parametrize("source_ext", [".bdf", ".csv"])
@pytest.mark.parametrize("out_ext", [".bdf", ".edf"])
def test_annotated_copy_is_read_by_pyedflib(tmp_path: Path, source_ext: str,
                                            out_ext: str) -> None:
    rec = _recording()
    source = write(tmp_path / f"rec{source_ext}", rec)
    kwargs = {"fs": 1000.0} if source_ext == ".csv" else None
    out = write_annotated_copy(source, EVENTS, tmp_path / f"copy{out_ext}", reader_kwargs=kwargs)
    found = _pyedflib_annotations(out)
    for event in EVENTS:
        text = annotation_text(event)
        match = [a for a in found if a[2] == text]
        assert len(match) == 1, (text, found)
        assert match[0][0] == pytest.approx(event.start_s, abs=1e-4)
        assert match[0][1] == pytest.approx(event.duration_s, abs=1e-4)
    if source_ext == ".bdf":  # the CSV sidecar carries no annotations in this test
        assert ("electrode reseated" in {a[2] for a in found})
    copy = read(out)
    original = read(source, **(kwargs or {}))
    step = 2 * np.abs(original.samples).max(axis=0) / (2 ** (16 if out_ext == ".edf" else 24))
    assert copy.samples.shape == original.samples.shape
    assert (np.abs(copy.samples - original.samples) <= step).all()  # nothing clipped
    assert {a.text for a in copy.annotations} >= {annotation_text(e) for e in EVENTS}


def test_annotated_copy_keeps_gaps_and_real_time(tmp_path: Path) -> None:
    """Events carry stream time; the copy keeps real time across a 0.5 s gap at 2 s (filler,
    see edf_writer), so an event at 5 s sits at 5 s for every EDF viewer, and one starting in
    the gap starts inside the gap's filler."""
    source = write(tmp_path / "gappy.bdf", _recording(gaps=[(2000, 500)]))
    in_gap = Event(2.2, 3.0, "voluntary", ["EMG2"])
    out = write_annotated_copy(source, [*EVENTS, in_gap], tmp_path / "gappy-copy.bdf")
    with open_reader(out) as reader:
        assert reader.gaps == [(2000, 500)]
        assert reader.n_samples == 8000
    found = {text: (onset, duration) for onset, duration, text in _pyedflib_annotations(out)}
    assert found["artifact EMG1,EMG2"] == pytest.approx((5.0, 1.5), abs=1e-4)
    assert found["cramp EMG1"] == pytest.approx((1.5, 2.5), abs=1e-4)
    assert found["twitch EMG2"] == pytest.approx((0.25, 0.01), abs=1e-4)
    assert found["voluntary EMG2"] == pytest.approx((2.2, 0.8), abs=1e-4)
    assert found["BAD_gap 500 samples at #2000"] == pytest.approx((2.0, 0.5), abs=1e-4)


def test_annotated_copy_with_many_events_adds_no_padding(tmp_path: Path) -> None:
    """More events than 1-s records x 2 annotation slots: more annotation signals, not a
    longer file."""
    source = write(tmp_path / "rec.bdf", _recording())
    twitches = [Event(0.02 * i, 0.02 * i + 0.005, "twitch", ["EMG2"]) for i in range(300)]
    out = write_annotated_copy(source, twitches, tmp_path / "many.bdf")
    reader = pyedflib.EdfReader(str(out))
    try:
        assert reader.getFileDuration() == 8
        assert len(reader.readAnnotations()[0]) == 300 + 1  # + the source's annotation
    finally:
        reader.close()


def test_annotated_copy_refuses_bad_targets(tmp_path: Path) -> None:
    source = write(tmp_path / "rec.bdf", _recording())
    with pytest.raises(ValueError, match=r"\.edf or \.bdf"):
        write_annotated_copy(source, EVENTS, tmp_path / "copy.csv")
    with pytest.raises(ValueError, match="overwrite"):
        write_annotated_copy(source, EVENTS, source)


@pytest.mark.parametrize("ext", [".edf", ".bdf"])
def test_annotations_only_file(tmp_path: Path, ext: str) -> None:
    out = write_annotations_only(tmp_path / f"events{ext}", EVENTS)
    found = _pyedflib_annotations(out)
    assert [a[2] for a in found] == ["twitch EMG2", "cramp EMG1", "artifact EMG1,EMG2"]
    assert [a[0] for a in found] == pytest.approx([0.25, 1.5, 5.0], abs=1e-4)
    assert [a[1] for a in found] == pytest.approx([0.01, 2.5, 1.5], abs=1e-4)
    reader = pyedflib.EdfReader(str(out))
    try:
        assert reader.signals_in_file == 0
    finally:
        reader.close()


def test_annotations_only_across_gaps(tmp_path: Path) -> None:
    out = write_annotations_only(tmp_path / "e.edf", EVENTS, gaps=[(2000, 500)], fs=1000.0)
    found = {text: onset for onset, _, text in _pyedflib_annotations(out)}
    assert found["artifact EMG1,EMG2"] == pytest.approx(4.5, abs=1e-4)
    with pytest.raises(ValueError, match="fs"):
        write_annotations_only(tmp_path / "f.edf", EVENTS, gaps=[(2000, 500)])
    with pytest.raises(ValueError, match=r"\.edf or \.bdf"):
        write_annotations_only(tmp_path / "f.txt", EVENTS)
