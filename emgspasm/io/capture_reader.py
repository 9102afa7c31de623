"""Raw device captures (``.emgcap``) as recordings: `emgspasm analyze x.emgcap` works.

The bytes are decoded by the very decoder a live session uses (built from the capture's header,
`firmware_bridge.transports.session`), so analysing a capture gives what streaming gave. A
capture holds no sample count or gap list up front, so opening one decodes it once to learn
them (memory stays bounded: only counts are kept), and `chunks` decodes it again; decoding is
deterministic, so both passes agree.

What EDF+ would carry as annotations is carried here too: bounded gaps, reconnects, device
restarts and device markers. A damaged record (a flipped bit) is skipped and reading goes on
at the next intact one: a `RecordingWarning` and an annotation name the damaged byte range, and
the samples it held show as a gap. A capture cut short by a crash reads up to its last whole
record, with a `RecordingWarning` saying where it stops.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from emgspasm.io.base import RecordingReader
from emgspasm.io.errors import RecordingError, RecordingWarning, where
from emgspasm.recording import Annotation
from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.capture import CaptureError, CaptureReader
from firmware_bridge.transports.events import Received
from firmware_bridge.transports.session import decoder_from_header


def _decoded(capture: CaptureReader, received: list[int] | None = None
             ) -> Iterator[SampleBlock]:
    """The capture's sample blocks; `received[0]`, if given, counts the device bytes seen on
    the way, so a capture that holds data but no decodable sample can say so."""
    decoder = decoder_from_header(capture.header)
    for event in capture.events():
        if received is not None and isinstance(event, Received):
            received[0] += len(event.data)
        yield from decoder.apply(event)
    yield from decoder.finish()


class CaptureFileReader(RecordingReader):
    """Reader for ``.emgcap`` raw captures (µV from the device codec; `units` is ignored)."""

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        try:
            self._capture = CaptureReader(self.path)
            self._scan()
        except CaptureError as exc:
            raise RecordingError(str(exc)) from exc
        except (ValueError, KeyError) as exc:
            raise RecordingError(f"{where(self.path)}: cannot decode capture: {exc}") from exc
        if fs is not None and not np.isclose(fs, self.fs, rtol=1e-9):
            raise RecordingError(
                f"{where(self.path)}: the capture is sampled at {self.fs:g} Hz but fs={fs:g} "
                "was given"
            )
        self._columns = self._choose_channels(self._all_channels, channels)
        for start, end in self._capture.damaged:
            if start != self._capture.truncated_at:
                warnings.warn(
                    f"{where(self.path, byte=start)}: damaged capture record, bytes "
                    f"{start}..{end} skipped; reading resumed at the next intact record",
                    RecordingWarning,
                    stacklevel=4,
                )
        if self._capture.truncated_at is not None:
            warnings.warn(
                f"{where(self.path, byte=self._capture.truncated_at)}: capture ends in a torn "
                f"record; the last {self._capture.tail_bytes} bytes were ignored",
                RecordingWarning,
                stacklevel=4,
            )

    def _scan(self) -> None:
        n = 0
        gaps: list[tuple[int, int]] = []
        notes: list[Annotation] = []
        fs: float | None = None
        names: tuple[str, ...] = ()
        damaged = 0
        received = [0]
        for block in _decoded(self._capture, received):
            fs, names = block.fs, block.channels
            at = n / fs
            for start, end in self._capture.damaged[damaged:]:
                notes.append(Annotation(at, 0.0, f"capture damaged: bytes {start}..{end} skipped"))
            damaged = len(self._capture.damaged)
            lo, hi = block.gap_bounds
            if block.gap_estimate:
                gaps.append((n, block.gap_estimate))
            if hi > lo:
                notes.append(Annotation(at, 0.0, f"gap bound {lo}..{hi} samples"))
            if block.after_reconnect:
                notes.append(Annotation(at, 0.0, "reconnect"))
            if block.restart:
                notes.append(Annotation(at, 0.0, "device restart"))
            for _, marker in block.markers:
                notes.append(Annotation(at, 0.0, "marker " + json.dumps(marker)))
            n += block.n_samples
        if fs is None or n == 0:
            if received[0]:
                codec = self._capture.header.get("codec", "its")
                raise RecordingError(
                    f"{where(self.path)}: the capture holds {received[0]} bytes from the "
                    f"device but no sample the {codec} codec could decode: no info frame "
                    "(rate and channels) arrived, or the device is not what the header says")
            raise RecordingError(f"{where(self.path)}: the capture holds no samples")
        self.fs = float(fs)
        self._all_channels = list(names)
        self.n_samples = n
        self.gaps = gaps
        self.annotations = notes

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for block in _decoded(self._capture):
            if block.n_samples:
                yield block.samples[:, self._columns]


def open_capture(path: str | Path, **options: object) -> CaptureFileReader:
    """Reader factory for the ``emgspasm.io`` registry."""
    return CaptureFileReader(path, **options)  # type: ignore[arg-type]
