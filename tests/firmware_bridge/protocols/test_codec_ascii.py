"""ASCII line codec (MyoWare on Arduino/ESP32): fields, CR/LF, bad lines, gaps, µV."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import (
    align,
    cuts_for,
    decode,
    decode_whole_and_cut,
    rng_rows,
    split,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import AsciiLinesCodec

SETTINGS = settings(max_examples=150, deadline=None)
ENDINGS = [b"\n", b"\r\n", b"\r"]
layouts = st.sampled_from([(False, False), (True, False), (False, True), (True, True)])


def lines(seed: int, n: int, n_ch: int, has_seq: bool, has_time: bool, ending: bytes):
    truth = rng_rows(seed, n, n_ch, 0, 1023)
    enc = AsciiLinesCodec(n_ch, has_seq=has_seq, has_time=has_time, fs=1000.0)
    units = [u[:-1] + ending for u in enc.encode_samples(truth)]
    return units, truth


def test_line_format() -> None:
    assert AsciiLinesCodec.encode([512]) == b"512\n"
    assert AsciiLinesCodec.encode([1, 2], seq=7, t_us=1000) == b"7,1000,1,2\n"
    codec = AsciiLinesCodec(2, has_seq=True, has_time=True)
    (p,) = codec.feed(b"7, 1000 ,1,\t2\r\n")
    assert p.samples.tolist() == [[1, 2]] and p.first_index == 7 and p.device_time_us == 1000


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 60),
    n_ch=st.integers(1, 4),
    layout=layouts,
    ending=st.sampled_from(ENDINGS),
    data=st.data(),
)
def test_any_chunking_decodes_identically(seed, n, n_ch, layout, ending, data) -> None:
    units, truth = lines(seed, n, n_ch, *layout, ending)
    stream = b"".join(units)

    def make() -> AsciiLinesCodec:
        return AsciiLinesCodec(n_ch, has_seq=layout[0], has_time=layout[1], fs=1000.0)

    chunked, cut = decode_whole_and_cut(make, stream, data.draw(cuts_for(len(stream))))
    np.testing.assert_array_equal(np.concatenate([p.samples for p in chunked]), truth)
    assert cut.stats.bad_frames == 0 and cut.stats.gaps == 0
    assert cut.stats.bytes_ok == len(stream)


# Junk that cannot parse as (part of) a number: no digits, signs, commas or blanks; line ends
# are allowed, so junk may also form whole bad lines or empty ones.
junk_bytes = st.binary(min_size=1, max_size=30).map(
    lambda b: bytes(c for c in b if c not in b"0123456789+-, \t") or b"x"
)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    layout=layouts,
    garbage=st.lists(st.tuples(st.integers(0, 40), junk_bytes), max_size=5),
    data=st.data(),
)
def test_garbage_lines_are_skipped_and_never_alter_samples(seed, n, layout, garbage, data) -> None:
    units, truth = lines(seed, n, 2, *layout, b"\n")
    pieces = list(units)
    for at, junk in sorted(garbage, reverse=True):
        pieces.insert(min(at, len(pieces)), junk)
    stream = b"".join(pieces)
    codec = AsciiLinesCodec(2, has_seq=layout[0], has_time=layout[1], fs=1000.0)
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    align(packets, truth, truth_index=list(range(n)) if layout[0] else None)
    s = codec.stats
    junk_chars = sum(len(j) - j.count(b"\n") - j.count(b"\r") for _, j in garbage)
    assert s.skipped_bytes >= junk_chars
    assert s.bytes_ok + s.skipped_bytes == len(stream)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), layout=layouts, data=st.data())
def test_truncation_anywhere_never_crashes(seed, n, layout, data) -> None:
    units, truth = lines(seed, n, 2, *layout, b"\r\n")
    stream = b"".join(units)
    end = data.draw(st.integers(0, len(stream)))
    codec = AsciiLinesCodec(2, has_seq=layout[0], has_time=layout[1], fs=1000.0)
    packets = decode(codec, split(stream[:end], data.draw(cuts_for(end))))
    align(packets, truth, truth_index=list(range(n)) if layout[0] else None)
    s = codec.stats
    assert s.bytes_ok + s.skipped_bytes == end and codec.pending_bytes == 0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80), data=st.data())
def test_seq_gaps_are_exact(seed: int, n: int, data) -> None:
    units, truth = lines(seed, n, 1, True, False, b"\n")
    keep = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    keep[0] = True
    stream = b"".join(u for u, k in zip(units, keep, strict=True) if k)
    codec = AsciiLinesCodec(1, has_seq=True)
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    align(packets, truth, truth_index=list(range(n)))


def test_seq_wrap_with_modulus_and_restart_without() -> None:
    wrapping = AsciiLinesCodec(1, has_seq=True, seq_modulus=256)
    packets = decode(wrapping, [b"254,1\n255,1\n0,1\n3,1\n"])
    assert [p.gap_before for p in packets] == [0, 2]
    plain = AsciiLinesCodec(1, has_seq=True)
    packets = decode(plain, [b"500,1\n501,1\n0,1\n"])
    assert packets[1].restart and plain.stats.restarts == 1 and plain.stats.gaps == 0


def test_device_time_gaps_are_bounded() -> None:
    codec = AsciiLinesCodec(1, has_time=True, fs=100.0)
    text = b"".join(AsciiLinesCodec.encode([5], t_us=t) for t in (0, 10_000, 20_000, 60_000))
    packets = decode(codec, [text])
    assert packets[-1].gap_before == (3, 3)  # 40 ms at 100 Hz: three samples missing
    jittery = AsciiLinesCodec(1, has_time=True, fs=100.0)
    ok = b"".join(AsciiLinesCodec.encode([5], t_us=t) for t in (0, 10_400, 19_700, 30_000))
    assert all(p.gap_before == 0 for p in decode(jittery, [ok]))


def test_device_time_wraps_at_2_32_us() -> None:
    codec = AsciiLinesCodec(1, has_time=True, fs=1000.0)
    ts = [2**32 - 2000, 2**32 - 1000, 0, 1000]
    packets = decode(codec, [b"".join(AsciiLinesCodec.encode([1], t_us=t) for t in ts)])
    assert all(p.gap_before == 0 for p in packets) and codec.stats.restarts == 0


def test_host_time_gaps_without_counters() -> None:
    codec = AsciiLinesCodec(1, fs=100.0, jitter_s=0.02)
    codec.feed(b"1\n", host_time=0.00)
    codec.feed(b"2\n", host_time=0.01)
    # 100 ms for one sample: ~9 missing, or a stall whose backlog is still to come: held
    assert codec.feed(b"3\n", host_time=0.11) == []
    packets, t = [], 0.11
    while not packets:  # lines keep coming at the nominal rate: the shortfall persists
        t += 0.01
        packets = codec.feed(b"4\n", host_time=t)
    assert t >= 0.11 + codec._timing.settle_s - 1e-9  # released once it had time to settle
    p = packets[0]
    assert isinstance(p.gap_before, tuple) and p.gap_before[0] <= 9 <= p.gap_before[1]
    assert p.samples[0].tolist() == [3] and codec.stats.gaps == 1 and codec.stats.stalls == 0


@pytest.mark.parametrize(
    "bad",
    [b"abc\n", b"1,2\n", b"\n1 2\n", b"99999\n", b"-1\n", b"1_000\n", b"\xd9\xa3\n", b"+\n"],
)
def test_bad_lines_are_counted(bad: bytes) -> None:
    codec = AsciiLinesCodec(1)
    packets = decode(codec, [b"5\n" + bad + b"6\n"])
    assert np.concatenate([p.samples for p in packets]).tolist() == [[5], [6]]
    assert packets[1].gap_before == (0, 1)  # the bad line may have been a sample
    assert codec.stats.bad_frames == 1
    assert codec.stats.bytes_ok + codec.stats.skipped_bytes == len(bad) + 4


def test_overlong_line_is_discarded_without_buffering_forever() -> None:
    codec = AsciiLinesCodec(1, max_line=16)
    assert codec.feed(b"1" * 40) == []
    assert codec.pending_bytes == 0
    (p,) = codec.feed(b"111\n7\n")
    assert p.samples.tolist() == [[7]]
    assert codec.stats.bad_frames == 1 and codec.stats.skipped_bytes == 44


def test_unterminated_tail_is_bad_at_flush() -> None:
    codec = AsciiLinesCodec(1)
    codec.feed(b"5\n12")
    codec.flush()
    assert codec.stats.bad_frames == 1 and codec.stats.skipped_bytes == 2


def test_uv_formula() -> None:
    codec = AsciiLinesCodec(1, vref=5.0, bits=10, gain=200.0)
    assert codec.to_uv(np.array([[512]]))[0, 0] == pytest.approx(0.0)
    assert codec.to_uv(np.array([[1023]]))[0, 0] == pytest.approx(
        (1023 * 5.0 / 1024 - 2.5) / 200 * 1e6
    )
    esp = AsciiLinesCodec(1, vref=3.3, bits=12)
    assert esp.uv_per_count == pytest.approx(3.3 / 4096 / 200 * 1e6)


def test_fs_estimated_from_device_time() -> None:
    codec = AsciiLinesCodec(1, has_time=True)
    decode(codec, [b"".join(AsciiLinesCodec.encode([1], t_us=2000 * i) for i in range(11))])
    assert codec.fs == pytest.approx(500.0)


def test_a_host_stall_is_not_a_loss_without_a_counter() -> None:
    """1 kHz lines read every 4 ms; the host stalls 0.3 s and then reads the backlog in one
    chunk. Nothing is lost; a real 0.3 s drop later is still a gap (issue 11, item 5)."""
    codec = AsciiLinesCodec(1, fs=1000.0)
    packets, k, t = [], 0, 0.0
    while k < 3000:
        t = (k + 3) / 1000.0 + 0.001
        if 1000 <= k < 1300:  # stalled: the lines wait in the OS buffer
            continue_to = 1300
            t = continue_to / 1000.0 + 0.001
            chunk = b"".join(AsciiLinesCodec.encode([i % 1024]) for i in range(k, continue_to))
            packets += codec.feed(chunk, host_time=t)
            k = continue_to
            continue
        if k == 2000:
            k = 2300  # 300 lines never sent
            continue
        chunk = b"".join(AsciiLinesCodec.encode([i % 1024]) for i in range(k, k + 4))
        packets += codec.feed(chunk, host_time=t)
        k += 4
    packets += codec.flush()
    received = np.concatenate([p.samples for p in packets])[:, 0]
    assert received.tolist() == [i % 1024 for i in range(3000) if not 2000 <= i < 2300]
    gaps = [p.gap_before for p in packets if p.gap_before != 0]
    assert len(gaps) == 1 and gaps[0][0] > 0 and gaps[0][0] <= 300 <= gaps[0][1]
    assert codec.stats.stalls == 1 and codec.stats.samples_lost_max == gaps[0][1]
