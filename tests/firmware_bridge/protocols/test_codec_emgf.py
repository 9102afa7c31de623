"""EMGF v1 codec: the docs/devices.md test vector, chunking, garbage, truncation, gaps, wrap."""

from __future__ import annotations

import json

import numpy as np
import pytest
from codec_test_support import (  # as the Cyton tests: an import list, not logic
    align,
    cuts_for,
    decode,
    decode_whole_and_cut,
    rng_rows,
    sample_packets,
    split,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firmware_bridge.protocols import EmgfCodec, PacketKind
from firmware_bridge.protocols.emgf import FORMAT_INT16, FORMAT_INT24, TYPE_SAMPLES

TEST_VECTOR = bytes.fromhex(
    "A5 5A 01 01 0C 00 E8 03 00 00 20 A1 07 00 02 02 02 00 01 00 FF FF 00 01 00 FF D1 C3"
)
SETTINGS = settings(max_examples=150, deadline=None)


def emgf_stream(
    seed: int, sizes: list[int], n_ch: int = 3, start: int = 0, fmt: int = FORMAT_INT16
) -> tuple[list[bytes], np.ndarray, list[int]]:
    """Frames of the given sizes with consecutive seq from ``start``; truth rows and seqs."""
    lim = 2**15 - 1 if fmt == FORMAT_INT16 else 2**23 - 1
    truth = rng_rows(seed, sum(sizes), n_ch, -lim - 1, lim)
    frames, index, row = [], [], 0
    for n in sizes:
        seq = (start + row) % 2**32
        frames.append(EmgfCodec.encode(truth[row : row + n], seq=seq, t_us=seq * 500, fmt=fmt))
        index.extend((seq + i) % 2**32 for i in range(n))
        row += n
    return frames, truth, index


frame_sizes = st.lists(st.integers(1, 12), min_size=1, max_size=15)


def test_test_vector_decodes_exactly() -> None:
    codec = EmgfCodec()
    (p,) = codec.feed(TEST_VECTOR)
    assert p.kind == PacketKind.SAMPLES
    assert p.samples.tolist() == [[1, -1], [256, -256]]
    assert p.first_index == 1000 and p.device_time_us == 500000 and p.gap_before == 0
    assert codec.n_channels == 2
    s = codec.stats
    assert (s.frames_ok, s.bad_frames, s.skipped_bytes, s.bytes_ok) == (1, 0, 0, 28)


def test_encode_reproduces_test_vector() -> None:
    frame = EmgfCodec.encode(np.array([[1, -1], [256, -256]]), seq=1000, t_us=500000)
    assert frame == TEST_VECTOR
    assert len(frame) == 28


def test_test_vector_byte_by_byte() -> None:
    codec = EmgfCodec()
    packets = [p for b in TEST_VECTOR for p in codec.feed(bytes([b]))]
    assert len(packets) == 1 and packets[0].samples.tolist() == [[1, -1], [256, -256]]


@pytest.mark.parametrize("fmt", [FORMAT_INT16, FORMAT_INT24])
@SETTINGS
@given(data=st.data())
def test_encode_decode_round_trip(fmt: int, data: st.DataObject) -> None:
    lim = 2**15 if fmt == FORMAT_INT16 else 2**23
    rows = data.draw(
        hnp.arrays(
            np.int64,
            st.tuples(st.integers(1, 20), st.integers(1, 8)),
            elements=st.integers(-lim, lim - 1),
        )
    )
    seq = data.draw(st.integers(0, 2**32 - 1))
    (p,) = EmgfCodec().feed(EmgfCodec.encode(rows, seq=seq, fmt=fmt))
    np.testing.assert_array_equal(p.samples, rows)
    assert p.first_index == seq


def test_int24_layout_is_little_endian_twos_complement() -> None:
    frame = EmgfCodec.encode(np.array([[-2, 0x123456]]), fmt=FORMAT_INT24)
    assert frame[18:24] == bytes([0xFE, 0xFF, 0xFF, 0x56, 0x34, 0x12])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), sizes=frame_sizes, data=st.data())
