"""One fuzz test for every registered codec (issue 11, "What must be shown"): random bytes,
random splits, bit flips and dropped wire units never raise; every decoded row is in range;
byte-stream codecs account for every byte; and where a CRC protects the frame (EMGF) a bit flip
never produces a wrong sample and the dropped frames come out as exact gaps."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import align, cuts_for, decode, rng_rows, sample_packets, split
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import EmgfCodec
from firmware_bridge.protocols.registry import CODECS, make_codec

FUZZ = settings(max_examples=40, deadline=None, derandomize=True)
N_ROWS = 40
EMGF_CHANNELS = 2
"""EMGF learns its channel count from the frames; the other codecs have a fixed one."""


def _truth_units(name: str, seed: int) -> tuple[object, np.ndarray, list[bytes]]:
    codec = make_codec(name)
    n_ch = codec.n_channels or EMGF_CHANNELS
    lo, hi = codec.count_range
    lo_i, hi_i = int(np.max(lo)), int(np.min(hi))
    truth = rng_rows(seed, N_ROWS, n_ch, lo_i, hi_i)
    units = codec.encode_samples(truth)
    if isinstance(codec, EmgfCodec):
        info = {"device": "fuzz", "fs": 500.0, "channels": ["a", "b"]}
        units = [EmgfCodec.encode_info(info), *units]
    return codec, truth, units


def _check_rows(codec, packets) -> None:
    lo, hi = codec.count_range
    for p in sample_packets(packets):
        assert p.samples.shape[1] == (codec.n_channels or EMGF_CHANNELS)
        assert np.all(p.samples >= lo) and np.all(p.samples <= hi)


@pytest.mark.parametrize("name", sorted(CODECS))
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_fuzz_flips_drops_splits_and_junk_never_raise(name: str, seed: int, data) -> None:
    codec, _, units = _truth_units(name, seed)
    keep = data.draw(st.lists(st.booleans(), min_size=len(units), max_size=len(units)))
    units = [u for u, k in zip(units, keep, strict=True) if k]
    junk = data.draw(st.binary(max_size=64))
    if units:
        units.insert(data.draw(st.integers(0, len(units))), junk)
    flips = data.draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=4))
    stream = bytearray(b"".join(units))
    for at, bit in flips:
        if stream:
            stream[at % len(stream)] ^= 1 << bit
    if type(codec).message_framed:
        chunks, pos = [], 0
        for u in units:  # one notification per unit, flips and all
            chunks.append(bytes(stream[pos : pos + len(u)]))
            pos += len(u)
    else:
        chunks = split(bytes(stream), data.draw(cuts_for(len(stream))))
    packets = decode(codec, [c for c in chunks if c])
    _check_rows(codec, packets)
    if not type(codec).message_framed:
        s = codec.stats
        assert s.bytes_ok + s.skipped_bytes == len(stream) and codec.pending_bytes == 0


@pytest.mark.parametrize("name", sorted(CODECS))
@FUZZ
@given(junk=st.binary(max_size=600), data=st.data())
def test_fuzz_random_bytes_never_raise(name: str, junk: bytes, data) -> None:
    codec = make_codec(name)
    chunks = [junk] if CODECS[name].message_framed else split(junk, data.draw(cuts_for(len(junk))))
    _check_rows(codec, decode(codec, chunks))


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_fuzz_emgf_bit_flip_never_yields_a_wrong_sample_and_drops_are_exact(seed, data) -> None:
    codec, truth, units = _truth_units("emgf", seed)
    info, frames = units[0], units[1:]
    keep = data.draw(st.lists(st.booleans(), min_size=len(frames), max_size=len(frames)))
    flip = data.draw(st.integers(0, len(frames) - 1))
    damaged = bytearray(frames[flip])
    damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    frames = [bytes(damaged) if i == flip else f for i, f in enumerate(frames)]
    stream = info + b"".join(f for f, k in zip(frames, keep, strict=True) if k)
    packets = decode(codec, split(stream, data.draw(cuts_for(len(stream)))))
    # align: every block is unaltered truth, and each gap equals the rows really skipped.
    align(packets, truth, truth_index=range(truth.shape[0]))
