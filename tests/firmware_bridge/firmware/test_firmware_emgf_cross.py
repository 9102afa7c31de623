"""The firmware's C encoder against the Python EMGF codec (firmware_bridge.protocols.emgf).

Frames made by the C code (through the sanitized host driver, see conftest.py) must decode
in Python to the same samples, seq and device time; the C and Python encoders must produce
identical bytes; and a C ring buffer overflow must reach the host as an exact gap.
"""

from __future__ import annotations

import binascii
import json

import numpy as np
import pytest
from emgf_rows import INT16, INT24, LIMITS, sample_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

emgf = pytest.importorskip("firmware_bridge.protocols.emgf")
EmgfCodec = emgf.EmgfCodec

TEST_VECTOR = bytes.fromhex("A55A01010C00E803000020A10700020202000100FFFF000100FFD1C3")
HYPO = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def c_samples(fw, seq: int, t_us: int, fmt: int, rows) -> bytes:
    vals = " ".join(str(int(v)) for row in rows for v in row)
    reply = fw.cmd(f"samples max {seq} {t_us} {len(rows[0])} {len(rows)} {fmt} {vals}")
    assert not reply.startswith("ERR"), reply
    return bytes.fromhex(reply)


def c_json(fw, kind: str, t_us: int, text: str) -> bytes:
    reply = fw.cmd(f"{kind} max {t_us} {text.encode('utf-8').hex()}")
    assert not reply.startswith("ERR"), reply
    return bytes.fromhex(reply)


def c_frame(fw, ftype: int, seq: int, t_us: int, payload: bytes) -> bytes:
    reply = fw.cmd(f"frame max {ftype} {seq} {t_us} {payload.hex() or '-'}")
    assert not reply.startswith("ERR"), reply
    return bytes.fromhex(reply)


def decode_all(stream: bytes, chunks: list[int] | None = None):
    """Feed `stream` in pieces of the given sizes (cycled), then flush."""
    codec = EmgfCodec()
    packets = []
    if not chunks:
        packets += codec.feed(stream)
    else:
        pos, i = 0, 0
        while pos < len(stream):
            size = max(1, chunks[i % len(chunks)])
            packets += codec.feed(stream[pos : pos + size])
            pos += size
            i += 1
    packets += codec.flush()
    return codec, packets


def sample_packets(packets):
    return [p for p in packets if str(p.kind) == "samples"]


# ------------------------------------------------------------------ single frames


def test_test_vector_c_python_agree(fw) -> None:
    c = c_samples(fw, 1000, 500000, INT16, [[1, -1], [256, -256]])
    assert c == TEST_VECTOR
    assert EmgfCodec.encode(np.array([[1, -1], [256, -256]]), seq=1000, t_us=500000) == c
    _, packets = decode_all(c)
    (p,) = packets
    assert p.first_index == 1000 and p.device_time_us == 500000
    assert p.samples.tolist() == [[1, -1], [256, -256]]


@HYPO
@given(block=sample_rows(), seq=st.integers(0, 2**32 - 1), t_us=st.integers(0, 2**32 - 1))
def test_c_frames_decode_in_python_and_encoders_agree(fw, block, seq, t_us) -> None:
    fmt, rows = block
    c = c_samples(fw, seq, t_us, fmt, rows)
    assert EmgfCodec.encode(np.array(rows, dtype=np.int64), seq=seq, t_us=t_us, fmt=fmt) == c
    codec, packets = decode_all(c)
    (p,) = packets
    assert p.first_index == seq
    assert p.device_time_us == t_us
    assert p.samples.shape == (len(rows), len(rows[0]))
    assert np.array_equal(p.samples, np.array(rows))
    stats = codec.stats
    assert stats.bad_frames == 0 and stats.skipped_bytes == 0 and stats.bytes_ok == len(c)


def test_info_and_marker_frames_c_python_agree(fw) -> None:
    info = {
        "device": "emgf-esp32",
        "fw": "1.0.0",
        "fs": 1000.0,
        "channels": ["ch1", "ch2", "ch3"],
        "uv_per_count": 5.0,
    }
    compact = json.dumps(info, separators=(",", ":"))
    c_info = c_json(fw, "info", 0, compact)
    assert c_info == EmgfCodec.encode_info(info)
    marker = {"event": "button", "seq": 12345}
    c_marker = c_json(fw, "marker", 987654, json.dumps(marker, separators=(",", ":")))
    assert c_marker == EmgfCodec.encode_marker(marker, t_us=987654)

    codec, packets = decode_all(c_info + c_marker)
    assert [str(p.kind) for p in packets] == ["info", "marker"]
    assert packets[0].message == info and packets[1].message == marker
    assert codec.fs == 1000.0 and codec.uv_per_count == 5.0 and codec.n_channels == 3