def test_any_chunking_decodes_identically(seed: int, sizes: list[int], data) -> None:
    frames, truth, _ = emgf_stream(seed, sizes)
    info = EmgfCodec.encode_info({"fs": 1000.0, "channels": ["a", "b", "c"]})
    stream = info + b"".join(frames)
    chunked, cut = decode_whole_and_cut(EmgfCodec, stream, data.draw(cuts_for(len(stream))), 2**32)
    decoded = np.concatenate([p.samples for p in sample_packets(chunked)])
    np.testing.assert_array_equal(decoded, truth)
    assert cut.stats.bad_frames == 0 and cut.stats.bytes_ok == len(stream)


def test_one_byte_chunks() -> None:
    frames, truth, _ = emgf_stream(7, [3, 1, 5, 2])
    stream = b"".join(frames)
    packets = decode(EmgfCodec(), [bytes([b]) for b in stream])
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), truth)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=frame_sizes,
    garbage=st.lists(st.tuples(st.integers(0, 20), st.binary(min_size=1, max_size=80)), max_size=5),
    data=st.data(),
)
def test_garbage_is_skipped_and_never_alters_samples(seed, sizes, garbage, data) -> None:
    frames, truth, index = emgf_stream(seed, sizes)
    pieces = list(frames)
    for at, junk in sorted(garbage, reverse=True):
        pieces.insert(min(at, len(pieces)), junk)
    stream = b"".join(pieces)
    codec = EmgfCodec()
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    align(packets, truth, truth_index=index)
    # A CRC-16 protected format loses nothing to garbage: every real frame comes back.
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), truth)
    s = codec.stats
    assert s.skipped_bytes == sum(len(j) for _, j in garbage)
    assert s.bytes_ok == sum(map(len, frames))
    assert s.gaps == 0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), sizes=frame_sizes, data=st.data())
def test_truncation_anywhere_never_crashes(seed: int, sizes: list[int], data) -> None:
    frames, truth, index = emgf_stream(seed, sizes)
    stream = b"".join(frames)
    end = data.draw(st.integers(0, len(stream)))
    codec = EmgfCodec()
    packets = decode(codec, split(stream[:end], data.draw(cuts_for(end))))
    align(packets, truth, truth_index=index)
    s = codec.stats
    assert s.bytes_ok + s.skipped_bytes == end and codec.pending_bytes == 0
    complete = 0
    for f in frames:
        if complete + len(f) > end:
            break
        complete += len(f)
    assert s.bytes_ok == complete  # every complete frame before the cut is decoded


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=20),
    start=st.one_of(st.integers(0, 2**32 - 1), st.integers(2**32 - 60, 2**32 - 1)),
    data=st.data(),
)
def test_dropped_frames_become_exact_gaps(seed, sizes, start, data) -> None:
    frames, truth, index = emgf_stream(seed, sizes, start=start)
    keep = data.draw(st.lists(st.booleans(), min_size=len(frames), max_size=len(frames)))
    keep[0] = True
    stream = b"".join(f for f, k in zip(frames, keep, strict=True) if k)
    codec = EmgfCodec()
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    align(packets, truth, truth_index=index)  # exact gap == rows really skipped
    lost = sum(n for n, k in zip(sizes, keep, strict=True) if not k)
    trailing = 0
    for n, k in zip(reversed(sizes), reversed(keep), strict=True):
        if k:
            break
        trailing += n
    s = codec.stats
    assert s.samples_lost_min == s.samples_lost_max == lost - trailing
    assert s.bad_frames == 0 and s.skipped_bytes == 0


def test_seq_wrap_at_2_32_is_not_a_gap() -> None:
    frames, _, _ = emgf_stream(1, [4, 4, 4], start=2**32 - 6)
    packets = decode(EmgfCodec(), [b"".join(frames)])
    assert [p.first_index for p in packets] == [2**32 - 6, 2**32 - 2, 2]
    assert [p.gap_before for p in packets] == [0, 0, 0]


def test_gap_across_wrap_is_exact() -> None:
    frames, _, _ = emgf_stream(1, [4, 4, 4, 4], start=2**32 - 6)
    packets = decode(EmgfCodec(), [frames[0] + frames[3]])
    assert packets[1].gap_before == 8 and packets[1].first_index == 6


def test_backwards_seq_is_a_restart_not_a_huge_gap() -> None:
    a = EmgfCodec.encode(np.ones((4, 1)), seq=5000)
    b = EmgfCodec.encode(np.ones((4, 1)), seq=0)
    codec = EmgfCodec()
    packets = decode(codec, [a + b])
    assert packets[1].restart and packets[1].gap_before == 0
    assert codec.stats.restarts == 1 and codec.stats.gaps == 0


