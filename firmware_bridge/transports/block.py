"""`SampleBlock`: the one type that crosses from firmware_bridge into emgspasm
(docs/architecture.md#the-sample-block).

A block is a run of consecutive samples in float64 µV, plus what a consumer needs to place it on
the stream's timeline: how many samples are missing before it (exact, or a bound when the device
cannot say), the single number to act on, and where it sits in the stream. Every transport and
replay yields these, so the live runner never learns whether bytes came from a pty, a BLE
notification or a capture file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_bridge.protocols.base import Gap, gap_bounds


@dataclass(frozen=True, slots=True, eq=False)
class SampleBlock:
    """Consecutive samples of one stream, in µV, with their place on the timeline."""

    samples: np.ndarray
    """float64 µV, shape ``(n, n_channels)``; ``n`` may be 0 only for a block carrying markers."""
    first_index: int | None
    """The device's counter value for the first sample, as sent (it may wrap), or None when the
    device sends no counter."""
    host_time: float
    """Host receive time of the bytes that completed the block (session clock, seconds)."""
    gap_before: Gap
    """Samples missing just before this block: exact int, or a ``(min, max)`` bound."""
    gap_estimate: int
    """The single value to act on (pipeline, recording): equals ``gap_before`` when exact,
    else the value in the bound that best fits the host receive times."""
    stream_index: int
    """Position of the first sample on the stream timeline (received + estimated missing
    samples before it), the timeline that event times and recordings use."""
    fs: float
    channels: tuple[str, ...]
    arrival: float = 0.0
    """``time.monotonic()`` in this process when the block became available (differs from
    ``host_time`` during a replay); the start of the sample-to-event latency."""
    markers: tuple[tuple[int, Any], ...] = field(default=())
    """Device markers received since the previous block: ``(stream_index, json_value)``."""
    restart: bool = False
    """The device restarted its counter just before this block (continuity unknown)."""
    after_reconnect: bool = False
    """First block after the link was lost and re-established."""
    full_scale_uv: float | None = None
    """Largest magnitude the device can report, in µV (sizes EDF/BDF physical ranges)."""

    @property
    def n_samples(self) -> int:
        """Rows in `samples`."""
        return int(self.samples.shape[0])

    @property
    def gap_bounds(self) -> tuple[int, int]:
        """``(min, max)`` of `gap_before`, whichever form it has."""
        return gap_bounds(self.gap_before)

    @property
    def gap_exact(self) -> bool:
        """True when the number of missing samples is known exactly."""
        lo, hi = self.gap_bounds
        return lo == hi

    @property
    def end_index(self) -> int:
        """Stream index just past the last sample."""
        return self.stream_index + self.n_samples