# ---------------------------------------------------------------------- streams


@st.composite
def streams(draw):
    """A firmware-like session: info frame, sample frames (consecutive seq, one optional gap,
    shorter frames allowed), a marker, all split like BLE notifications or arbitrarily."""
    n_ch = draw(st.integers(1, 8))
    fmt = draw(st.sampled_from([INT16, INT24]))
    n_frames = draw(st.integers(1, 8))
    sizes = draw(st.lists(st.integers(1, 25), min_size=n_frames, max_size=n_frames))
    gap_at = draw(st.integers(0, n_frames))  # == n_frames: no gap
    gap = draw(st.integers(1, 5000))
    seq0 = draw(st.integers(0, 2**32 - 1))
    marker_at = draw(st.integers(0, n_frames))
    split = draw(
        st.one_of(
            st.tuples(st.just("mtu"), st.sampled_from([23, 27, 64, 185, 247, 517])),
            st.tuples(st.just("random"), st.lists(st.integers(1, 300), min_size=1, max_size=20)),
        )
    )
    return n_ch, fmt, sizes, gap_at, gap, seq0, marker_at, split


@HYPO
@given(spec=streams(), seed=st.integers(0, 2**32 - 1))
def test_c_stream_split_like_ble_decodes_exactly(fw, spec, seed) -> None:
    n_ch, fmt, sizes, gap_at, gap, seq0, marker_at, split = spec
    rng = np.random.default_rng(seed)
    lo, hi = LIMITS[fmt]
    info = {
        "device": "emgf-esp32",
        "fw": "1.0.0",
        "fs": 1000.0,
        "channels": [f"ch{i + 1}" for i in range(n_ch)],
        "uv_per_count": 5.0,
    }
    stream = c_json(fw, "info", 1, json.dumps(info))
    expected_rows, expected_gaps = [], []
    seq = seq0
    for k, n in enumerate(sizes):
        if k == marker_at:
            stream += c_json(fw, "marker", 2, f'{{"event": "button", "seq": {seq}}}')
        if k == gap_at and k > 0:
            seq = (seq + gap) % 2**32
            expected_gaps.append(gap)
        elif k > 0:
            expected_gaps.append(0)
        rows = rng.integers(lo, hi + 1, size=(n, n_ch)).tolist()
        stream += c_samples(fw, seq, (seq * 1000) % 2**32, fmt, rows)
        expected_rows += rows
        seq = (seq + n) % 2**32

    if split[0] == "mtu":
        chunk = int(fw.cmd(f"chunk {split[1]}"))
        assert chunk == split[1] - 3
        chunks = [chunk]
    else:
        chunks = split[1]
    codec, packets = decode_all(stream, chunks)

    samples = sample_packets(packets)
    got = np.concatenate([p.samples for p in samples])
    assert np.array_equal(got, np.array(expected_rows).reshape(-1, n_ch))
    assert samples[0].first_index == seq0
    # A gap is exact: the seq jump, whatever the chunking.
    assert sum(int(p.gap_before) for p in samples) == sum(expected_gaps)
    markers = [p for p in packets if str(p.kind) == "marker"]
    assert len(markers) == (1 if marker_at < len(sizes) else 0)
    assert [p.message for p in packets if str(p.kind) == "info"] == [info]
    stats = codec.stats
    assert stats.bad_frames == 0 and stats.skipped_bytes == 0
    assert stats.bytes_ok == len(stream)


