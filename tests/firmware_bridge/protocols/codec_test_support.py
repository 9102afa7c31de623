"""Shared helpers for the codec tests: chunked feeding, timelines and truth alignment.

The central check is `align`: every decoded sample block must be found, unaltered, in the
encoded truth, in order, and the gap each block reports must agree with how many truth samples
were really skipped. That single walk proves "never wrong samples" and "gaps of the right
length" together.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from hypothesis import strategies as st

from firmware_bridge.protocols import Codec, Packet, PacketKind, gap_bounds


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (any order, duplicates and out-of-range allowed)."""
    edges = sorted({0, len(data), *(min(max(c, 0), len(data)) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def decode(codec: Codec, chunks: Sequence[bytes], host_times: Sequence[float] | None = None):
    """Feed ``chunks`` (with optional per-chunk host times), then flush; return all packets."""
    out: list[Packet] = []
    for i, chunk in enumerate(chunks):
        t = host_times[i] if host_times is not None else None
        out.extend(codec.feed(chunk, host_time=t))
    out.extend(codec.flush())
    return out


def sample_packets(packets: Iterable[Packet]) -> list[Packet]:
    """Only the packets that carry sample rows."""
    return [p for p in packets if p.kind == PacketKind.SAMPLES]


def timeline(
    packets: Iterable[Packet], modulus: int | None = None
) -> tuple[np.ndarray, list[tuple[int, object]], list]:
    """Chunking-independent view: all rows, (row, gap) for each gap, per-row counter values
    (reduced by the device counter's ``modulus``)."""
    rows, gaps, counters = [], [], []
    n = 0
    for p in sample_packets(packets):
        if p.gap_before != 0 or p.restart:
            gaps.append((n, p.gap_before, p.restart))
        rows.append(p.samples)
        if p.first_index is None:
            counters.extend([None] * p.n_samples)
        else:
            span = range(p.first_index, p.first_index + p.n_samples)
            counters.extend(c % modulus if modulus else c for c in span)
        n += p.n_samples
    samples = np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.int64)
    return samples, gaps, counters


def stats_key(codec: Codec) -> tuple:
    """Every stats field, for equality across chunkings."""
    s = codec.stats
    return (
        s.frames_ok,
        s.bad_frames,
        s.skipped_bytes,
        s.gaps,
        s.samples_lost_min,
        s.samples_lost_max,
        s.restarts,
        s.bytes_ok,
    )


def assert_same_decoding(a: list[Packet], b: list[Packet], modulus: int | None = None) -> None:
    """Two decodings agree sample for sample, gap for gap, counter for counter."""
    sa, ga, ca = timeline(a, modulus)
    sb, gb, cb = timeline(b, modulus)
    assert sa.shape[0] == sb.shape[0]
    if sa.shape[0]:
        np.testing.assert_array_equal(sa, sb)
    assert ga == gb
    assert ca == cb
    ma = [(p.kind, p.message) for p in a if p.kind != PacketKind.SAMPLES]
    mb = [(p.kind, p.message) for p in b if p.kind != PacketKind.SAMPLES]
    assert ma == mb


def decode_whole_and_cut(
    make: Callable[[], Codec], stream: bytes, cuts: Iterable[int], modulus: int | None = None
) -> tuple[list[Packet], Codec]:
    """Decode `stream` in one piece and cut at `cuts`, each with a fresh codec from `make`, and
    check that the cuts changed nothing (samples, gaps, counters, messages, every stats count):
    the property each byte-stream codec must have. Returns the cut decoding and its codec."""
    whole = make()
    reference = decode(whole, [stream])
    cut = make()
    chunked = decode(cut, split(stream, cuts))
    assert_same_decoding(reference, chunked, modulus)
    assert stats_key(whole) == stats_key(cut)
    return chunked, cut


def align(
    packets: Iterable[Packet],
    truth: np.ndarray,
    *,
    truth_index: Sequence[int] | None = None,
    modulus: int | None = None,
    unseen: int | None = None,
) -> list[int]:
    """Place each decoded block in ``truth`` and check its values and its gap.

    ``truth_index`` (the counter value of each truth row) disambiguates repeated rows.
    An exact gap must equal the number of truth rows skipped (modulo ``modulus`` when the
    device counter is that short); a bounded gap must contain it. For codecs without a counter
    a gap of 0 only means "no evidence": pass ``unseen``, the most samples the timing jitter
    can hide, and a 0 then allows up to that many. Returns block positions.
    """
    ptr = 0
    positions: list[int] = []
    for k, p in enumerate(sample_packets(packets)):
        n = p.n_samples
        found = None
        for pos in range(ptr, truth.shape[0] - n + 1):
            if truth_index is not None and p.first_index is not None:
                if truth_index[pos] != p.first_index:
                    continue
            if np.array_equal(truth[pos : pos + n], p.samples):
                found = pos
                break
        assert found is not None, f"block {k} ({n} rows) is not in the truth: altered or invented"
        if k > 0:
            skipped = found - ptr
            if isinstance(p.gap_before, tuple):
                lo, hi = gap_bounds(p.gap_before)
                assert lo <= skipped <= hi, (k, skipped, p.gap_before)
                if modulus is not None:
                    assert (skipped - lo) % modulus == 0, (k, skipped, p.gap_before)
            elif unseen is not None and p.gap_before == 0:
                assert skipped <= unseen, (k, skipped, "hidden by jitter?", unseen)
            elif modulus is not None:
                assert skipped % modulus == p.gap_before % modulus, (k, skipped, p.gap_before)
                assert skipped >= p.gap_before, (k, skipped, p.gap_before)
            else:
                assert skipped == p.gap_before, (k, skipped, p.gap_before)
        positions.append(found)
        ptr = found + n
    return positions


cuts_strategy = st.lists(st.integers(min_value=0, max_value=100_000), max_size=40)
"""Chunk boundaries; `split` clips them to the data, so short and long streams both work."""


def cuts_for(data_len: int):
    """Cut offsets inside a stream of ``data_len`` bytes (many, so 1-byte chunks occur)."""
    return st.lists(st.integers(min_value=0, max_value=max(data_len, 1)), max_size=60)


def rng_rows(seed: int, n: int, n_channels: int, lo: int, hi: int) -> np.ndarray:
    """Random counts in ``[lo, hi]``: diverse data, so a wrong block cannot match by chance."""
    return np.random.default_rng(seed).integers(lo, hi, size=(n, n_channels), endpoint=True)
