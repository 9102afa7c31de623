"""Gap trackers and arrival times: the timing model in isolation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import gap_bounds
from firmware_bridge.protocols.arrival import ArrivalTimes
from firmware_bridge.protocols.gaps import CounterGapTracker, TimingGapTracker


def test_counter_difference_without_times_is_exact() -> None:
    t = CounterGapTracker(256)
    assert t.update(250, 1) == (0, False)
    assert t.update(255, 1) == (4, False)
    assert t.update(0, 1) == (0, False)  # wrap
    assert t.update(10, 1) == (9, False)


def test_restart_threshold() -> None:
    t = CounterGapTracker(2**32, restart_threshold=2**31)
    t.update(1000, 10)
    assert t.update(0, 10) == (0, True)
    assert t.update(10, 10) == (0, False)


def test_min_missing_turns_zero_into_a_whole_wrap() -> None:
    t = CounterGapTracker(16)
    t.update(3, 1)
    assert t.update(4, 1, min_missing=1) == (16, False)


@settings(max_examples=200, deadline=None)
@given(
    modulus=st.sampled_from([16, 256]),
    fs=st.sampled_from([100.0, 250.0, 1000.0]),
    lost=st.integers(0, 3000),
    lat=st.tuples(st.floats(0, 0.3), st.floats(0, 0.3)),
)
def test_counter_bound_always_contains_the_truth(modulus, fs, lost, lat) -> None:
    """Last samples generated at k/fs, received up to jitter later: the bound holds."""
    t = CounterGapTracker(modulus, fs=fs, jitter_s=0.3)
    t.update(0, 1, host_time=0 / fs + lat[0])
    k = lost + 1
    gap, _ = t.update(k % modulus, 1, host_time=k / fs + lat[1])
    lo, hi = gap_bounds(gap)
    assert lo <= lost <= hi and (lost - lo) % modulus == 0


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 16),
    lost_units=st.integers(0, 50),
    lat=st.tuples(st.floats(0, 0.05), st.floats(0, 0.05)),
)
def test_timing_bound_contains_the_truth_and_fires_when_proved(n, lost_units, lat) -> None:
    fs, jitter = 200.0, 0.05
    t = TimingGapTracker(fs, jitter)
    t.update(n, (n - 1) / fs + lat[0])
    last = (n - 1) + (lost_units + 1) * n
    gap = t.update(n, last / fs + lat[1], stride=n)
    lost = lost_units * n
    lo, hi = gap_bounds(gap)
    if gap != 0:
        assert lo <= lost <= hi
    else:
        assert lost <= 2 * jitter * fs
    if lost > 2 * jitter * fs + 1e-9:
        assert gap != 0


def test_timing_tracker_with_known_minimum_and_no_clock() -> None:
    t = TimingGapTracker(None)
    assert t.update(2, None, base=4) == (4, 4)
    assert t.update(2, None) == 0


def test_arrival_times_follow_chunks() -> None:
    a = ArrivalTimes()
    a.append(3, 1.0)
    a.append(2, 2.0)
    a.append(0, 9.0)  # empty chunks leave no trace
    a.append(4, None)
    assert [a.time_at(i) for i in range(9)] == [1.0] * 3 + [2.0] * 2 + [None] * 4
    a.consume(4)
    assert a.time_at(0) == 2.0 and a.time_at(1) is None
