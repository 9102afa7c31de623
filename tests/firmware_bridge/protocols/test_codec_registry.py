"""The registry and the contract every codec honours, whatever its protocol."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import decode

from firmware_bridge.protocols import CODECS, Codec, PacketKind, make_codec

EXPECTED = {"emgf", "cyton", "myo", "bitalino", "gforce", "ascii"}


def test_registry_names() -> None:
    assert set(CODECS) == EXPECTED
    assert all(cls.name == name for name, cls in CODECS.items())
    with pytest.raises(KeyError, match="known"):
        make_codec("nope")


def sample_counts(codec: Codec, n: int, seed: int = 0) -> np.ndarray:
    lo, hi = codec.count_range
    rng = np.random.default_rng(seed)
    n_ch = codec.n_channels or 3
    lo_a = np.broadcast_to(np.asarray(lo), (n_ch,))
    hi_a = np.broadcast_to(np.asarray(hi), (n_ch,))
    return np.stack(
        [rng.integers(a, b, size=n, endpoint=True) for a, b in zip(lo_a, hi_a, strict=True)], axis=1
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_encode_samples_then_decode_gives_the_counts_back(name: str) -> None:
    encoder = make_codec(name)
    counts = sample_counts(encoder, 40)
    units = encoder.encode_samples(counts, start_index=5)
    decoder = make_codec(name)
    if decoder.message_framed:
        packets = [p for u in units for p in decoder.feed(u)] + decoder.flush()
    else:
        packets = decode(decoder, [b"".join(units)])
    rows = np.concatenate([p.samples for p in packets if p.kind == PacketKind.SAMPLES])
    np.testing.assert_array_equal(rows, counts)
    s = decoder.stats
    assert s.bad_frames == 0 and s.skipped_bytes == 0 and s.gaps == 0
    assert s.bytes_ok == sum(map(len, units)) and decoder.pending_bytes == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_uv_round_trip_and_clipping(name: str) -> None:
    codec = make_codec(name)
    counts = sample_counts(codec, 20, seed=1)
    uv = codec.to_uv(counts)
    assert uv.dtype == np.float64
    np.testing.assert_array_equal(codec.from_uv(uv), counts)
    lo, hi = codec.count_range
    huge = np.full((1, counts.shape[1]), 1e12)
    np.testing.assert_array_equal(codec.from_uv(huge)[0], np.broadcast_to(hi, (counts.shape[1],)))
    np.testing.assert_array_equal(codec.from_uv(-huge)[0], np.broadcast_to(lo, (counts.shape[1],)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_stats_is_a_snapshot(name: str) -> None:
    codec = make_codec(name)
    snap = codec.stats
    snap.frames_ok = 99
    assert codec.stats.frames_ok == 0
