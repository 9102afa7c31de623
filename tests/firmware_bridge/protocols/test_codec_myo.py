"""Myo codec: 16-byte notifications, int8 layout, timing-only gaps, characteristic rotation."""

from __future__ import annotations

import numpy as np
import pytest
from codec_test_support import align, rng_rows
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firmware_bridge.protocols import MyoCodec
from firmware_bridge.protocols.myo import FS, NOMINAL_UV_PER_COUNT

SETTINGS = settings(max_examples=150, deadline=None)
PERIOD = 2 / FS  # one notification carries two samples


@SETTINGS
@given(rows=hnp.arrays(np.int64, (2, 8), elements=st.integers(-128, 127)))
def test_round_trip_and_layout(rows: np.ndarray) -> None:
    data = MyoCodec.encode(rows)
    assert len(data) == 16
    assert data == bytes(int(v) & 0xFF for v in rows.ravel())  # sample-major int8
    (p,) = MyoCodec().feed(data)
    np.testing.assert_array_equal(p.samples, rows)
    assert p.first_index is None and p.gap_before == 0


@pytest.mark.parametrize("size", [0, 1, 15, 17, 20])
def test_wrong_length_is_a_bad_frame(size: int) -> None:
    codec = MyoCodec()
    assert codec.feed(bytes(size)) == []
    assert codec.stats.bad_frames == 1 and codec.stats.skipped_bytes == size


def test_scale_is_nominal() -> None:
    codec = MyoCodec()
    assert codec.uv_per_count == NOMINAL_UV_PER_COUNT == 1.0
    counts = np.array([[-128, 127, 0, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(codec.to_uv(counts), counts)


def notifications(seed: int, n: int) -> tuple[list[bytes], np.ndarray]:
    truth = rng_rows(seed, 2 * n, 8, -128, 127)
    return MyoCodec().encode_samples(truth), truth


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    keep=st.lists(st.booleans(), min_size=2, max_size=80),
    latency=st.data(),
    use_rotation=st.booleans(),
)
def test_timing_gaps_contain_the_truth(seed, keep, latency, use_rotation) -> None:
    """Notifications every 10 ms, each received 0..jitter late; dropped ones must show as
    bounds that contain the real loss, and a loss longer than the jitter must be reported."""
    jitter = 0.05
    n = len(keep)
    keep[0] = True
    units, truth = notifications(seed, n)
    codec = MyoCodec(jitter_s=jitter)
    packets = []
    for k, (unit, kept) in enumerate(zip(units, keep, strict=True)):
        if not kept:
            continue
        t = k * PERIOD + latency.draw(st.floats(0, jitter))
        packets += codec.feed(unit, host_time=t, char_index=k % 4 if use_rotation else None)
    packets += codec.flush()  # the end of the stream settles what waited for a burst
    # Every bound contains the samples really skipped; a 0 hides at most what jitter can.
    align(packets, truth, unseen=int(2 * jitter * FS))
    for p in packets:
        assert p.gap_before == 0 or isinstance(p.gap_before, tuple)  # never claimed exact
    holes, run = [], 0
    for kept in keep:
        if kept and run:
            holes.append(run)  # a run of losses revealed by the next notification
        run = 0 if kept else run + 1
    if any(2 * h / FS > 2 * jitter + 1e-9 or (use_rotation and h % 4) for h in holes):
        assert codec.stats.gaps > 0


def test_rotation_reveals_a_single_lost_notification_the_clock_cannot() -> None:
    units, _ = notifications(1, 4)
    codec = MyoCodec(jitter_s=0.01)
    codec.feed(units[0], host_time=0.0, char_index=0)
    (p,) = codec.feed(units[2], host_time=2 * PERIOD, char_index=2)
    assert p.gap_before == (2, 2)
    # With a looser clock, full rotations (8 samples each) may also hide in the bound.
    loose = MyoCodec(jitter_s=0.1)
    loose.feed(units[0], host_time=0.0, char_index=0)
    (q,) = loose.feed(units[2], host_time=2 * PERIOD, char_index=2)
    assert q.gap_before == (2, 18)


def test_no_gap_without_evidence() -> None:
    units, _ = notifications(1, 50)
    codec = MyoCodec()
    for k, u in enumerate(units):
        codec.feed(u, host_time=k * PERIOD, char_index=k % 4)
    assert codec.stats.gaps == 0 and codec.stats.frames_ok == 50


def test_encode_validates() -> None:
    with pytest.raises(ValueError):
        MyoCodec.encode(np.zeros((1, 8)))
    with pytest.raises(ValueError):
        MyoCodec.encode(np.full((2, 8), 128))
    with pytest.raises(ValueError):
        MyoCodec().encode_samples(np.zeros((3, 8)))
