"""The end-of-session summary of a live run: what arrived, what was lost, how fast.

One line for the terminal (`LiveSummary.line`), the same numbers as a dict for scripts. Losses
are reported the way they are known: the estimate the pipeline and recording used, and, when
some gaps were only bounded, the bound as well.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from firmware_bridge.transports.source import StreamCounts


@dataclass(slots=True)
class LiveSummary(StreamCounts):
    """Counts of one live session (see `emgspasm.live.runner.LiveRunner`): its source's
    `StreamCounts` (taken over from the source's stats), then what the session adds."""

    source: str = ""
    wall_s: float = 0.0
    shed_blocks: int = 0
    shed_samples: int = 0
    display_lines_shed: int = 0
    rate_changes: int = 0
    """Sample frames after the device announced another rate (the session kept its own)."""
    events: int = 0
    latency_median_ms: float | None = None
    latency_p99_ms: float | None = None
    mode: str = "classify"
    """``classify`` (events labelled by the model) or ``detect-only`` (no model file)."""
    ended_by: str = "end of source"
    hidden: dict[str, str] = field(default_factory=dict)
    """Labels the stream could not show (its rate is too low), with the reason."""
    failed_outputs: list[str] = field(default_factory=list)
    """Outputs (recordings, events file, LSL, terminal) that failed during the session, each as
    "what failed at T s (stream time): why"; the session went on without them."""

    def line(self) -> str:
        """The final line printed by ``emgspasm stream`` / ``replay``, after a note per label
        the stream could not show (`hidden`)."""
        lost = f"{self.samples_lost} lost"
        if self.samples_lost_min == 0 and self.samples_lost_max > self.samples_lost:
            # nothing proven (devices without a counter cannot always tell a loss from a stall)
            lost += f" (up to {self.samples_lost_max} possibly lost)"
        elif self.samples_lost_min != self.samples_lost_max:
            lost += f" (bounds {self.samples_lost_min}..{self.samples_lost_max})"
        lost += f" in {self.gaps} gaps"
        if self.stalls:
            lost += f", {self.stalls} stalls (data late, not lost)"
        if self.counter_jumps:
            lost += (f", {self.counter_jumps} counter jumps (device reset or corrupt counter; "
                     "continuity unknown, not counted as loss)")
        if self.latency_median_ms is None:
            latency = "latency n/a (no events)"
        else:
            latency = (f"latency sample->event median {self.latency_median_ms:.1f} ms, "
                       f"p99 {self.latency_p99_ms:.1f} ms")
        shed = f", shed {self.shed_samples} samples" if self.shed_blocks else ""
        if self.rate_changes:
            shed += f", {self.rate_changes} frames after a rate change (rate kept)"
        notes = "".join(f"note: {reason}\n" for reason in dict.fromkeys(self.hidden.values()))
        notes += "".join(f"error: {failure}\n" for failure in self.failed_outputs)
        return notes + (
            f"summary: {self.samples_received} samples received, {lost}, "
            f"{self.reconnects} reconnects, {self.bad_frames} bad frames "
            f"({self.skipped_bytes} bytes skipped){shed}; {self.events} events; {latency} "
            f"[{self.ended_by}, {self.wall_s:.1f} s]"
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-able), led by `source` and `wall_s` as it always was: summary
        files stay alike even though the shared counts are declared first."""
        counts = asdict(self)
        return {"source": counts.pop("source"), "wall_s": counts.pop("wall_s"), **counts}
