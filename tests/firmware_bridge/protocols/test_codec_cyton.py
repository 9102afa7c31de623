"""OpenBCI Cyton codec: framing by structure, false 0xA0, 8-bit counter wrap, host-time bounds."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import (  # as the EMGF tests: an import list, not logic
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

from firmware_bridge.protocols import CytonCodec
from firmware_bridge.protocols.cyton import FS, cyton_uv_per_count

SETTINGS = settings(max_examples=150, deadline=None)
LIM = 2**23


def cyton_stream(seed: int, n: int, start: int = 0) -> tuple[list[bytes], np.ndarray, list[int]]:
    truth = rng_rows(seed, n, 8, -LIM, LIM - 1)
    frames = [CytonCodec.encode(start + i, truth[i]) for i in range(n)]
    return frames, truth, [(start + i) % 256 for i in range(n)]


def test_packet_layout() -> None:
    frame = CytonCodec.encode(5, [1, -1, 0x123456, -(2**23), 2**23 - 1, 0, 0, 0], stop=0xC1)
    assert len(frame) == 33 and frame[0] == 0xA0 and frame[1] == 5 and frame[-1] == 0xC1
    assert frame[2:5] == b"\x00\x00\x01" and frame[5:8] == b"\xff\xff\xff"
    assert frame[8:11] == b"\x12\x34\x56" and frame[11:14] == b"\x80\x00\x00"
    (p,) = CytonCodec().flush() or CytonCodec().feed(frame + b"\xa0")
    assert p.samples[0, :5].tolist() == [1, -1, 0x123456, -(2**23), 2**23 - 1]
    assert p.aux is not None and p.aux[0, -1] == 0xC1


@SETTINGS
@given(
    rows=hnp.arrays(
        np.int64, st.tuples(st.integers(1, 10), st.just(8)), elements=st.integers(-LIM, LIM - 1)
    ),
    start=st.integers(0, 255),
)
def test_encode_decode_round_trip(rows: np.ndarray, start: int) -> None:
    codec = CytonCodec()
    packets = decode(codec, [b"".join(codec.encode_samples(rows, start_index=start))])
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), rows)
    assert packets[0].first_index == start
    assert codec.stats.bad_frames == 0 and codec.stats.gaps == 0


def test_uv_scale() -> None:
    assert cyton_uv_per_count() == pytest.approx(4.5 / 24 / (2**23 - 1) * 1e6)
    assert cyton_uv_per_count() == pytest.approx(0.02235, abs=1e-5)
    codec = CytonCodec()
    np.testing.assert_allclose(codec.to_uv(np.array([[2**23 - 1] * 8])), 4.5 / 24 * 1e6)
    assert CytonCodec(gain=1).uv_per_count == pytest.approx(4.5 / (2**23 - 1) * 1e6)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), data=st.data())
def test_any_chunking_decodes_identically(seed: int, n: int, data) -> None:
    frames, truth, _ = cyton_stream(seed, n, start=data.draw(st.integers(0, 255)))
    stream = b"".join(frames)
    chunked, _ = decode_whole_and_cut(CytonCodec, stream, data.draw(cuts_for(len(stream))), 256)
    np.testing.assert_array_equal(np.concatenate([p.samples for p in chunked]), truth)


def test_one_byte_chunks_continuing_counter_releases_packets_without_look_ahead() -> None:
    frames, truth, _ = cyton_stream(2, 5)
    codec = CytonCodec()
    live = [p for b in b"".join(frames) for p in codec.feed(bytes([b]))]
    # The first packet waits for its successor's 0xA0; the rest continue its counter, which
    # confirms them at once (no 4 ms look-ahead wait).
    assert sum(p.n_samples for p in live) == 5
    assert codec.flush() == []
    np.testing.assert_array_equal(np.concatenate([p.samples for p in live]), truth)


garbage_pieces = st.lists(
    st.tuples(st.integers(0, 40), st.binary(min_size=1, max_size=32)), max_size=5
)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), garbage=garbage_pieces, data=st.data())
def test_garbage_is_skipped_and_never_alters_samples(seed, n, garbage, data) -> None:
    frames, truth, index = cyton_stream(seed, n)
    pieces = list(frames)
    for at, junk in sorted(garbage, reverse=True):
        pieces.insert(min(at, len(pieces) - 1), junk)  # never after the last packet (flush edge)
    stream = b"".join(pieces)
    packets, codec = decode_whole_and_cut(  # chunking never changes the outcome, garbage or not
        CytonCodec, stream, data.draw(cuts_for(len(stream))), 256
    )
    align(packets, truth, truth_index=index)
    s = codec.stats
    assert s.skipped_bytes >= sum(len(j) for _, j in garbage)
    assert s.bytes_ok + s.skipped_bytes == len(stream) and codec.pending_bytes == 0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), junk=st.binary(min_size=0, max_size=400), data=st.data())
def test_long_garbage_and_trailing_junk_never_crash(seed, junk, data) -> None:
    frames, _, _ = cyton_stream(seed, 6)
    stream = junk + b"".join(frames[:3]) + junk + b"".join(frames[3:]) + junk
    codec = CytonCodec()
    decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    s = codec.stats
    assert s.bytes_ok + s.skipped_bytes == len(stream)


def test_false_a0_inside_data_is_not_a_packet() -> None:
    # Channel data full of 0xA0 and 0xC0: a misaligned reader would see packets everywhere.
    v = 0xA0C0A0
    frames = [CytonCodec.encode(i, [v - 2**24] * 8) for i in range(6)]
    stream = b"\x00\xa0\x13" + b"".join(frames)  # junk with a false A0 first
    codec = CytonCodec()
    packets = decode(codec, [stream])
    assert packets[0].first_index == 0 and all(p.gap_before == 0 for p in packets)
    assert sum(p.n_samples for p in packets) == 6
    assert codec.stats.skipped_bytes == 3


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), data=st.data())
def test_truncation_anywhere_never_crashes(seed: int, n: int, data) -> None:
    frames, truth, index = cyton_stream(seed, n)
    stream = b"".join(frames)
    end = data.draw(st.integers(0, len(stream)))
    codec = CytonCodec()
    packets = decode(codec, split(stream[:end], data.draw(cuts_for(end))))
    align(packets, truth, truth_index=index)
    assert sum(p.n_samples for p in packets) == end // 33
    s = codec.stats
    assert s.bytes_ok + s.skipped_bytes == end


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 120), data=st.data())
def test_dropped_packets_become_exact_gaps(seed: int, n: int, data) -> None:
    start = data.draw(st.integers(0, 255))
    frames, truth, index = cyton_stream(seed, n, start=start)
    keep = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    keep[0] = True
    stream = b"".join(f for f, k in zip(frames, keep, strict=True) if k)
    codec = CytonCodec()
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    align(packets, truth, truth_index=index)  # n < 256: exact gaps must equal the drops
    kept = [i for i, k in enumerate(keep) if k]
    assert codec.stats.samples_lost_min == kept[-1] + 1 - len(kept)


def test_counter_wrap_255_to_0_is_continuous() -> None:
    frames, _, _ = cyton_stream(5, 10, start=250)
    packets = decode(CytonCodec(), [b"".join(frames)])
    assert packets[0].first_index == 250 and all(p.gap_before == 0 for p in packets)
    assert sum(p.n_samples for p in packets) == 10


def test_loss_of_more_than_256_without_host_time_is_counter_difference() -> None:
    frames, _, _ = cyton_stream(5, 400)
    packets = decode(CytonCodec(), [frames[0] + frames[301]])
    assert packets[1].gap_before == 300 - 256  # the counter alone cannot see the wrap


def feed_timed(codec: CytonCodec, frames: list[bytes], times: list[float]):
    out = []
    for f, t in zip(frames, times, strict=True):
        out += codec.feed(f, host_time=t)
    return out + codec.flush()


@SETTINGS
@given(
    lost=st.integers(0, 1500),
    latencies=st.lists(st.floats(0.0, 0.5), min_size=3, max_size=3),
)
def test_host_time_bounds_a_possibly_wrapped_gap(lost: int, latencies: list[float]) -> None:
    frames, _, _ = cyton_stream(9, lost + 3)
    idx = [0, 1, lost + 2]  # two packets, then `lost` missing, then one
    times = [i / FS + lat for i, lat in zip(idx, latencies, strict=True)]
    packets = sample_packets(feed_timed(CytonCodec(jitter_s=0.5), [frames[i] for i in idx], times))
    gap = packets[-1].gap_before
    lo, hi = gap if isinstance(gap, tuple) else (gap, gap)
    assert lo <= lost <= hi  # the truth is always inside
    assert lo == lost % 256 and (hi - lo) % 256 == 0
    if lost >= 256:
        assert isinstance(gap, tuple)  # a wrap was possible: never claimed exact


def test_steady_stream_with_host_times_has_no_gaps() -> None:
    frames, _, _ = cyton_stream(3, 1000)
    rng = np.random.default_rng(0)
    times = [i / FS + rng.uniform(0, 0.02) for i in range(1000)]
    codec = CytonCodec(jitter_s=0.05)
    feed_timed(codec, frames, times)
    assert codec.stats.gaps == 0


def test_batched_delivery_half_second_chunks_no_false_gaps() -> None:
    # FTDI-style batching: 125 packets land together every 0.5 s.
    frames, _, _ = cyton_stream(3, 1000)
    codec = CytonCodec(jitter_s=0.5)
    for k in range(0, 1000, 125):
        codec.feed(b"".join(frames[k : k + 125]), host_time=(k + 125) / FS)
    codec.flush()
    assert codec.stats.gaps == 0 and codec.stats.frames_ok == 1000


def test_aux_and_stop_byte_are_kept() -> None:
    frame = CytonCodec.encode(1, [0] * 8, aux=bytes(range(6)), stop=0xC3)
    (p,) = decode(CytonCodec(), [frame])
    assert p.aux is not None and p.aux.tolist() == [[0, 1, 2, 3, 4, 5, 0xC3]]


def test_encode_validates() -> None:
    with pytest.raises(ValueError):
        CytonCodec.encode(0, [0] * 7)
    with pytest.raises(ValueError):
        CytonCodec.encode(0, [2**23] + [0] * 7)
    with pytest.raises(ValueError):
        CytonCodec.encode(0, [0] * 8, stop=0xC7)


def test_packet_host_time_is_arrival_of_its_last_byte() -> None:
    """A packet released later (look-ahead) keeps the time its bytes arrived, or elapsed
    times between packets would shrink and a counter wrap could be missed."""
    frames, _, _ = cyton_stream(1, 3)
    codec = CytonCodec()
    assert codec.feed(frames[0], host_time=1.0) == []
    (p,) = codec.feed(frames[1][:10], host_time=2.0)
    assert p.host_time == 1.0
    (q,) = codec.feed(frames[1][10:] + frames[2], host_time=3.0)
    assert q.host_time == 3.0 and q.first_index == 1


def test_packet_followed_by_junk_is_kept_when_its_counter_continues() -> None:
    """Issue 11 case 7: 5000 packets, 5 dropped by the radio, junk after three packets. Each
    packet before junk continues the counter, which confirms it as well as a next header would:
    all 4995 delivered packets come out intact and the loss is exactly the 5 dropped."""
    frames, truth, index = cyton_stream(1, 5000)
    dropped = {100, 2000, 3000, 4000, 4001}
    junk_after = {1000, 2500, 3500}
    pieces: list[bytes] = []
    for i, frame in enumerate(frames):
        if i not in dropped:
            pieces.append(frame + (b"\x01\x02\xc0junk" if i in junk_after else b""))
    codec = CytonCodec()
    packets = decode(codec, [b"".join(pieces)])
    align(packets, truth, truth_index=index)
    assert sum(p.n_samples for p in packets) == 5000 - len(dropped)
    assert codec.stats.samples_lost_min == codec.stats.samples_lost_max == len(dropped)