def test_bad_crc_skips_one_byte_and_resyncs() -> None:
    good = EmgfCodec.encode(np.array([[1, 2]]), seq=0)
    bad = bytearray(EmgfCodec.encode(np.array([[3, 4]]), seq=1))
    bad[-1] ^= 0xFF
    nxt = EmgfCodec.encode(np.array([[5, 6]]), seq=2)
    codec = EmgfCodec()
    packets = decode(codec, [good + bytes(bad) + nxt])
    assert [p.samples.tolist() for p in packets] == [[[1, 2]], [[5, 6]]]
    assert packets[1].gap_before == 1
    s = codec.stats
    assert s.bad_frames == 1 and s.skipped_bytes == len(bad)


def test_false_sync_claiming_long_frame_does_not_hide_real_frames_at_end() -> None:
    # A5 5A 01 02 + length 4000: a plausible info header that never completes.
    trap = bytes.fromhex("A55A0102A00F") + bytes(8)
    frames, truth, _ = emgf_stream(3, [2, 2])
    codec = EmgfCodec()
    live = codec.feed(trap + b"".join(frames))
    assert live == []  # waiting for the would-be 4 KB frame
    rest = codec.flush()
    np.testing.assert_array_equal(np.concatenate([p.samples for p in rest]), truth)
    assert codec.stats.skipped_bytes == len(trap)


def test_impossible_sample_subheader_is_rejected_without_waiting() -> None:
    length = (4000).to_bytes(2, "little")
    bogus = bytes.fromhex("A55A0101") + length + bytes(8) + b"\x02\x02\x09\x00"
    frames, truth, _ = emgf_stream(4, [3])
    codec = EmgfCodec()
    packets = codec.feed(bogus + frames[0])
    np.testing.assert_array_equal(packets[0].samples, truth)


def test_info_frame_sets_scale_rate_channels_and_is_surfaced() -> None:
    info = {"device": "ref", "fw": "1.0.0", "fs": 2000.0, "channels": ["l", "r"],
            "uv_per_count": 0.0625}  # fmt: skip
    codec = EmgfCodec(uv_per_count=1.0)
    assert codec.uv_per_count == 1.0
    packets = decode(codec, [EmgfCodec.encode_info(info) + TEST_VECTOR])
    assert packets[0].kind == PacketKind.INFO and packets[0].message == info
    assert codec.info == info and codec.fs == 2000.0 and codec.channels == ["l", "r"]
    assert codec.uv_per_count == 0.0625
    np.testing.assert_allclose(codec.to_uv(packets[1].samples), [[0.0625, -0.0625], [16, -16]])


def test_marker_frames_keep_stream_order() -> None:
    marker = {"event": "button", "n": 1}
    stream = TEST_VECTOR + EmgfCodec.encode_marker(marker, t_us=123) + TEST_VECTOR
    packets = decode(EmgfCodec(), [stream])
    assert [p.kind for p in packets] == [PacketKind.SAMPLES, PacketKind.MARKER, PacketKind.SAMPLES]
    assert packets[1].message == marker and packets[1].device_time_us == 123


def test_undecodable_json_in_valid_frame_is_dropped_whole() -> None:
    frame = EmgfCodec.encode_frame(0x02, b"{not json")
    codec = EmgfCodec()
    assert decode(codec, [frame + TEST_VECTOR])[0].kind == PacketKind.SAMPLES
    assert codec.stats.bad_frames == 1 and codec.stats.skipped_bytes == len(frame)


def test_unknown_type_with_valid_crc_is_skipped_whole() -> None:
    inner = EmgfCodec.encode(np.array([[9, 9]]), seq=77)
    outer = EmgfCodec.encode_frame(0x40, b"\x00" + inner)
    codec = EmgfCodec()
    packets = decode(codec, [outer + TEST_VECTOR])
    assert [p.first_index for p in packets] == [1000]
    assert codec.stats.skipped_bytes == len(outer)


def test_channel_count_change_without_info_is_rejected() -> None:
    a = EmgfCodec.encode(np.zeros((2, 2)), seq=0)
    b = EmgfCodec.encode(np.zeros((2, 3)), seq=2)
    c = EmgfCodec.encode(np.zeros((2, 2)), seq=4)
    codec = EmgfCodec()
    packets = decode(codec, [a + b + c])
    assert [p.first_index for p in packets] == [0, 4] and packets[1].gap_before == 2
    assert codec.stats.bad_frames == 1


