"""Alerts: a sustained event announced while it is still going on.

An event is emitted when its episode ends -- for a cramp that may be minutes after it began.
A person in a cramp, or a clinician watching a stream, needs to know while it lasts, so the
pipeline also classifies each sustained episode in progress on what it has shown so far and
announces it once the label is decidable (docs/scoring.md: within 1 s of that). An alert is not an
event: the event still comes at the end, carrying `alerted_at_s` when an alert announced its
label, and an alert whose episode ends up labelled otherwise was a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Alert:
    """`label` in progress on `channel` since `start_s`, announced at `decided_at_s`."""

    label: str
    channel: str
    start_s: float
    decided_at_s: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"alert": self.label, "channel": self.channel,
                "start_s": round(self.start_s, 6), "decided_at_s": round(self.decided_at_s, 6),
                "confidence": round(self.confidence, 4)}
