"""The summary across recordings: how often each class happens, how long it lasts, and the
cramp burden, one row per recording, pooled at the bottom, with a chart and the failures.

Rates are per hour of *recording* (gaps included, as the events' clock runs through them), so
recordings of different lengths compare. "Time present" of a class is the union of its events
over channels: two channels cramping together for 10 s is 10 s of cramp, not 20.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emgspasm.events import Event
from emgspasm.report.page import Html, esc, image, paragraph, section, table, write_page
from emgspasm.report.profile import RecordingProfile
from emgspasm.report.style import (
    few_ticks,
    figure,
    format_clock,
    label_color,
    ordered_labels,
    png_data_uri,
    require_matplotlib,
)

BURDEN_LABEL = "cramp"
"""The class whose share of time is the burden figure (what a patient and clinician track)."""

MAX_BAR_RECORDINGS = 40
"""Up to this many recordings the chart has one bar per recording; beyond, bars would be
unreadable and it shows each class's spread across recordings (box plots) instead."""

MAX_NAME_CHARS = 28
"""Recording names in the chart are shortened to this (tables give them in full)."""


@dataclass(frozen=True)
class RecordingStats:
    """Per-recording figures of the summary (duration None when unknown)."""

    name: str
    duration_s: float | None
    error: str | None
    counts: dict[str, int]
    median_s: dict[str, float]
    present_s: dict[str, float]

    @property
    def hours(self) -> float | None:
        return None if not self.duration_s else self.duration_s / 3600.0

    def per_hour(self, label: str) -> float | None:
        """Events of `label` per hour of recording."""
        hours = self.hours
        return None if hours is None else self.counts.get(label, 0) / hours

    @property
    def burden_fraction(self) -> float | None:
        """Share of the recording with a cramp on any channel."""
        if not self.duration_s:
            return None
        return self.present_s.get(BURDEN_LABEL, 0.0) / self.duration_s

    @property
    def burden_min_per_h(self) -> float | None:
        """Minutes of cramp per hour of recording."""
        fraction = self.burden_fraction
        return None if fraction is None else 60.0 * fraction


def union_seconds(intervals: Iterable[tuple[float, float]]) -> float:
    """Length of the union of (start, end) intervals (vectorized sweep)."""
    se = np.asarray(sorted(intervals), dtype=np.float64).reshape(-1, 2)
    if se.shape[0] == 0:
        return 0.0
    reach = np.maximum.accumulate(se[:, 1])  # furthest end so far
    covered_to = np.concatenate(([-np.inf], reach[:-1]))
    return float(np.clip(se[:, 1] - np.maximum(se[:, 0], covered_to), 0.0, None).sum())


def recording_stats(name: str, events: Sequence[Event] | None, duration_s: float | None,
                    error: str | None = None) -> RecordingStats:
    """Counts, median durations and time present per label for one recording."""
    events = list(events or [])
    labels = ordered_labels(e.label for e in events)
    by_label = {label: [e for e in events if e.label == label] for label in labels}
    return RecordingStats(
        name=name,
        duration_s=duration_s,
        error=error,
        counts={label: len(evs) for label, evs in by_label.items()},
        median_s={label: float(np.median([e.duration_s for e in evs]))
                  for label, evs in by_label.items()},
        present_s={label: union_seconds((e.start_s, e.end_s) for e in evs)
                   for label, evs in by_label.items()},
    )


def write_summary_report(entries: Iterable[Any], out_html: str | Path) -> Path:
    """Write the cross-recording summary page and return its path.

    Each entry is a mapping or an object with ``name``; ``events`` (a list of `Event`) or
    ``error`` (why the recording failed); and ``profile`` (a `RecordingProfile` or its
    `to_dict`, giving the duration; without one, rates are left blank).

    Raises ImportError (naming the ``plots`` extra) if matplotlib is not installed.
    """
    require_matplotlib()
    stats = [_entry_stats(entry) for entry in entries]
    ok = [s for s in stats if s.error is None]
    failed = [s for s in stats if s.error is not None]
    labels = ordered_labels(label for s in ok for label in s.counts) or [BURDEN_LABEL]
    parts: list[object] = [Html("<h1>Summary across recordings</h1>"), paragraph(
        f"{len(stats)} recording(s): {len(ok)} analysed, {len(failed)} failed; "
        f"{_total_hours(ok):.2f} h analysed.")]
    if ok:
        parts += [
            section("Events per hour and cramp burden", _chart(ok, labels),
                    _rates_table(ok, labels),
                    paragraph("Cramp burden: the share of the recording with a cramp on any "
                              "channel, and the same as minutes per hour. — : duration unknown.",
                              cls="note")),
            section("Durations", _durations_table(ok, labels), paragraph(
                "Median event duration, and total time with the class present on any channel. "
                "The pooled median is the median of the recordings' medians, weighted by their "
                "event counts.", cls="note")),
        ]
    if failed:
        parts.append(section("Recordings that failed", table(
            ("recording", "error"),
            [(s.name, Html(f'<span class="error">{esc(s.error)}</span>')) for s in failed])))
    return write_page(out_html, "emgspasm summary", *parts)


