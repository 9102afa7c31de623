"""gForce codec: packet layout, fragment reassembly, broken chains, µV formulas."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import align, rng_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import GForceCodec

SETTINGS = settings(max_examples=150, deadline=None)


def test_packet_layout_8_and_12_bit() -> None:
    rows = np.array([[1, 2, 3], [4, 5, 255]])
    assert GForceCodec.encode(rows) == bytes([0x08, 1, 2, 3, 4, 5, 255])
    rows12 = np.array([[0x123, 0xFFF]])
    assert GForceCodec.encode(rows12, resolution=12) == bytes([0x08, 0x23, 0x01, 0xFF, 0x0F])
    (p,) = GForceCodec(3).feed(GForceCodec.encode(rows))
    np.testing.assert_array_equal(p.samples, rows)
    (q,) = GForceCodec(2, resolution=12).feed(GForceCodec.encode(rows12, resolution=12))
    np.testing.assert_array_equal(q.samples, rows12)


def test_fragments_count_down_to_zero() -> None:
    packet = bytes(range(50))
    frags = GForceCodec.fragment(packet, 20)
    assert [f[:2] for f in frags] == [b"\xff\x02", b"\xff\x01", b"\xff\x00"]
    assert b"".join(f[2:] for f in frags) == packet
    assert GForceCodec.fragment(packet[:20], 20) == [packet[:20]]


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_ch=st.integers(1, 8),
    resolution=st.sampled_from([8, 12]),
    rows=st.integers(1, 40),
    per_packet=st.integers(1, 20),
    mtu=st.one_of(st.none(), st.integers(4, 60)),
)
def test_round_trip_with_any_fragmentation(seed, n_ch, resolution, rows, per_packet, mtu) -> None:
    truth = rng_rows(seed, rows, n_ch, 0, (1 << resolution) - 1)
    enc = GForceCodec(
        n_ch, resolution=resolution, samples_per_packet=per_packet, max_notification=mtu
    )
    units = enc.encode_samples(truth)
    if mtu is not None:
        assert all(len(u) <= mtu for u in units)
    codec = GForceCodec(n_ch, resolution=resolution)
    packets = [p for u in units for p in codec.feed(u)] + codec.flush()
    np.testing.assert_array_equal(np.concatenate([p.samples for p in packets]), truth)
    s = codec.stats
    assert s.bad_frames == 0 and s.bytes_ok == sum(map(len, units)) and s.skipped_bytes == 0


def impure_chains(units: list[bytes], origin: list[int], keep: list[bool]) -> int:
    """How many chains the countdown rule would complete from more than one packet, or from a
    packet's tail only: the protocol's blind spot, which the decoder cannot see."""
    impure, chain, last_id = 0, None, 0
    for u, o, k in zip(units, origin, keep, strict=True):
        if not k:
            continue
        if u[0] != 0xFF:
            chain = None
            continue
        fid = u[1]
        if chain is not None and fid != last_id - 1:
            chain = None
        if chain is None:
            if fid == 0:
                continue
            chain = []
        chain.append((o, u))
        last_id = fid
        if fid == 0:
            first_o, first_u = chain[0]
            starts_packet = first_u[2] == 0x08 and first_u[1] == max(
                v[1] for v, p in zip(units, origin, strict=True) if p == first_o
            )
            if len({c[0] for c in chain}) > 1 or not starts_packet:
                impure += 1
            chain = None
    return impure


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n_packets=st.integers(1, 12),
    mtu=st.integers(4, 30),
    with_len=st.booleans(),
    drop=st.data(),
)
def test_lost_fragments_never_yield_wrong_samples(seed, n_packets, mtu, with_len, drop) -> None:
    truth = rng_rows(seed, 8 * n_packets, 8, 0, 255)
    enc = GForceCodec(8, samples_per_packet=8, max_notification=mtu)
    units, origin = [], []
    for i in range(n_packets):
        frags = GForceCodec.fragment(GForceCodec.encode(truth[8 * i : 8 * i + 8]), mtu)
        units += frags
        origin += [i] * len(frags)
    assert units == enc.encode_samples(truth)
    keep = drop.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    codec = GForceCodec(8, packet_len=65 if with_len else None)
    packets = [p for u, k in zip(units, keep, strict=True) if k for p in codec.feed(u)]
    packets += codec.flush()
    s = codec.stats
    kept_bytes = sum(len(u) for u, k in zip(units, keep, strict=True) if k)
    assert s.bytes_ok + s.skipped_bytes == kept_bytes
    blocks = [truth[8 * i : 8 * i + 8] for i in range(n_packets)]
    wrong = [p for p in packets if not any(np.array_equal(p.samples, b) for b in blocks)]
    assert len(wrong) <= impure_chains(units, origin, keep)  # only the stated blind spot
    if with_len:
        assert all(p.n_samples == 8 for p in packets)  # truncated chains never pass
    if not wrong:
        align(packets, truth, unseen=len(truth))  # no host times: losses are not claimed


def test_splice_of_complementary_halves_is_the_stated_blind_spot() -> None:
    a = GForceCodec.fragment(GForceCodec.encode(np.zeros((8, 8), dtype=int)), 20)
    b = GForceCodec.fragment(GForceCodec.encode(np.ones((8, 8), dtype=int)), 20)
    codec = GForceCodec(8, packet_len=65)
    (p,) = [q for u in a[:2] + b[2:] for q in codec.feed(u)]
    assert p.n_samples == 8 and set(np.unique(p.samples)) == {0, 1}  # spliced, undetectable


def test_broken_chain_cases_are_counted() -> None:
    packet = GForceCodec.encode(np.arange(64).reshape(8, 8) % 256)
    f = GForceCodec.fragment(packet, 20)  # ids 3, 2, 1, 0
    codec = GForceCodec(8)
    assert codec.feed(f[0]) + codec.feed(f[2]) == []  # id 1 after 3: chain broken
    assert codec.stats.bad_frames == 1 and codec.stats.skipped_bytes == len(f[0])
    assert codec.feed(f[3]) == []  # id 0 closing a chain that started at id 1: still broken
    assert codec.stats.bad_frames == 2
    assert codec.feed(f[3]) == []  # a lone last fragment: its predecessors are lost
    assert codec.stats.bad_frames == 3
    codec.feed(f[0])
    (p,) = codec.feed(packet)  # a whole packet mid-chain discards the chain, then decodes
    assert codec.stats.bad_frames == 4 and p.n_samples == 8
    codec.feed(f[0])
    codec.flush()  # a chain open at the end is incomplete
    assert codec.stats.bad_frames == 5


def test_bad_lengths_types_and_values() -> None:
    codec = GForceCodec(8)
    assert codec.feed(bytes([0x08, 1, 2, 3])) == []  # not a multiple of 8 channels
    assert codec.feed(b"") == [] and codec.feed(b"\xff") == []
    assert codec.feed(bytes([0x40, 1, 2])) == []  # no such packet type
    assert codec.stats.bad_frames == 4
    sized = GForceCodec(8, packet_len=17)
    assert sized.feed(bytes([0x08]) + bytes(8)) == []  # one sample where two are configured
    assert sized.stats.bad_frames == 1
    codec12 = GForceCodec(1, resolution=12)
    assert codec12.feed(bytes([0x08, 0x00, 0x10])) == []  # 4096 does not fit 12 bits
    assert codec12.stats.bad_frames == 1


def test_other_packet_types_are_ignored_not_bad() -> None:
    codec = GForceCodec(8)
    assert codec.feed(bytes([0x05]) + bytes(16)) == []  # a quaternion
    assert codec.ignored_packets == 1 and codec.stats.bad_frames == 0
    assert codec.stats.bytes_ok == 17


def test_uv_formulas() -> None:
    c8 = GForceCodec(1)
    np.testing.assert_allclose(c8.to_uv(np.array([[128], [255], [1]]))[:, 0],
                               [0.0, 2.5 / 1200 * 1e6, -2.5 / 1200 * 1e6])  # fmt: skip
    c12 = GForceCodec(1, resolution=12)
    assert c12.to_uv(np.array([[2048 + 2047]]))[0, 0] == pytest.approx(2.5 / 1200 * 1e6)
    assert c12.uv_per_count == pytest.approx(2.5 / 1200 / 2047 * 1e6)


def test_timing_gap_between_packets() -> None:
    truth = rng_rows(0, 64, 8, 0, 255)
    units = GForceCodec(8, samples_per_packet=16).encode_samples(truth)  # 32 ms per packet
    codec = GForceCodec(8, fs=500.0, jitter_s=0.01)
    codec.feed(units[0], host_time=0.032)
    # two packets (32 samples) missing, or a stall: held until the stream ends or settles
    assert codec.feed(units[3], host_time=0.128) == []
    (p,) = codec.flush()  # never settled: only a possible loss
    assert p.gap_before == (0, 32) and codec.stats.samples_lost_min == 0
    codec = GForceCodec(8, fs=500.0, jitter_s=0.01, settle_s=0.0)  # decide at once
    codec.feed(units[0], host_time=0.032)
    (p,) = codec.feed(units[3], host_time=0.128)
    assert isinstance(p.gap_before, tuple) and p.gap_before[0] <= 32 <= p.gap_before[1]
    assert p.gap_before[0] % 16 == 0


def test_encode_validates() -> None:
    with pytest.raises(ValueError):
        GForceCodec.encode(np.array([[256]]))
    with pytest.raises(ValueError):
        GForceCodec(resolution=10)
    with pytest.raises(ValueError):
        GForceCodec.fragment(bytes(30), 2)
