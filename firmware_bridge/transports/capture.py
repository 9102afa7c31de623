"""Raw captures (``.emgcap``): every byte a device sent, with its host receive time.

Why raw bytes and not decoded samples: a capture can be decoded again by a better codec, shows
exactly what a misbehaving device sent, and replays through the very code path of the live
session (`StreamDecoder`), so a replay reproduces the live session's blocks and events exactly.

Format (all little-endian), append-only::

    magic   b"EMGCAP1\\n"
    record* kind u8 | channel u8 | length u32 | host_time f64 | payload[length] | crc32 u32

The CRC-32 (zlib) covers everything from ``kind`` to the end of the payload. The first record
is a HEADER (JSON object: device, codec and codec options, channel names, rate, wall-clock start
time), then one record per transport event (`events.py`): RECEIVED and SENT carry the bytes,
LINK_UP/LINK_DOWN a UTF-8 reason, NOTE any JSON value. ``host_time`` is seconds on the session's
monotonic clock from its start.

Crash safety: the writer flushes at least every ``flush_interval_s`` and at every link event, so a
killed process loses at most that last buffer; each record is self-checking, so the reader
stops at the first torn or truncated record and says where, keeping everything before it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from firmware_bridge.transports.events import LinkDown, LinkUp, Received, Sent, TransportEvent

MAGIC = b"EMGCAP1\n"
SUFFIX = ".emgcap"
FORMAT_VERSION = 1
_RECORD = struct.Struct("<BBId")
_CRC = struct.Struct("<I")
MAX_RECORD_BYTES = 1 << 24
"""Larger lengths are impossible (a corrupt length field), not a reason to read 4 GB."""

HEADER, RECEIVED, SENT, LINK_UP, LINK_DOWN, NOTE = range(6)

_KIND_OF: dict[type, int] = {Received: RECEIVED, Sent: SENT, LinkUp: LINK_UP, LinkDown: LINK_DOWN}


class CaptureError(ValueError):
    """A capture file cannot be read; the message names the file and the byte offset."""


def _encode(event: TransportEvent) -> tuple[int, int, bytes]:
    kind = _KIND_OF[type(event)]
    if isinstance(event, Received | Sent):
        return kind, event.channel, bytes(event.data)
    text = event.detail if isinstance(event, LinkUp) else event.reason
    return kind, 0, text.encode("utf-8")


def _decode(kind: int, channel: int, host_time: float, payload: bytes) -> TransportEvent | None:
    if kind == RECEIVED:
        return Received(payload, host_time, channel)
    if kind == SENT:
        return Sent(payload, host_time, channel)
    if kind == LINK_UP:
        return LinkUp(host_time, payload.decode("utf-8", errors="replace"))
    if kind == LINK_DOWN:
        return LinkDown(host_time, payload.decode("utf-8", errors="replace"))
    return None  # NOTE or a kind from a later version: not a transport event


class CaptureWriter:
    """Append transport events to a ``.emgcap`` file.

    ``header`` describes how to decode the bytes (see `firmware_bridge.devices.capture_header`);
    the writer adds the format version and the wall-clock start time.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: Mapping[str, Any],
        *,
        flush_interval_s: float = 0.25,
        buffer_bytes: int = 64 * 1024,
    ) -> None:
        self.path = Path(path)
        self.flush_interval_s = flush_interval_s
        self.records = 0
        self.bytes_captured = 0
        full = {
            "format": "emgcap",
            "version": FORMAT_VERSION,
            "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            **dict(header),
        }
        self.header = full
        self._fh: BinaryIO | None = open(self.path, "wb", buffering=buffer_bytes)
        self._last_flush = time.monotonic()
        self._fh.write(MAGIC)
        self._record(HEADER, 0, 0.0, json.dumps(full).encode("utf-8"))
        self.flush()

    def write(self, event: TransportEvent) -> None:
        """Append one event; flushes on link changes and when the last flush is old."""
        kind, channel, payload = _encode(event)
        self._record(kind, channel, event.host_time, payload)
        if kind == RECEIVED:
            self.bytes_captured += len(payload)
        stale = time.monotonic() - self._last_flush >= self.flush_interval_s
        if stale or kind in (LINK_UP, LINK_DOWN):
            self.flush()

    def note(self, host_time: float, value: Any) -> None:
        """Append a JSON note (e.g. why the session ended)."""
        self._record(NOTE, 0, host_time, json.dumps(value).encode("utf-8"))

    def flush(self) -> None:
        """Hand buffered records to the OS (survives a crash of this process)."""
        if self._fh is not None:
            self._fh.flush()
            self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush, fsync (survives a power cut) and close. Safe to call twice."""
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()

    def _record(self, kind: int, channel: int, host_time: float, payload: bytes) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path}: capture is closed")
        head = _RECORD.pack(kind, channel, len(payload), float(host_time))
        crc = zlib.crc32(payload, zlib.crc32(head))
        self._fh.write(head + payload + _CRC.pack(crc))
        self.records += 1

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CaptureReader:
    """Read a ``.emgcap`` file: its `header`, then its transport `events()`.

    A torn or truncated tail (a crash while writing) ends the events early instead of raising:
    `truncated_at` is then the byte offset of the first unusable record and `tail_bytes` how
    many bytes were ignored. A wrong magic or a missing header raises `CaptureError`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.truncated_at: int | None = None
        self.tail_bytes = 0
        self.notes: list[tuple[float, Any]] = []
        with open(self.path, "rb") as fh:
            magic = fh.read(len(MAGIC))
            if magic != MAGIC:
                raise CaptureError(f"{self.path}@0: not an emgcap file (bad magic {magic[:8]!r})")
            first = self._next_record(fh, len(MAGIC))
            if first is None or first[0] != HEADER:
                raise CaptureError(f"{self.path}@{len(MAGIC)}: no readable header record")
            try:
                header = json.loads(first[3].decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CaptureError(f"{self.path}@{len(MAGIC)}: bad header JSON: {exc}") from exc
            if not isinstance(header, dict):
                raise CaptureError(f"{self.path}@{len(MAGIC)}: header is not a JSON object")
            self.header: dict[str, Any] = header
            self._data_start = fh.tell()

    def events(self) -> Iterator[TransportEvent]:
        """The transport events in file order (each call reads the file again)."""
        self.notes = []
        with open(self.path, "rb") as fh:
            fh.seek(self._data_start)
            offset = self._data_start
            while True:
                record = self._next_record(fh, offset)
                if record is None:
                    return
                kind, channel, host_time, payload = record
                offset = fh.tell()
                event = _decode(kind, channel, host_time, payload)
                if event is not None:
                    yield event
                elif kind == NOTE:
                    try:
                        self.notes.append((host_time, json.loads(payload.decode("utf-8"))))
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        self.notes.append((host_time, None))  # CRC-valid but unreadable: keep going

    def _next_record(
        self, fh: BinaryIO, offset: int
    ) -> tuple[int, int, float, bytes] | None:
        head = fh.read(_RECORD.size)
        if not head:
            return None
        if len(head) == _RECORD.size:
            kind, channel, length, host_time = _RECORD.unpack(head)
            if length <= MAX_RECORD_BYTES:
                payload = fh.read(length)
                crc = fh.read(_CRC.size)
                if (
                    len(payload) == length
                    and len(crc) == _CRC.size
                    and _CRC.unpack(crc)[0] == zlib.crc32(payload, zlib.crc32(head))
                ):
                    return kind, channel, host_time, payload
        self.truncated_at = offset
        fh.seek(0, io.SEEK_END)
        self.tail_bytes = fh.tell() - offset
        return None

    def __repr__(self) -> str:
        return f"CaptureReader({str(self.path)!r}, device={self.header.get('device')!r})"