def test_ring_overflow_reaches_the_host_as_an_exact_gap(fw) -> None:
    """Firmware pipeline on the host: sampler pushes into a small ring, the loop falls behind,
    pops contiguous runs and frames them; the decoder's gaps equal the ring's overflow."""
    n_ch, cap, frame_n = 3, 16, 5
    assert fw.cmd(f"rb_init {cap} {n_ch} 0") == "OK"
    stream = b""
    pushed_rows: dict[int, list[int]] = {}
    for tick in range(400):
        vals = [(tick * 7 + c * 1000) % 20000 - 10000 for c in range(n_ch)]
        pushed_rows[tick] = vals
        fw.cmd(f"rb_push {tick * 1000} " + " ".join(map(str, vals)))
        # The consumer runs only every 40 ticks (too slow for a 16-sample ring): overflow.
        if tick % 40 == 39:
            while True:
                parts = fw.cmd(f"rb_pop {frame_n}").split()
                n = int(parts[0])
                if n == 0:
                    break
                seq, t_us = int(parts[1]), int(parts[2])
                vals_flat = list(map(int, parts[3:]))
                rows = [vals_flat[i * n_ch : (i + 1) * n_ch] for i in range(n)]
                assert rows == [pushed_rows[seq + i] for i in range(n)]
                stream += c_samples(fw, seq, t_us, INT16, rows)
    overflow = int(fw.cmd("rb_overflow"))
    assert overflow == 400 - 10 * cap  # each 40-tick round stores 16 and refuses 24

    codec, packets = decode_all(stream, [20])
    samples = sample_packets(packets)
    total_gap = sum(int(p.gap_before) for p in samples)
    received = sum(p.n_samples for p in samples)
    assert received == 10 * cap
    # Only the overflow after the last stored sample is invisible (no later frame yet).
    assert total_gap == overflow - 24
    assert codec.stats.samples_lost_min == total_gap


# ------------------------------------------------------------ robustness / versioning


def test_corrupted_c_frame_is_dropped_and_shows_as_gap(fw) -> None:
    frames = [c_samples(fw, 10 * k, k, INT16, [[k, -k]] * 10) for k in range(4)]
    bad = bytearray(frames[1])
    bad[20] ^= 0x01  # payload bit flip: CRC fails
    codec, packets = decode_all(frames[0] + bytes(bad) + frames[2] + frames[3], [7])
    samples = sample_packets(packets)
    assert [p.first_index for p in samples] == [0, 20, 30]
    assert [int(p.gap_before) for p in samples] == [0, 10, 0]
    assert codec.stats.bad_frames >= 1
    assert codec.stats.bytes_ok + codec.stats.skipped_bytes == sum(map(len, frames))


@pytest.mark.parametrize("ftype", [0x00, 0x04, 0x7F, 0xFF])
def test_unknown_type_with_valid_crc_is_skipped_and_counted(fw, ftype: int) -> None:
    """PROTOCOL.md: nothing is delivered from an unknown frame type; its bytes are counted."""
    a = c_samples(fw, 0, 0, INT16, [[1, 2]] * 4)
    unknown = c_frame(fw, ftype, 0, 0, b'{"future": true}' + bytes(range(64)))
    b = c_samples(fw, 4, 4000, INT16, [[3, 4]] * 4)
    codec, packets = decode_all(a + unknown + b, [5])
    samples = sample_packets(packets)
    assert [p.first_index for p in samples] == [0, 4]
    assert [int(p.gap_before) for p in samples] == [0, 0]
    assert all(str(p.kind) == "samples" for p in packets)
    assert codec.stats.skipped_bytes == len(unknown)
    assert codec.stats.bad_frames == 1  # one whole frame, not a byte-by-byte resync


def test_unknown_version_is_not_decoded(fw) -> None:
    good = c_samples(fw, 0, 0, INT16, [[5, 6]] * 3)
    v2 = bytearray(good)
    v2[2] = 2  # what a future v2 frame could start with (CRC recomputed below)
    crc = binascii.crc_hqx(bytes(v2[2:-2]), 0xFFFF)
    v2[-2:] = crc.to_bytes(2, "little")
    codec, packets = decode_all(bytes(v2) + good)
    assert [p.first_index for p in sample_packets(packets)] == [0]
    assert codec.stats.skipped_bytes == len(v2)


def test_frame_embedded_in_unknown_type_payload_is_not_delivered(fw) -> None:
    """PROTOCOL.md §9: a CRC-valid unknown frame is skipped whole, never resynced into."""
    inner = c_samples(fw, 999, 0, INT16, [[7, 7]])
    outer = c_frame(fw, 0x40, 0, 0, b"\x00" + inner)
    after = c_samples(fw, 5, 0, INT16, [[1, 1]])
    codec, packets = decode_all(outer + after, [3])
    assert [p.first_index for p in sample_packets(packets)] == [5]
    assert codec.stats.skipped_bytes == len(outer)
    assert codec.stats.bad_frames == 1
