"""Raw captures: round trip, crash safety (any truncation reads back a prefix), torn records."""

from __future__ import annotations

import pytest

from firmware_bridge.transports.capture import CaptureError, CaptureReader, CaptureWriter
from firmware_bridge.transports.events import LinkDown, LinkUp, Received, Sent

EVENTS = [
    LinkUp(0.0, "serial /dev/pts/3"),
    Sent(b"b", 0.001),
    Received(b"\xa5\x5a\x01\x01" + bytes(range(40)), 0.0125),
    Received(b"", 0.013),
    Received(bytes(range(256)) * 3, 0.02, channel=2),
    LinkDown(0.5, "unplugged: [Errno 5] Input/output error"),
    LinkUp(0.9, "serial /dev/pts/4"),
    Received(b"\x00" * 7, 1.25),
]


def _write(path, events=EVENTS):
    with CaptureWriter(path, {"device": "emgf", "codec": "emgf"}) as cap:
        for event in events:
            cap.write(event)
        cap.note(1.3, {"ended": "test"})
    return path


def test_round_trip_keeps_every_event_and_the_header(tmp_path) -> None:
    path = _write(tmp_path / "s.emgcap")
    reader = CaptureReader(path)
    assert reader.header["device"] == "emgf" and reader.header["format"] == "emgcap"
    assert "started_utc" in reader.header
    assert list(reader.events()) == EVENTS
    assert reader.notes == [(1.3, {"ended": "test"})]
    assert reader.truncated_at is None


def test_any_truncation_reads_back_a_prefix_and_says_where(tmp_path) -> None:
    full = _write(tmp_path / "s.emgcap").read_bytes()
    header_end = CaptureReader(tmp_path / "s.emgcap")._data_start
    boundaries = {header_end}
    for event in EVENTS:
        payload = getattr(event, "data", None)
        if payload is None:
            payload = (getattr(event, "detail", None) or getattr(event, "reason", "")).encode()
        boundaries.add(max(boundaries) + 14 + len(payload) + 4)
    near = {b + d for b in boundaries for d in (-1, 0, 1)}
    for cut in sorted(set(range(header_end, len(full), 5)) | (near & set(range(header_end,
                                                                              len(full))))):
        path = tmp_path / "cut.emgcap"
        path.write_bytes(full[:cut])
        reader = CaptureReader(path)
        events = list(reader.events())
        assert events == EVENTS[: len(events)]
        assert (reader.truncated_at is None) == (cut in boundaries)
        if reader.truncated_at is not None:
            assert reader.truncated_at + reader.tail_bytes == cut


def test_a_torn_record_ends_the_events_there(tmp_path) -> None:
    data = bytearray(_write(tmp_path / "s.emgcap").read_bytes())
    reader = CaptureReader(tmp_path / "s.emgcap")
    offset = reader._data_start + 14 + 40  # inside the third record's payload
    data[offset + 30] ^= 0xFF
    (tmp_path / "torn.emgcap").write_bytes(bytes(data))
    torn = CaptureReader(tmp_path / "torn.emgcap")
    events = list(torn.events())
    assert events == EVENTS[: len(events)] and len(events) < len(EVENTS)
    assert torn.truncated_at is not None


def test_not_a_capture_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "x.emgcap"
    path.write_bytes(b"0,1,2\n3,4,5\n")
    with pytest.raises(CaptureError, match=r"x\.emgcap@0: not an emgcap file"):
        CaptureReader(path)
