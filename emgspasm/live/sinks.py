"""Where a live session's blocks and events go: the `Sink` interface and the file sinks.

The runner calls `block()` for every block *before* the bounded pipeline queue (so a recording is
complete even when the detector sheds load), `events()` as events are decided and `alerts()` as
sustained events are announced while in progress. Every method
must be quick; anything slow gets its own thread or queue (see the terminal sink). A sink that
raises (a full disk, a folder it may not write to) is reported by its `describe()` and dropped;
the session goes on with the others (`emgspasm.live.runner.LiveRunner`), so file sinks open
their files in `start()`, inside the session, not when they are made.

`RecordingSink` writes the decoded signal through `emgspasm.io.open_writer` (BDF+, EDF+ or CSV by
extension) with every gap in the format's own way (BDF+/EDF+: filler on the real time axis
annotated ``BAD_gap``, see `emgspasm.io.edf_writer`; CSV: a jump in ``time_s``), plus text
annotations for what the numbers alone do not say: bounded gaps, reconnects, device restarts
and device markers, each at the file time where it happened. Raw
``.emgcap`` captures are not a sink: they are written by the transport, byte for byte.
"""

from __future__ import annotations

import errno
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from emgspasm.alerts import Alert
from emgspasm.events import Event
from firmware_bridge.transports.block import SampleBlock

if TYPE_CHECKING:
    from emgspasm.io.base import RecordingWriter
    from emgspasm.live.summary import LiveSummary


class Sink:
    """Receives a live session. Subclasses override what they need; all methods must be quick."""

    def describe(self) -> str:
        """What this output is, for the line that says it failed (e.g. ``recording x.bdf``)."""
        return type(self).__name__

    def start(self, first: SampleBlock, source: str) -> None:
        """Called once, before `block`, with the session's first block (its rate, channels and
        full scale describe the session)."""

    def block(self, block: SampleBlock) -> None:
        """Every decoded block, in order, none shed."""

    def events(self, events: list[Event]) -> None:
        """Events as they are emitted by the pipeline."""

    def alerts(self, alerts: list[Alert]) -> None:
        """Sustained events announced while still in progress (`emgspasm.alerts`)."""

    def close(self, summary: LiveSummary | None) -> None:
        """End of session (also after an error: keep what was written)."""


class EventsJsonlSink(Sink):
    """Events as JSON lines (docs/architecture.md#event-line), flushed as each one is emitted."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh: TextIO | None = None
        self.count = 0

    def describe(self) -> str:
        return f"events file {self.path}"

    def start(self, first: SampleBlock, source: str) -> None:
        self._fh = open_for_writing(self.path).open("w", encoding="utf-8")

    def events(self, events: list[Event]) -> None:
        if self._fh is None:
            return
        for ev in events:
            self._fh.write(json.dumps(ev.to_dict()) + "\n")
            self.count += 1
        if events:
            self._fh.flush()

    def close(self, summary: LiveSummary | None) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()


def open_for_writing(path: Path) -> Path:
    """Make ``path``'s folder and check that the file can be created there, so a failure names
    the real reason (a read-only folder, a file where a folder should be): edflib reports every
    failure to open as "no such file or directory". Returns ``path``; raises `OSError`."""
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(parent))
    parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab"):  # creates it (or finds it writable); the writer then truncates it
        pass
    return path


ANNOTATION_CHARS = 40
"""EDF+ (via edflib) keeps 40 bytes of annotation text; stay within it."""


class RecordingSink(Sink):
    """The decoded signal to BDF+/EDF+/CSV (format by extension), gaps annotated."""

    def __init__(self, path: str | Path, **writer_options: Any) -> None:
        self.path = Path(path)
        self._options = writer_options
        self._writer: RecordingWriter | None = None
        self.samples = 0

    def describe(self) -> str:
        return f"recording {self.path}"

    def start(self, first: SampleBlock, source: str) -> None:
        """Open the writer. EDF/BDF store a fixed physical range: by default the device's full
        scale, so nothing it can send is clipped (BDF at Cyton full scale keeps one count per
        digital step); CSV ignores it."""
        from emgspasm.io import open_writer

        options = dict(self._options)
        full = first.full_scale_uv
        if options.get("physical_range_uv") is None and full and math.isfinite(full):
            options["physical_range_uv"] = full
        self._writer = open_writer(open_for_writing(self.path), first.fs, list(first.channels),
                                   **options)

    def block(self, block: SampleBlock) -> None:
        writer = self._writer
        if writer is None:
            return
        lo, hi = block.gap_bounds
        gap_s = writer.file_time_s  # where the gap starts
        if block.gap_estimate > 0:
            writer.add_gap(block.gap_estimate)
        if hi > lo:
            self._note(gap_s, f"gap bound {lo}..{hi} samples")
        at_s = writer.file_time_s  # the block's first sample (after a filled gap's filler)
        if block.after_reconnect:
            self._note(at_s, "reconnect")
        if block.restart:
            self._note(at_s, "device restart")
        for _, marker in block.markers:
            self._note(at_s, "marker " + json.dumps(marker, separators=(",", ":")))
        if block.n_samples:
            writer.write(block.samples)
            self.samples += block.n_samples

    def close(self, summary: LiveSummary | None) -> None:
        if self._writer is not None:
            if summary is not None:
                self._note(self._writer.file_time_s,
                           f"end: {summary.samples_lost} lost, {summary.reconnects} reconn")
            self._writer.close()

    def _note(self, at_s: float, text: str) -> None:
        assert self._writer is not None
        self._writer.add_annotation(at_s, 0.0, text[:ANNOTATION_CHARS])
