"""Events out of emgspasm: CSV for spreadsheets, EDF+/BDF+ annotations for EDF viewers.

JSON lines, the project's own event format, is `emgspasm.events.write_events`. This module adds:

* `write_events_csv`: one row per event, the event-line fields as columns (channels joined with
  ``;``), so a spreadsheet or pandas opens it as is;
* `write_annotated_copy`: the recording copied, chunk by chunk, into an EDF+ or BDF+ file that
  also carries every event as an annotation ("cramp ch1"), next to its existing annotations and
  gaps, for EDFbrowser, MNE or any EDF+ reader;
* `write_annotations_only`: the events alone, as an EDF+/BDF+ file with no signals (the form
  hypnogram files take), to load beside an unchanged recording.

Where annotations go: events carry stream time (a gap advances their clock), and other tools
place an annotation by its onset from the file's first sample. The annotated copy keeps real
time (its gaps are filler, see `emgspasm.io.edf_writer`), so events go in at their own times;
only gaps stored back to back (older files, gaps too long to fill) shift file time against
stream time, and onsets are converted across those, so each annotation sits on the samples that
produced the event.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyedflib

from emgspasm.events import Event
from emgspasm.io import RecordingError, RecordingReader, open_reader, open_writer
from emgspasm.io.edf_writer import ANNOTATION_SIGNALS, ANNOTATION_TEXT_BYTES, FILLER_MARGIN
from emgspasm.timeline import file_to_stream, stream_to_file

CSV_COLUMNS: tuple[str, ...] = (
    "start_s", "end_s", "duration_s", "label", "channels", "confidence",
)
"""Columns every CSV export has, in this order."""

OPTIONAL_COLUMNS: tuple[str, ...] = ("decided_at_s", "peak_uv", "median_freq_hz")
"""Optional event-line fields placed right after the core columns when any event has them;
other optional fields follow alphabetically."""

CHANNEL_SEPARATOR = ";"
"""Channels of one event in one CSV cell (a comma would fight the CSV's own delimiter)."""

COPY_CHUNK_S = 10.0
"""Seconds of samples copied at a time: memory stays a few MB for any recording length."""

MAX_ANNOTATION_SIGNALS = 64
"""edflib's limit on EDF+ annotation signals per file."""

ANNOTATION_EXTENSIONS = {".edf": pyedflib.FILETYPE_EDFPLUS, ".bdf": pyedflib.FILETYPE_BDFPLUS}


def write_events_csv(path: str | Path, events: Iterable[Event]) -> Path:
    """Write events as CSV, sorted by start time; returns the path.

    Columns: `CSV_COLUMNS`, then the optional fields present in any event (empty where an
    event lacks them; lists and mappings as JSON).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [e.to_dict() for e in sorted(events, key=lambda e: (e.start_s, e.end_s, e.label))]
    present = {key for row in rows for key in row} - set(CSV_COLUMNS)
    columns = [*CSV_COLUMNS, *(k for k in OPTIONAL_COLUMNS if k in present),
               *sorted(present - set(OPTIONAL_COLUMNS))]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            row["duration_s"] = round(row["end_s"] - row["start_s"], 6)
            row["channels"] = CHANNEL_SEPARATOR.join(row["channels"])
            writer.writerow([_cell(row.get(key)) for key in columns])
    return path


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def annotation_text(event: Event) -> str:
    """``"<label> <channels>"`` within edflib's 40-byte limit.

    Many channels are abbreviated to the first and a count (``"artifact EMG1+7"``) rather than
    cut mid-name, so the text stays meaningful in a viewer.
    """
    for text in (f"{event.label} {','.join(event.channels)}",
                 f"{event.label} {event.channels[0]}+{len(event.channels) - 1}"
                 if event.channels else event.label):
        if len(text.encode("utf-8")) <= ANNOTATION_TEXT_BYTES:
            return text
    return event.label.encode("utf-8")[:ANNOTATION_TEXT_BYTES].decode("utf-8", "ignore")


def _file_times(events: Sequence[Event], gaps: Sequence[tuple[int, int]],
                fs: float | None) -> list[tuple[float, float, str]]:
    """(onset, duration, text) in file time for each event, in time order."""
    ordered = sorted(events, key=lambda e: (e.start_s, e.end_s, e.label))
    if not gaps:
        return [(e.start_s, e.duration_s, annotation_text(e)) for e in ordered]
    if fs is None:
        raise ValueError("fs is needed to place events across gaps")
    bounds = np.array([[e.start_s, e.end_s] for e in ordered]) * fs
    onset, end = stream_to_file(np.rint(bounds).astype(np.int64), gaps).T / fs
    return [(float(a), max(float(b - a), 0.0), annotation_text(e))
            for a, b, e in zip(onset, end, ordered, strict=True)]


def write_annotated_copy(
    recording_path: str | Path,
    events: Iterable[Event],
    out_path: str | Path,
    *,
    reader_kwargs: Mapping[str, Any] | None = None,
) -> Path:
    """Copy a recording into EDF+ (``.edf``) or BDF+ (``.bdf``) with the events as annotations.

    The samples are read and written in chunks (any length of recording); the recording's own
    annotations and gaps are kept. Each channel's physical range is sized from its largest
    value (a first pass), so nothing is clipped; EDF's 16 bits then give a step of range/65535,
    BDF's 24 bits 256 times finer. `reader_kwargs` are `open_reader` options (``fs``,
    ``units``, ``channels`` ...). Returns `out_path`.
    """
    out_path = Path(out_path)
    source = Path(recording_path)
    if out_path.suffix.lower() not in ANNOTATION_EXTENSIONS:
        raise ValueError(f"{out_path}: an annotated copy is EDF+ or BDF+; name it .edf or .bdf")
    if out_path.exists() and out_path.resolve() == source.resolve():
        raise ValueError(f"{out_path}: the copy would overwrite the recording itself")
    events = list(events)
    with open_reader(source, **dict(reader_kwargs or {})) as reader:
        chunk = max(1, round(COPY_CHUNK_S * reader.fs))
        ranges = _peak_abs(reader, chunk)
        seconds = max(1, math.floor(reader.n_samples / reader.fs))  # ~ data records of 1 s
        n_notes = len(reader.annotations) + len(events)
        per_record = -(-(n_notes + len(reader.gaps) + 1) // seconds)
        with open_writer(out_path, reader.fs, reader.channels, physical_range_uv=ranges,
                         annotation_signals=min(max(per_record, ANNOTATION_SIGNALS),
                                                MAX_ANNOTATION_SIGNALS)) as out:
            packed = [g for g in reader.gaps if not out.fills_gap(g[1])]
            notes = _moved_annotations(reader, packed)
            notes += _file_times(events, packed, reader.fs)
            _copy(reader, out, chunk)
            for onset, duration, text in notes:
                out.add_annotation(onset, duration, text)
    return out_path


def _moved_annotations(reader: RecordingReader,
                       packed: Sequence[tuple[int, int]]) -> list[tuple[float, float, str]]:
    """The source's annotations, moved from its time axis to the copy's: the same unless the
    two store different gaps back to back (an older source, whose gaps the copy fills)."""
    notes = [(a.onset_s, a.duration_s, a.text) for a in reader.annotations]
    if not notes or sorted(reader.packed_gaps) == sorted(packed):
        return notes
    fs = reader.fs
    onsets = np.rint(np.array([n[0] for n in notes]) * fs).astype(np.int64)
    moved = stream_to_file(file_to_stream(onsets, reader.packed_gaps), packed) / fs
    return [(float(t), d, text) for t, (_, d, text) in zip(moved, notes, strict=True)]


def _peak_abs(reader: RecordingReader, chunk: int) -> list[float]:
    """Largest |value| per channel (at least 1 µV, so a silent channel is still storable),
    with the margin that keeps the most negative sample off the gap filler's value."""
    peak = np.ones(len(reader.channels))
    for block in reader.chunks(chunk):
        peak = np.maximum(peak, np.abs(block).max(axis=0))
    return (peak * (1.0 + FILLER_MARGIN)).tolist()


