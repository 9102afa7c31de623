"""Raw captures: round trip, crash safety (any truncation reads back a prefix), torn records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    for cut in sorted(
        set(range(header_end, len(full), 5)) | (near & set(range(header_end, len(full))))
    ):
        path = tmp_path / "cut.emgcap"
        path.write_bytes(full[:cut])
        reader = CaptureReader(path)
        events = list(reader.events())
        assert events == EVENTS[: len(events)]
        assert (reader.truncated_at is None) == (cut in boundaries)
        if reader.truncated_at is not None:
            assert reader.truncated_at + reader.tail_bytes == cut


def _record_starts(path) -> list[int]:
    """Byte offset of every event record, then of the closing note record."""
    starts = [CaptureReader(path)._data_start]
    for event in EVENTS:
        payload = getattr(event, "data", None)
        if payload is None:
            payload = (getattr(event, "detail", None) or getattr(event, "reason", "")).encode()
        starts.append(starts[-1] + 14 + len(payload) + 4)
    return starts


def test_a_flipped_bit_skips_that_record_only_and_reports_its_bytes(tmp_path) -> None:
    """Issue 11 case 9: one flipped bit used to drop the rest of the capture."""
    path = _write(tmp_path / "s.emgcap")
    starts = _record_starts(path)
    data = bytearray(path.read_bytes())
    data[starts[2] + 14 + 30] ^= 0x10  # inside the third record's payload
    (tmp_path / "flip.emgcap").write_bytes(bytes(data))
    flipped = CaptureReader(tmp_path / "flip.emgcap")
    assert list(flipped.events()) == EVENTS[:2] + EVENTS[3:]
    assert flipped.damaged == [(starts[2], starts[3])]
    assert flipped.truncated_at is None
    assert flipped.notes == [(1.3, {"ended": "test"})]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data())
def test_fuzz_damage_never_raises_and_intact_records_survive(tmp_path_factory, data) -> None:
    """Bit flips, overwritten and deleted bytes anywhere after the header: reading never
    raises, every record the damage did not touch comes back, in order, and every damaged
    byte lies inside a reported range."""
    path = _write(tmp_path_factory.mktemp("fuzz") / "s.emgcap")
    starts = _record_starts(path)
    data_bytes = bytearray(path.read_bytes())
    hits = data.draw(st.lists(st.integers(starts[0], starts[-1] - 1), min_size=1, max_size=4))
    how = data.draw(st.sampled_from(["flip", "junk", "delete"]))
    for at in sorted(set(hits), reverse=True):
        if how == "flip":
            data_bytes[at] ^= 1 << data.draw(st.integers(0, 7))
        elif how == "junk":
            data_bytes[at] = data.draw(st.integers(0, 255))
        else:
            del data_bytes[at]
    damaged = path.with_name("d.emgcap")
    damaged.write_bytes(bytes(data_bytes))
    reader = CaptureReader(damaged)
    events = list(reader.events())
    touched = {i for i in range(len(EVENTS)) for h in hits if starts[i] <= h < starts[i + 1]}
    first_touch = min(touched)
    # Records before the first damage are read exactly; after it (deleted bytes shift offsets)
    # every untouched record must still be found, in order.
    assert events[:first_touch] == EVENTS[:first_touch]
    survivors = iter(events)
    for i, event in enumerate(EVENTS):
        if i not in touched:
            assert any(e == event for e in survivors), (i, event)
    assert reader.damaged and reader.damaged[0][0] <= min(hits)


def test_a_torn_tail_is_reported_as_truncated(tmp_path) -> None:
    data = _write(tmp_path / "s.emgcap").read_bytes()
    (tmp_path / "torn.emgcap").write_bytes(data[:-3])
    torn = CaptureReader(tmp_path / "torn.emgcap")
    events = list(torn.events())
    assert events == EVENTS
    assert torn.truncated_at is not None and torn.damaged == [(torn.truncated_at, len(data) - 3)]


def test_not_a_capture_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "x.emgcap"
    path.write_bytes(b"0,1,2\n3,4,5\n")
    with pytest.raises(CaptureError, match=r"x\.emgcap@0: not an emgcap file"):
        CaptureReader(path)
