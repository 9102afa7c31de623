"""The overview strip: a whole recording at a glance, one row per channel.

Each row shows the channel's band-passed RMS per strip bin (log scale, so a 3 µV rest and an
800 µV cramp are both legible) with the noise floor dashed; events are spans in their label's
colour, drawn in the label's own stripe along the top of the row (at least two pixels wide, so
a 10 ms twitch is still seen on a 24-hour axis, and no class hides another) and as a faint
wash behind the trace (so it is clear which part of the trace they cover); gaps are hatched.
Everything comes from the `RecordingProfile` and the events: the recording itself is not read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from emgspasm.events import PRECEDENCE, Event
from emgspasm.report.profile import RecordingProfile
from emgspasm.report.style import (
    GAP_COLOR,
    TRACE_COLOR,
    clock_axis,
    figure,
    label_color,
    log_axis,
    ordered_labels,
    png_data_uri,
)
from emgspasm.timeline import file_to_stream

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN = 11.0
"""Figure width: the page's content width at `FIG_DPI`."""

TRACE_IN = 0.8
"""Height of a row's trace area: ~90 px, room for three log-scale tick labels."""

STRIPE_IN = 0.075
"""Height of one label's stripe along the top of each row (~8 px): every label present has
its own stripe, in legend order, so on a day-long axis no class hides another."""

EXTRA_IN = 1.3
"""Legend above and time axis below."""

MIN_SPAN_PX = 2.0
"""Events (in their stripes) and gaps narrower than two pixels are widened to two, so a twitch
on a day-long axis shows."""

FLOOR_MARGIN = 4.0
"""The RMS axis reaches this factor below the noise floor; lower dips (flat lines) leave it."""

WASH_ALPHA = 0.18
"""Opacity of an event's wash behind the trace: visible, yet the trace stays readable."""

LEGEND_COLUMNS = 6
"""Legend entries on one line; more go on two lines, as more would run off the figure when
counts are in the thousands."""