def _field(entry: Any, key: str) -> Any:
    if isinstance(entry, Mapping):
        return entry.get(key)
    return getattr(entry, key, None)


def _entry_stats(entry: Any) -> RecordingStats:
    name = str(_field(entry, "name"))
    error = _field(entry, "error")
    profile = _field(entry, "profile")
    if isinstance(profile, RecordingProfile):
        duration = profile.duration_s
    elif isinstance(profile, Mapping) and profile.get("duration_s") is not None:
        duration = float(profile["duration_s"])
    else:
        duration = None
    events = None if error else _field(entry, "events")
    return recording_stats(name, events, duration, None if error is None else str(error))


def _total_hours(stats: Sequence[RecordingStats]) -> float:
    return sum(s.hours or 0.0 for s in stats)


def _pooled(stats: Sequence[RecordingStats]) -> RecordingStats:
    """All recordings with a known duration as one. Event durations are not kept per
    recording (a day holds tens of thousands), so the pooled median is the median of the
    recordings' medians weighted by their counts."""
    timed = [s for s in stats if s.duration_s]
    labels = ordered_labels(label for s in timed for label in s.counts)
    counts = {lb: sum(s.counts.get(lb, 0) for s in timed) for lb in labels}
    median = {}
    for lb in labels:
        values = np.repeat([s.median_s[lb] for s in timed if lb in s.counts],
                           [s.counts[lb] for s in timed if lb in s.counts])
        median[lb] = float(np.median(values))
    return RecordingStats(
        name="all recordings", duration_s=sum(s.duration_s or 0.0 for s in timed) or None,
        error=None, counts=counts, median_s=median,
        present_s={lb: sum(s.present_s.get(lb, 0.0) for s in timed) for lb in labels},
    )


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _rates_table(stats: Sequence[RecordingStats], labels: Sequence[str]) -> Html:
    rows = [*stats, _pooled(stats)] if len(stats) > 1 else list(stats)
    headers = ("recording", "duration (h)", *(f"{lb} /h" for lb in labels),
               "cramp burden (% of time)", "cramp (min/h)")
    body = [
        (s.name, _fmt(s.hours, ".2f"), *(_fmt(s.per_hour(lb), ".1f") for lb in labels),
         _fmt(None if s.burden_fraction is None else 100 * s.burden_fraction, ".1f"),
         _fmt(s.burden_min_per_h, ".1f"))
        for s in rows
    ]
    return table(headers, body, numeric=range(1, len(headers)),
                 row_classes=[""] * len(stats) + (["pooled"] if len(rows) > len(stats) else []))


def _durations_table(stats: Sequence[RecordingStats], labels: Sequence[str]) -> Html:
    rows = [*stats, _pooled(stats)] if len(stats) > 1 else list(stats)

    def cell(s: RecordingStats, label: str) -> str:
        if not s.counts.get(label):
            return "—"
        return f"{_short(s.median_s[label])} · {format_clock(s.present_s[label])}"

    headers = ("recording", *(f"{lb}: median · total" for lb in labels))
    return table(headers, [(s.name, *(cell(s, lb) for lb in labels)) for s in rows],
                 numeric=range(1, len(headers)))


def _short(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _chart(stats: Sequence[RecordingStats], labels: Sequence[str]) -> Html:
    """Small multiples, one panel per label (each on its own scale, so 3 cramps/h are not
    flattened by 900 twitches/h) and one for the cramp burden."""
    timed = [s for s in stats if s.duration_s]
    if not timed:
        return paragraph("No recording has a known duration, so there is no chart.", cls="note")
    panels = [(f"{lb} per hour", label_color(lb), [s.per_hour(lb) or 0.0 for s in timed])
              for lb in labels]
    panels.append(("cramp, min per hour", label_color(BURDEN_LABEL),
                   [s.burden_min_per_h or 0.0 for s in timed]))
    names = [_shorten(s.name) for s in timed]
    many = len(timed) > MAX_BAR_RECORDINGS
    height = 2.6 if many else 0.9 + 0.28 * len(timed)
    with figure(11.0, height) as fig:
        axes = fig.subplots(1, len(panels), sharey=not many, squeeze=False)[0]
        for ax, (title, colour, values) in zip(axes, panels, strict=True):
            ax.set_title(title, fontsize=9.5)
            if many:
                ax.boxplot(values, orientation="horizontal", widths=0.5, patch_artist=True,
                           boxprops={"facecolor": colour, "alpha": 0.5},
                           medianprops={"color": "black"})
                ax.set_yticks([])
            else:
                ax.barh(np.arange(len(values)), values, color=colour, height=0.7)
                ax.set_yticks(np.arange(len(values)), names)
            ax.xaxis.set_major_locator(few_ticks())
            ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
            ax.set_axisbelow(True)
        if not many:
            axes[0].invert_yaxis()  # shared: once, so the first recording is on top
        else:
            fig.suptitle(f"spread across {len(timed)} recordings", fontsize=9.5)
        uri = png_data_uri(fig)
    return image(uri, "events per hour per class and cramp burden, per recording")


def _shorten(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS - 1] + "…"