def test_encode_rejects_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        EmgfCodec.encode(np.array([[2**15]]))
    with pytest.raises(ValueError):
        EmgfCodec.encode(np.array([[-(2**23) - 1]]), fmt=FORMAT_INT24)


def test_encode_samples_splits_into_frames_with_running_seq() -> None:
    codec = EmgfCodec(fs=1000.0)
    counts = rng_rows(0, 70, 2, -100, 100)
    frames = codec.encode_samples(counts, start_index=10, max_samples_per_frame=32)
    assert len(frames) == 3
    packets = decode(EmgfCodec(), [b"".join(frames)])
    assert [p.first_index for p in packets] == [10, 42, 74]
    assert [p.device_time_us for p in packets] == [10_000, 42_000, 74_000]
    assert frames[0][3] == TYPE_SAMPLES


def test_info_json_is_compact_utf8() -> None:
    frame = EmgfCodec.encode_info({"device": "é", "fs": 1.0})
    payload = frame[14:-2]
    assert payload == json.dumps({"device": "é", "fs": 1.0}, separators=(",", ":"),
                                 ensure_ascii=False).encode()  # fmt: skip


def test_counter_jump_beyond_elapsed_time_is_a_jump_not_loss() -> None:
    """Issue 11 case 6: a seq jump of ~2^31 within 1 s of host time was reported as
    2 147 468 648 lost samples. The elapsed time allows at most (dt + jitter) x fs samples, so a
    larger jump is a reset, corruption or stale backlog: a restart, counted, never loss."""
    info = EmgfCodec.encode_info({"device": "t", "fs": 1000.0, "channels": ["a"]})
    rows = np.zeros((25, 1), dtype=np.int64)
    codec = EmgfCodec()
    codec.feed(info + EmgfCodec.encode(rows, seq=0), host_time=0.0)
    codec.feed(EmgfCodec.encode(rows, seq=25), host_time=0.025)
    jump = 25 + 25 + 2**31 - 15_000
    packets = codec.feed(EmgfCodec.encode(rows, seq=jump), host_time=0.9)
    packets += codec.feed(EmgfCodec.encode(rows, seq=jump + 25), host_time=0.925)
    packets += codec.flush()
    s = codec.stats
    assert s.samples_lost_max == 0 and s.gaps == 0
    assert s.restarts == 1 and s.counter_jumps == 1
    assert [p.restart for p in packets if p.n_samples] == [True, False]


def test_a_real_loss_within_the_elapsed_time_stays_an_exact_gap() -> None:
    info = EmgfCodec.encode_info({"device": "t", "fs": 1000.0, "channels": ["a"]})
    rows = np.zeros((25, 1), dtype=np.int64)
    codec = EmgfCodec()
    codec.feed(info + EmgfCodec.encode(rows, seq=0), host_time=0.0)
    packets = codec.feed(EmgfCodec.encode(rows, seq=25 + 500), host_time=0.525)
    packets += codec.flush()
    assert packets[-1].gap_before == 500 and not packets[-1].restart
    assert codec.stats.counter_jumps == 0


def test_stale_backlog_after_an_unclean_exit_is_a_counter_jump_in_the_source_stats() -> None:
    """A killed session leaves old frames in the port; the next one reads them, then live frames
    numbered far ahead, all within a few ms of host time: no huge false gap."""
    from firmware_bridge.transports.decoder import StreamDecoder
    from firmware_bridge.transports.events import Received

    info = EmgfCodec.encode_info({"device": "t", "fs": 1000.0, "channels": ["a"]})
    rows = np.zeros((25, 1), dtype=np.int64)
    decoder = StreamDecoder(EmgfCodec())
    backlog = info + b"".join(EmgfCodec.encode(rows, seq=25 * i) for i in range(4))
    live = b"".join(EmgfCodec.encode(rows, seq=3_600_000 + 25 * i) for i in range(4))
    decoder.apply(Received(backlog, 0.001))
    decoder.apply(Received(live, 0.002))
    decoder.finish()
    s = decoder.stats
    assert s.counter_jumps == 1 and s.restarts == 1
    assert s.samples_lost_min == 0 and s.samples_lost_max < 3_600_000