def overview_png(profile: RecordingProfile, events: Sequence[Event]) -> str:
    """The overview strip as a PNG data URI."""
    channels = profile.channels
    duration = max(profile.duration_s, 1.0 / profile.fs)
    labels = ordered_labels(e.label for e in events)
    row_in = TRACE_IN + STRIPE_IN * len(labels)
    lane = STRIPE_IN * len(labels) / row_in  # axes fraction taken by the stripes
    with figure(WIDTH_IN, row_in * len(channels) + EXTRA_IN) as fig:
        axes = fig.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
        min_width = MIN_SPAN_PX * duration / (0.88 * WIDTH_IN * fig.dpi)
        centres = profile.strip_times_s + 0.5 * profile.strip_samples / profile.fs
        gap_spans = _gap_spans(profile)
        # Washes are drawn in reverse label precedence, so a cramp's shows over a twitch's.
        draw_order = sorted(labels, key=lambda lb: -PRECEDENCE.index(lb)
                            if lb in PRECEDENCE else 1)
        for c, (ax, name) in enumerate(zip(axes, channels, strict=True)):
            _draw_channel(ax, centres, profile.strip_rms_uv[c], float(profile.noise_floor_uv[c]),
                          lane)
            ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
            for label in draw_order:
                spans = [(e.start_s, e.end_s) for e in events
                         if e.label == label and name in e.channels]
                top = 1.0 - labels.index(label) * lane / len(labels)
                _spans(ax, spans, min_width, label_color(label),
                       wash=(0.0, 1.0 - lane), stripe=(top - lane / len(labels), top))
            _gaps(ax, gap_spans, min_width)
        axes[-1].set_xlim(0.0, duration)
        clock_axis(axes[-1], duration)
        axes[-1].set_xlabel("time from the start of the recording ("
                            + ("h:mm:ss" if duration >= 3600 else "m:ss") + ")")
        fig.supylabel(f"band-passed RMS per {profile.strip_samples / profile.fs:g} s (µV, log)",
                      fontsize=9.5)
        handles = _legend(events, bool(gap_spans))
        fig.legend(handles=handles, loc="outside upper center", frameon=False,
                   ncols=len(handles) if len(handles) <= LEGEND_COLUMNS
                   else -(-len(handles) // 2))
        return png_data_uri(fig)


def _draw_channel(ax: Axes, centres: np.ndarray, rms: np.ndarray, floor: float,
                  lane: float) -> None:
    """RMS trace on a log axis with the noise floor, kept below the label stripes."""
    finite = rms[np.isfinite(rms) & (rms > 0)]
    if finite.size:
        ax.plot(centres, rms, color=TRACE_COLOR, linewidth=0.8)
        # A flat line (lead-off) has an RMS near 0, which would stretch a log axis over many
        # decades: the axis stops a little below the noise floor and such dips leave it.
        low = float(finite.min())
        if np.isfinite(floor) and floor > 0:
            low = max(low, floor / FLOOR_MARGIN)
        bottom, top = low / 1.3, max(float(finite.max()), low) * 1.3
        # Stretch the axis so the trace ends below the stripes (log scale: in exponents).
        span = np.log10(top / bottom) / max(1.0 - lane - 0.03, 0.2)
        log_axis(ax, bottom, bottom * 10.0**span, tick_high=top)
    if np.isfinite(floor) and floor > 0:
        ax.axhline(floor, color=TRACE_COLOR, linewidth=0.8, linestyle=(0, (4, 3)), alpha=0.8)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)


def _boxes(x0: np.ndarray, x1: np.ndarray, y0: float, y1: float) -> np.ndarray:
    """Rectangles (n, 4, 2) from x spans and a y band."""
    return np.stack([np.column_stack([x0, x1, x1, x0]),
                     np.column_stack([np.full_like(x0, y0), np.full_like(x0, y0),
                                      np.full_like(x0, y1), np.full_like(x0, y1)])], axis=-1)


def _widened(spans: Sequence[tuple[float, float]], min_width: float
             ) -> tuple[np.ndarray, np.ndarray]:
    se = np.asarray(spans, dtype=np.float64)
    mid = 0.5 * (se[:, 0] + se[:, 1])
    half = 0.5 * np.maximum(se[:, 1] - se[:, 0], min_width)
    return mid - half, mid + half


def _spans(ax: Axes, spans: Sequence[tuple[float, float]], min_width: float, color: str,
           wash: tuple[float, float], stripe: tuple[float, float]) -> None:
    """A label's events as two collections: its stripe at the top, a wash behind the trace.
    y bands are in axes fraction (x in data), so they hold whatever the log scale does."""
    from matplotlib.collections import PolyCollection

    if not spans:
        return
    x0, x1 = _widened(spans, min_width)
    transform = ax.get_xaxis_transform()
    # Washes keep the events' true widths: widened, thousands of twitches would veil the trace.
    w0, w1 = _widened(spans, 0.0)
    ax.add_collection(PolyCollection(_boxes(w0, w1, *wash), transform=transform,
                                     facecolor=color, alpha=WASH_ALPHA, linewidth=0.0, zorder=0),
                      autolim=False)
    ax.add_collection(PolyCollection(_boxes(x0, x1, *stripe), transform=transform,
                                     facecolor=color, linewidth=0.0, zorder=2), autolim=False)


def _gaps(ax: Axes, spans: Sequence[tuple[float, float]], min_width: float) -> None:
    """Gaps hatched over the full height: nothing was recorded there."""
    from matplotlib.collections import PolyCollection

    if not spans:
        return
    x0, x1 = _widened(spans, min_width)
    ax.add_collection(PolyCollection(_boxes(x0, x1, 0.0, 1.0), transform=ax.get_xaxis_transform(),
                                     facecolor="#f0f0f0", edgecolor=GAP_COLOR, hatch="////",
                                     linewidth=0.0, zorder=3), autolim=False)


def _gap_spans(profile: RecordingProfile) -> list[tuple[float, float]]:
    """Stream-time spans of the gaps."""
    gaps = profile.gaps
    if not gaps:
        return []
    at = np.array([i for i, _ in gaps])
    missing = np.array([n for _, n in gaps])
    end = file_to_stream(at, gaps) / profile.fs  # first sample after each gap
    return list(zip((end - missing / profile.fs).tolist(), end.tolist(), strict=True))


def _legend(events: Sequence[Event], has_gaps: bool) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    counts = Counter(e.label for e in events)
    handles: list = [Patch(facecolor=label_color(label), label=f"{label} ({counts[label]})")
                     for label in ordered_labels(counts)]
    if has_gaps:
        handles.append(Patch(facecolor="#f0f0f0", edgecolor=GAP_COLOR, hatch="////",
                             label="gap (no data)"))
    handles.append(Line2D([], [], color=TRACE_COLOR, linewidth=0.8, label="RMS"))
    handles.append(Line2D([], [], color=TRACE_COLOR, linewidth=0.8, linestyle=(0, (4, 3)),
                          label="noise floor"))
    return handles
