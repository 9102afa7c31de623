"""The event: the one record every layer above the DSP speaks (docs/architecture.md#event-line).

An event is an interval on one or more channels with a label. Truth files written by the
simulator and predictions written by the pipeline use the same form, so `evaluate` can compare
them without adapters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emgspasm.atomic import atomic_text

LABELS: tuple[str, ...] = ("voluntary", "cramp", "twitch", "rigidity", "artifact")
"""Labels the pipeline emits today. `spasm` and `clonus` are reserved for later classes."""

PRECEDENCE: tuple[str, ...] = ("artifact", "cramp", "rigidity", "twitch", "voluntary")
"""docs/labels.md: where classes overlap on a channel, the earlier label wins."""

_CORE_FIELDS = ("start_s", "end_s", "label", "channels", "confidence")


@dataclass
class Event:
    """One labelled interval. Optional fields live in `extra` and are flattened by `to_dict`."""

    start_s: float
    end_s: float
    label: str
    channels: list[str]
    confidence: float = 1.0
    decided_at_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def centre_s(self) -> float:
        return 0.5 * (self.start_s + self.end_s)

    def __getattr__(self, name: str) -> Any:
        # Optional event-line fields (peak_uv, median_freq_hz, subtype, ...) read as attributes.
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start_s": round(float(self.start_s), 6),
            "end_s": round(float(self.end_s), 6),
            "label": self.label,
            "channels": list(self.channels),
            "confidence": round(float(self.confidence), 4),
        }
        if self.decided_at_s is not None:
            d["decided_at_s"] = round(float(self.decided_at_s), 6)
        for key, value in self.extra.items():
            d[key] = _jsonable(value)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        missing = [k for k in ("start_s", "end_s", "label", "channels") if k not in d]
        if missing:
            raise ValueError(f"event line lacks required field(s) {missing}: {d}")
        extra = {k: v for k, v in d.items() if k not in (*_CORE_FIELDS, "decided_at_s")}
        return cls(
            start_s=float(d["start_s"]),
            end_s=float(d["end_s"]),
            label=str(d["label"]),
            channels=[str(c) for c in d["channels"]],
            confidence=float(d.get("confidence", 1.0)),
            decided_at_s=None if d.get("decided_at_s") is None else float(d["decided_at_s"]),
            extra=extra,
        )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def write_events(path: str | Path, events: Iterable[Event]) -> Path:
    """Write events as JSON lines (one object per line), sorted by start time.

    All-or-nothing (`emgspasm.atomic`): a full disk leaves no half-written event file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(events, key=lambda e: (e.start_s, e.end_s, e.label))
    with atomic_text(path) as fh:
        for ev in ordered:
            fh.write(json.dumps(ev.to_dict()) + "\n")
    return path


def read_events(path: str | Path) -> list[Event]:
    """Read an events JSONL file; a malformed line raises ValueError naming file and line."""
    path = Path(path)
    events: list[Event] = []
    # JSON lines read as in io.sidecar: alike in shape only, each file's records and errors its own.
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                events.append(Event.from_dict(json.loads(line)))
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: bad event line: {exc}") from exc
    return events
