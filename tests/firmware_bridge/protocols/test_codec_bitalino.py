"""BITalino codec: bit layout against the official API, CRC-4, framing, 4-bit sequence wrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from codec_test_support import (
    align,
    cuts_for,
    decode,
    decode_whole_and_cut,
    sample_packets,
    split,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import BitalinoCodec
from firmware_bridge.protocols.bitalino import channel_bits, frame_length

SETTINGS = settings(max_examples=150, deadline=None)


def official_read(frame: bytes, n_channels: int) -> list[int] | None:
    """A transcription of revolution-python-api ``BITalino.read`` for one frame: returns
    [seq, D0..D3, A...] or None on CRC failure. The reference the codec must agree with."""
    d = list(frame)
    crc = d[-1] & 0x0F
    d[-1] = d[-1] & 0xF0
    x = 0
    for i in range(len(d)):
        for bit in range(7, -1, -1):
            x = x << 1
            if x & 0x10:
                x = x ^ 0x03
            x = x ^ ((d[i] >> bit) & 0x01)
    if crc != x & 0x0F:
        return None
    out = [d[-1] >> 4, d[-2] >> 7 & 1, d[-2] >> 6 & 1, d[-2] >> 5 & 1, d[-2] >> 4 & 1]
    if n_channels > 0:
        out.append(((d[-2] & 0x0F) << 6) | (d[-3] >> 2))
    if n_channels > 1:
        out.append(((d[-3] & 0x03) << 8) | d[-4])
    if n_channels > 2:
        out.append((d[-5] << 2) | (d[-6] >> 6))
    if n_channels > 3:
        out.append(((d[-6] & 0x3F) << 4) | (d[-7] >> 4))
    if n_channels > 4:
        out.append(((d[-7] & 0x0F) << 2) | (d[-8] >> 6))
    if n_channels > 5:
        out.append(d[-8] & 0x3F)
    return out


def rows_for(seed: int, n: int, n_ch: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tops = [(1 << b) - 1 for b in channel_bits(n_ch)]
    return np.stack([rng.integers(0, t, size=n, endpoint=True) for t in tops], axis=1)


def bitalino_stream(seed: int, n: int, n_ch: int, start: int = 0):
    truth = rows_for(seed, n, n_ch)
    frames = [BitalinoCodec.encode(start + i, truth[i]) for i in range(n)]
    return frames, truth, [(start + i) % 16 for i in range(n)]


@pytest.mark.parametrize("n_ch", [1, 2, 3, 4, 5, 6])
def test_frame_lengths_match_spec(n_ch: int) -> None:
    bits = 12 + 10 * n_ch if n_ch <= 4 else 52 + 6 * (n_ch - 4)
    expected = math.ceil(bits / 8)
    assert frame_length(n_ch) == expected
    assert len(BitalinoCodec.encode(0, [0] * n_ch)) == expected


@SETTINGS
@given(
    n_ch=st.integers(1, 6),
    seq=st.integers(0, 15),
    digital=st.lists(st.integers(0, 1), min_size=4, max_size=4),
    data=st.data(),
)
def test_layout_agrees_with_official_reader(n_ch, seq, digital, data) -> None:
    analog = [data.draw(st.integers(0, (1 << b) - 1)) for b in channel_bits(n_ch)]
    frame = BitalinoCodec.encode(seq, analog, digital)
    assert official_read(frame, n_ch) == [seq, *digital, *analog]
    (p,) = decode(BitalinoCodec(n_ch), [frame])
    assert p.samples.tolist() == [analog] and p.first_index == seq
    assert p.aux is not None and p.aux.tolist() == [digital]


@settings(max_examples=200, deadline=None)
@given(n_ch=st.integers(1, 6), frame=st.binary(min_size=8, max_size=8))
def test_crc_agrees_with_official_on_random_bytes(n_ch: int, frame: bytes) -> None:
    frame = frame[: frame_length(n_ch)]
    codec = BitalinoCodec(n_ch)
    codec.feed(frame)
    ok = official_read(frame, n_ch) is not None
    assert codec._valid(0) == ok


def test_uv_transfer_function() -> None:
    codec = BitalinoCodec(6)
    mid = codec.to_uv(np.array([[512, 512, 512, 512, 32, 32]]))
    np.testing.assert_allclose(mid, 0.0)
    top = codec.to_uv(np.array([[1023, 0, 512, 512, 63, 0]]))[0]
    # mV = (ADC / 2^n - 0.5) * 3.3 / 1009 * 1000  ->  µV = 1000 x that
    assert top[0] == pytest.approx((1023 / 1024 - 0.5) * 3.3 / 1009 * 1e6)
    assert top[1] == pytest.approx(-0.5 * 3.3 / 1009 * 1e6)
    assert top[4] == pytest.approx((63 / 64 - 0.5) * 3.3 / 1009 * 1e6)
    assert top[5] == pytest.approx(-0.5 * 3.3 / 1009 * 1e6)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), n_ch=st.integers(1, 6), data=st.data())
def test_any_chunking_decodes_identically(seed, n, n_ch, data) -> None:
    frames, truth, _ = bitalino_stream(seed, n, n_ch, start=data.draw(st.integers(0, 15)))
    stream = b"".join(frames)
    chunked, cut = decode_whole_and_cut(
        lambda: BitalinoCodec(n_ch), stream, data.draw(cuts_for(len(stream))), 16
    )
    np.testing.assert_array_equal(np.concatenate([p.samples for p in chunked]), truth)
    assert cut.stats.bad_frames == 0 and cut.stats.gaps == 0


def test_one_byte_chunks() -> None:
    frames, truth, _ = bitalino_stream(1, 40, 6)
    packets = decode(BitalinoCodec(6), [bytes([b]) for b in b"".join(frames)])
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), truth)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(3, 60),
    n_ch=st.integers(1, 6),
    garbage=st.lists(st.tuples(st.integers(1, 59), st.binary(min_size=1, max_size=40)), max_size=4),
    data=st.data(),
)
def test_garbage_between_frames_never_alters_samples(seed, n, n_ch, garbage, data) -> None:
    frames, truth, index = bitalino_stream(seed, n, n_ch)
    pieces = list(frames)
    for at, junk in sorted(garbage, reverse=True):
        pieces.insert(min(at, len(pieces) - 1), junk)  # strictly between frames
    stream = b"".join(pieces)
    packets, codec = decode_whole_and_cut(  # chunking never changes the outcome, garbage or not
        lambda: BitalinoCodec(n_ch), stream, data.draw(cuts_for(len(stream))), 16
    )
    align(packets, truth, truth_index=index, modulus=16)
    s = codec.stats
    assert s.skipped_bytes >= sum(len(j) for _, j in garbage)
    assert s.bytes_ok + s.skipped_bytes == len(stream) and codec.pending_bytes == 0


@settings(max_examples=60, deadline=None)
@given(junk=st.binary(max_size=300), n_ch=st.integers(1, 6), data=st.data())
def test_leading_and_trailing_junk_never_crash(junk: bytes, n_ch: int, data) -> None:
    frames, _, _ = bitalino_stream(0, 10, n_ch)
    stream = junk + b"".join(frames) + junk
    codec = BitalinoCodec(n_ch)
    decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    assert codec.stats.bytes_ok + codec.stats.skipped_bytes == len(stream)


def test_plain_crc_rule_is_fooled_by_noise_but_strict_is_not() -> None:
    """Why the neighbour rule exists: 8 check bits let noise through about once in 256 tries."""
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, size=20_000, dtype=np.uint8).tobytes()
    loose = BitalinoCodec(6, strict=False)
    decode(loose, [noise])
    strict = BitalinoCodec(6)
    decode(strict, [noise])
    assert loose.stats.frames_ok > 20
    assert strict.stats.frames_ok == 0


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), n_ch=st.integers(1, 6), data=st.data())
def test_truncation_anywhere_never_crashes(seed, n, n_ch, data) -> None:
    frames, truth, index = bitalino_stream(seed, n, n_ch)
    stream = b"".join(frames)
    end = data.draw(st.integers(0, len(stream)))
    codec = BitalinoCodec(n_ch)
    packets = decode(codec, split(stream[:end], data.draw(cuts_for(end))))
    align(packets, truth, truth_index=index, modulus=16)
    complete, cut_mid_frame = divmod(end, frame_length(n_ch))
    got = sum(p.n_samples for p in packets)
    # A clean end keeps every frame; a cut frame costs up to `confirm` frames before it.
    assert got == complete if not cut_mid_frame else complete - 2 <= got <= complete


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), n_ch=st.integers(1, 6), data=st.data())
def test_dropped_frames_become_gaps(seed, n, n_ch, data) -> None:
    frames, truth, index = bitalino_stream(seed, n, n_ch)
    # Drops short enough that the 4-bit counter cannot wrap unseen (< 15 in a row, and the
    # decoder drops one more frame after each hole).
    keep = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    keep[0] = True
    run = 0
    for i in range(n):
        run = 0 if keep[i] else run + 1
        if run > 12:
            keep[i], run = True, 0
    stream = b"".join(f for f, k in zip(frames, keep, strict=True) if k)
    codec = BitalinoCodec(n_ch)
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    # Exact modulo 16: holes close together may add up past one counter period.
    align(packets, truth, truth_index=index, modulus=16)


def test_frames_beside_a_hole_are_also_dropped() -> None:
    frames, _, _ = bitalino_stream(2, 12, 4)
    stream = b"".join(frames[:4] + frames[6:])
    codec = BitalinoCodec(4)
    assert codec.confirm == 2
    packets = decode(codec, [stream])
    assert [p.first_index for p in packets][:2] == [0, 8]
    # 2 lost on the wire + `confirm` unconfirmable frames on each side (2, 3 and 6, 7)
    assert packets[1].gap_before == 2 + 2 * codec.confirm
    assert codec.stats.bad_frames == 1
    assert codec.stats.skipped_bytes == 2 * codec.confirm * frame_length(4)


def test_aligned_loss_of_exactly_16_frames_is_invisible() -> None:
    """The documented blind spot: whole frames lost in a multiple of 16 leave the bytes
    contiguous and the sequence consecutive. Real links lose bytes, not aligned frames."""
    frames, _, _ = bitalino_stream(2, 40, 4)
    packets = decode(BitalinoCodec(4), [b"".join(frames[:5] + frames[21:])])
    assert all(p.gap_before == 0 for p in packets)


def test_sequence_wrap_15_to_0_is_continuous() -> None:
    frames, truth, _ = bitalino_stream(3, 40, 2, start=10)
    packets = decode(BitalinoCodec(2), [b"".join(frames)])
    assert all(p.gap_before == 0 for p in packets)
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), truth)


@settings(max_examples=100, deadline=None)
@given(lost=st.integers(0, 200), lat=st.lists(st.floats(0, 0.1), min_size=12, max_size=12))
def test_host_time_bounds_wraps_after_a_hole(lost: int, lat: list[float]) -> None:
    fs = 100.0
    frames, _, _ = bitalino_stream(4, lost + 12, 3)
    idx = [*range(6), *range(lost + 6, lost + 12)]  # six frames, a hole, six frames
    codec = BitalinoCodec(3, fs=fs, jitter_s=0.1)
    packets = []
    for k, i in enumerate(idx):
        packets += codec.feed(frames[i], host_time=i / fs + lat[k])
    packets += codec.flush()
    samples = sample_packets(packets)
    if lost % 16 == 0:
        # lost == 0: no hole; a multiple of 16: invisible by construction
        # (test_aligned_loss_of_exactly_16_frames_is_invisible).
        assert all(p.gap_before == 0 for p in samples)
        return
    (holed,) = [p for p in samples if p.gap_before != 0]
    lo, hi = holed.gap_before if isinstance(holed.gap_before, tuple) else (holed.gap_before,) * 2
    skipped = lost + 2 * codec.confirm  # the wire loss plus the unconfirmable frames beside it
    assert lo <= skipped <= hi and (skipped - lo) % 16 == 0  # exact only when it is right


def test_encode_validates() -> None:
    with pytest.raises(ValueError):
        BitalinoCodec.encode(0, [1024])
    with pytest.raises(ValueError):
        BitalinoCodec.encode(0, [0, 0, 0, 0, 64])
    with pytest.raises(ValueError):
        BitalinoCodec.encode(0, [0] * 7)


@pytest.mark.parametrize("lost", [16, 32, 5])
def test_a_cut_link_breaks_the_lock_so_a_whole_wrap_is_seen(lost: int) -> None:
    """After `flush` (the link dropped), the next frame's sequence number is read modulo 16
    with the host-time bound, not as consecutive: an outage of exactly 16 or 32 frames was
    passed as no loss at all (a reconnect test failed whenever the outage fell on a wrap)."""
    fs = 100.0
    frames, _, _ = bitalino_stream(5, lost + 20, 2)
    codec = BitalinoCodec(2, fs=fs, jitter_s=0.02)
    packets = []
    for i in range(10):
        packets += codec.feed(frames[i], host_time=i / fs)
    packets += codec.flush()  # the link drops ...
    for i in range(10 + lost, 20 + lost):  # ... and comes back `lost` frames later
        packets += codec.feed(frames[i], host_time=i / fs)
    packets += codec.flush()
    samples = sample_packets(packets)
    assert sum(p.n_samples for p in samples) == 20
    (resumed,) = [p for p in samples if p.gap_before != 0]
    gap = resumed.gap_before
    lo, hi = gap if isinstance(gap, tuple) else (gap, gap)
    assert lo <= lost <= hi and (lost - lo) % 16 == 0