def _copy(reader: RecordingReader, out: Any, chunk: int) -> None:
    """Samples from `reader` to `out`, with each gap marked where it falls."""
    pending = sorted(reader.gaps)
    position = 0
    for block in reader.chunks(chunk):
        start = 0
        while pending and pending[0][0] < position + block.shape[0]:
            at, missing = pending.pop(0)
            cut = at - position
            out.write(block[start:cut])
            out.add_gap(missing)
            start = cut
        out.write(block[start:])
        position += block.shape[0]
    for _, missing in pending:  # gaps after the last sample
        out.add_gap(missing)
    if position != reader.n_samples:
        raise RecordingError(f"{reader.path}: copied {position} of {reader.n_samples} samples")


def write_annotations_only(
    path: str | Path,
    events: Iterable[Event],
    *,
    gaps: Sequence[tuple[int, int]] = (),
    fs: float | None = None,
) -> Path:
    """Write the events as an EDF+ (``.edf``) or BDF+ (``.bdf``) file with annotations only.

    Load it beside the recording in an EDF viewer. Pass the gaps the recording stores back to
    back (its reader's `packed_gaps`: none for a BDF/EDF written by emgspasm with its gaps
    filled) and `fs`, so onsets land on its samples (file time). pyedflib (edflib) writes one empty
    1-s data record per annotation in such a file, so the file's nominal duration is the number
    of events in seconds, not the recording's; readers use the annotations' own onsets.
    """
    path = Path(path)
    filetype = ANNOTATION_EXTENSIONS.get(path.suffix.lower())
    if filetype is None:
        raise ValueError(f"{path}: an annotation file is EDF+ or BDF+; name it .edf or .bdf")
    notes = _file_times(list(events), gaps, fs)
    path.parent.mkdir(parents=True, exist_ok=True)
    edf = pyedflib.EdfWriter(str(path), 0, filetype)
    try:
        edf.setEquipment("emgspasm")
        for onset, duration, text in notes:
            edf.writeAnnotation(onset, duration, text)
    finally:
        edf.close()
    return path
