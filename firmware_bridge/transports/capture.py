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
skips a damaged record (a flipped bit, a torn write) by resynchronising on the next offset where
a whole record with a valid CRC starts, reports the damaged byte range and keeps everything
after it; a torn tail with no intact record after it is reported as such. The byte stream then
jumps over the damaged record's bytes: the codecs resynchronise on their own frames and the
device counter (or the receive times) shows the samples that were in it as a gap.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import mmap
import os
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from firmware_bridge.closing import ClosedOnExit
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


class CaptureWriter(ClosedOnExit):
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


_HEAD_END = len(MAGIC) + _RECORD.size
MAX_RESYNC_TIME_JUMP_S = 86_400.0
"""During a resync a candidate record must be stamped no earlier than the last intact one and
at most this much later (records are written in host-time order; a day covers any outage within
one night's session). Random bytes pass this about 1 time in 300, which keeps the scan from
checksumming megabytes at most offsets of a damaged record."""

_Record = tuple[int, int, float, bytes]


def _record_at(data: bytes | mmap.mmap, offset: int) -> tuple[_Record, int] | None:
    """The intact record starting at ``offset`` and the offset after it, or None."""
    end_head = offset + _RECORD.size
    if end_head > len(data):
        return None
    kind, channel, length, host_time = _RECORD.unpack_from(data, offset)
    end = end_head + length + _CRC.size
    if length > MAX_RECORD_BYTES or end > len(data):
        return None
    crc = zlib.crc32(data[offset : end_head + length])
    if _CRC.unpack_from(data, end_head + length)[0] != crc:
        return None
    return (kind, channel, host_time, bytes(data[end_head : end_head + length])), end


def _plausible_start(data: bytes | mmap.mmap, offset: int, after: float) -> bool:
    """Cheap test before a CRC, so a resync scan does not checksum at every byte offset: a kind
    this version writes (a later version's kinds cannot be resynchronised on), a length that
    fits in the file, a host time in ``[after, after + MAX_RESYNC_TIME_JUMP_S]``."""
    if offset + _RECORD.size > len(data) or data[offset] > NOTE:
        return False
    _, _, length, host_time = _RECORD.unpack_from(data, offset)
    if offset + _RECORD.size + length + _CRC.size > len(data):
        return False
    return math.isfinite(host_time) and after <= host_time <= after + MAX_RESYNC_TIME_JUMP_S


class CaptureReader:
    """Read a ``.emgcap`` file: its `header`, then its transport `events()`.

    Damage never ends the events early: a record that fails its CRC (or whose length field is
    impossible) is skipped by searching for the next intact record, and ``damaged`` lists each
    skipped byte range ``(start, end)``. A torn tail with no intact record after it (a crash
    while writing) is the last such range; `truncated_at` is then its start and `tail_bytes`
    its length. A wrong magic or a missing header raises `CaptureError`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.truncated_at: int | None = None
        self.tail_bytes = 0
        self.damaged: list[tuple[int, int]] = []
        self.notes: list[tuple[float, Any]] = []
        with open(self.path, "rb") as fh:
            magic = fh.read(len(MAGIC))
            if magic != MAGIC:
                raise CaptureError(f"{self.path}@0: not an emgcap file (bad magic {magic[:8]!r})")
            head = magic + fh.read(_RECORD.size)
            length = _RECORD.unpack_from(head, len(MAGIC))[2] if len(head) == _HEAD_END else 0
            head += fh.read(min(length, MAX_RECORD_BYTES) + _CRC.size)
            parsed = _record_at(head, len(MAGIC))
            first = parsed[0] if parsed is not None else None
            if first is None or first[0] != HEADER:
                raise CaptureError(f"{self.path}@{len(MAGIC)}: no readable header record")
            try:
                header = json.loads(first[3].decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CaptureError(f"{self.path}@{len(MAGIC)}: bad header JSON: {exc}") from exc
            if not isinstance(header, dict):
                raise CaptureError(f"{self.path}@{len(MAGIC)}: header is not a JSON object")
            self.header: dict[str, Any] = header
            self._data_start = parsed[1]

    def events(self) -> Iterator[TransportEvent]:
        """The transport events in file order (each call reads the file again)."""
        self.notes = []
        self.damaged = []
        self.truncated_at = None
        self.tail_bytes = 0
        with open(self.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= self._data_start:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                yield from self._events(data)

    def _events(self, data: mmap.mmap) -> Iterator[TransportEvent]:
        offset = self._data_start
        last_time = 0.0
        while offset < len(data):
            parsed = _record_at(data, offset)
            if parsed is None:
                offset = self._resync(data, offset, last_time)
                continue
            (kind, channel, host_time, payload), offset = parsed
            last_time = host_time
            event = _decode(kind, channel, host_time, payload)
            if event is not None:
                yield event
            elif kind == NOTE:
                try:
                    self.notes.append((host_time, json.loads(payload.decode("utf-8"))))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self.notes.append((host_time, None))  # CRC-valid but unreadable: keep going

    def _resync(self, data: mmap.mmap, bad: int, last_time: float) -> int:
        """Record the damaged range starting at ``bad``; return where the next intact record
        starts (the end of the file when none does: a torn tail)."""
        start = bad + 1
        while start < len(data):
            if _plausible_start(data, start, last_time) and _record_at(data, start) is not None:
                self.damaged.append((bad, start))
                return start
            start += 1
        self.damaged.append((bad, len(data)))
        self.truncated_at = bad
        self.tail_bytes = len(data) - bad
        return len(data)

    def __repr__(self) -> str:
        return f"CaptureReader({str(self.path)!r}, device={self.header.get('device')!r})"
