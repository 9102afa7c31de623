"""The async source interface every transport and replay implements.

Like bleak's one small API over many backends: a consumer writes ``async for block in source``
and gets `SampleBlock`s, whether the source is a serial port, a BLE peripheral, a raw
capture being replayed or a recording file. `stop()` asks the source to end cleanly (the
iteration then finishes after the last decoded samples, nothing is dropped), and `stats` holds
the counts the end-of-session summary reports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, fields
from typing import Any

from firmware_bridge.transports.block import SampleBlock


# Alike in shape only to EmulatorStats: device-side counts there, host-side ones here.
@dataclass(slots=True)
class StreamCounts:
    """What arrived from a stream and what was lost on the way ("nothing lost silently"): the
    counts a source keeps and the live session's summary reports, declared once for both."""

    samples_received: int = 0
    samples_lost: int = 0
    """Sum of the gap estimates (the value the pipeline and recording used)."""
    samples_lost_min: int = 0
    samples_lost_max: int = 0
    gaps: int = 0
    """Blocks with a possible loss before them (bound maximum > 0)."""
    reconnects: int = 0
    outage_s: float = 0.0
    """Total time between losing the link and getting it back."""
    restarts: int = 0
    """Device counter restarts (continuity unknown; the gap is bounded by host time)."""
    counter_jumps: int = 0
    """Of the `restarts`, counter jumps larger than the elapsed host time allows (a counter
    reset, corruption or a stale backlog after an unclean exit), not counted as loss."""
    stalls: int = 0
    """Devices without a counter: late arrivals that a burst then made up (a host or link
    stall): the data was late, not lost, so they are not gaps."""
    bad_frames: int = 0
    skipped_bytes: int = 0

    def add_block(self, n: int, lost_min: int = 0, lost_max: int = 0, estimate: int = 0) -> None:
        """Account one block of `n` samples with `lost_min`..`lost_max` missing before it, of
        which the timeline took `estimate`: a gap counts when loss was possible (max > 0)."""
        self.samples_received += n
        if lost_max > 0:
            self.gaps += 1
            self.samples_lost_min += lost_min
            self.samples_lost_max += lost_max
            self.samples_lost += estimate

    def stream_counts(self) -> dict[str, Any]:
        """These counts by name (not a subclass's own fields): what a summary takes over."""
        return {f.name: getattr(self, f.name) for f in fields(StreamCounts)}


@dataclass(slots=True)
class SourceStats(StreamCounts):
    """Running counts of one source: the `StreamCounts`, and what the summary does not show
    (bytes, markers) or shows among the session's own notes (`rate_changes`)."""

    bytes_received: int = 0
    markers: int = 0
    rate_changes: int = 0
    """Sample frames that came after the device announced a rate other than the session's (the
    session keeps the rate of its first samples; warned once, counted here)."""

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (for JSON summaries)."""
        return asdict(self)


class Source(ABC):
    """An asynchronous stream of `SampleBlock`s.

    Subclasses implement `blocks`; iteration ends at the end of the data, or after `stop()`.
    """

    name: str = "source"

    @abstractmethod
    def blocks(self) -> AsyncIterator[SampleBlock]:
        """Yield `SampleBlock`s until the source ends or `stop()` is called."""

    @abstractmethod
    def stop(self) -> None:
        """Ask the source to finish: safe from any thread and from a signal handler."""

    @property
    @abstractmethod
    def stats(self) -> SourceStats:
        """A snapshot of the counts so far."""

    def __aiter__(self) -> AsyncIterator[SampleBlock]:
        return self.blocks()
