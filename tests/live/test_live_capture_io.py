"""`.emgcap` captures through `emgspasm.io`: the registry opens them, gaps and reconnects come
along, a crash-truncated capture still reads (with a warning), junk is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import emgspasm.io as eio
from emgspasm.io import RecordingError, RecordingWarning
from firmware_bridge.protocols import EmgfCodec
from firmware_bridge.transports import (
    CaptureWriter,
    LinkDown,
    LinkUp,
    Received,
    session_header,
)

INFO = EmgfCodec.encode_info(
    {"device": "t", "fw": "1", "fs": 500.0, "channels": ["l", "r"], "uv_per_count": 0.25}
)


def frame(seq: int) -> bytes:
    counts = np.stack([np.arange(25) + seq, -(np.arange(25) + seq)], axis=1)
    return EmgfCodec.encode(counts, seq=seq)


def write_capture(path) -> None:
    with CaptureWriter(path, session_header(device="emgf", codec="emgf")) as cap:
        cap.write(LinkUp(0.0))
        cap.write(Received(INFO + frame(0) + frame(25), 0.1))
        cap.write(Received(frame(75), 0.2))  # 25 samples lost
        cap.write(LinkDown(0.3, "unplug"))
        cap.write(LinkUp(0.8))
        cap.write(Received(INFO + frame(400) + frame(425), 0.9))


def test_captures_open_through_the_registry_with_gaps_and_notes(tmp_path) -> None:
    write_capture(tmp_path / "s.emgcap")
    rec = eio.read(tmp_path / "s.emgcap")
    assert rec.fs == 500.0 and rec.channels == ["l", "r"]
    assert rec.n_samples == 125 and rec.gaps == [(50, 25), (75, 300)]
    np.testing.assert_array_equal(rec.samples[:3, 0], [0.0, 0.25, 0.5])
    assert [a.text for a in rec.annotations] == ["reconnect"]
    right = eio.read(tmp_path / "s.emgcap", channels=["r"])
    np.testing.assert_array_equal(right.samples[:, 0], rec.samples[:, 1])


def test_a_truncated_capture_reads_up_to_its_last_whole_record(tmp_path) -> None:
    write_capture(tmp_path / "s.emgcap")
    data = (tmp_path / "s.emgcap").read_bytes()
    (tmp_path / "cut.emgcap").write_bytes(data[:-20])
    with pytest.warns(RecordingWarning, match=r"cut\.emgcap@\d+: capture ends in a torn record"):
        rec = eio.read(tmp_path / "cut.emgcap")
    assert rec.n_samples == 75


def test_junk_and_empty_captures_are_clear_errors(tmp_path) -> None:
    (tmp_path / "junk.emgcap").write_bytes(b"hello")
    with pytest.raises(RecordingError, match=r"junk\.emgcap@0"):
        eio.read(tmp_path / "junk.emgcap")
    with CaptureWriter(tmp_path / "empty.emgcap", session_header(device="emgf", codec="emgf")):
        pass
    with pytest.raises(RecordingError, match="holds no samples"):
        eio.read(tmp_path / "empty.emgcap")


def test_a_capture_without_its_info_frame_says_so(tmp_path) -> None:
    """Issue 11 case 12: data frames with no info frame are not "no samples"."""
    with CaptureWriter(tmp_path / "noinfo.emgcap", session_header(device="emgf",
                                                                   codec="emgf")) as cap:
        cap.write(LinkUp(0.0))
        cap.write(Received(frame(0) + frame(25), 0.1))
    with pytest.raises(RecordingError, match=r"noinfo\.emgcap.*holds \d+ bytes from the device "
                                             r"but no sample the emgf codec could decode: no "
                                             r"info frame"):
        eio.read(tmp_path / "noinfo.emgcap")


def test_a_flipped_bit_loses_one_record_and_keeps_the_rest(tmp_path) -> None:
    """Issue 11 case 9: the record holding frame(75) is damaged; the reader warns with its byte
    range, annotates it, and reads the samples after it (the lost ones show as a gap)."""
    write_capture(tmp_path / "s.emgcap")
    data = bytearray((tmp_path / "s.emgcap").read_bytes())
    at = bytes(data).index(frame(75)) + 10
    data[at] ^= 0x04
    (tmp_path / "flip.emgcap").write_bytes(bytes(data))
    with pytest.warns(RecordingWarning, match=r"flip\.emgcap@\d+: damaged capture record, bytes"):
        rec = eio.read(tmp_path / "flip.emgcap")
    assert rec.n_samples == 100  # 125 minus the 25 in the damaged record
    assert any(a.text.startswith("capture damaged: bytes") for a in rec.annotations)
