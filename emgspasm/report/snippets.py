"""Example snippets: what each event class looks like in this recording.

For each label present, the most confident events are drawn with a little context on either
side: the band-passed signal (`design_emg_filter` without notches, as the detector measures
activity and the profile its noise floor) and its 50 ms RMS envelope on each of the event's
channels, the event shaded in its label's colour and the channel's noise floor dashed, so a
reader can judge the label and its onset by eye. Samples are read with `read_span` (random
access), never the whole recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import signal

from emgspasm.dsp.envelope import rms_envelope
from emgspasm.dsp.filters import design_emg_filter
from emgspasm.events import Event
from emgspasm.io.base import RecordingReader
from emgspasm.report.profile import RecordingProfile
from emgspasm.report.style import (
    GAP_COLOR,
    TRACE_COLOR,
    few_ticks,
    figure,
    format_clock,
    format_duration,
    label_color,
    ordered_labels,
    png_data_uri,
)
from emgspasm.timeline import file_to_stream, stream_to_file

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Piece = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(seconds, band-passed samples, RMS envelope) of one stretch between gaps."""

EXAMPLES_PER_LABEL = 3
"""Events drawn per label: enough to see the class's variety, few enough to keep pages small."""

MAX_CHANNELS = 4
"""Channels drawn per event (an artifact may cover all eight; four show the pattern)."""

CONTEXT_FRACTION = 0.5
"""Context on each side, as a fraction of the event's duration, within the bounds below."""

CONTEXT_MIN_S = 0.3
"""At least 0.3 s each side: a twitch's 250 ms of surrounding quiet (docs/labels.md) is visible."""

CONTEXT_MAX_S = 3.0
"""At most 3 s each side: enough to see the onset of a cramp against rest."""

MAX_EVENT_S = 60.0
"""Longer events are drawn for their first minute (noted in the caption), so a 10-minute cramp
does not turn the plot into a solid block or read 10 minutes of samples."""

WARMUP_S = 1.0
"""Samples read before the window and discarded, so the causal filters have settled (the
narrowest notch rings for ~0.2 s) and the drawn signal is what the pipeline saw."""

WIDTH_IN = 5.4
"""Two snippets side by side fill the page."""

ROW_IN = 2.0
"""Height per channel (signal and envelope panels)."""

SIGNAL_COLOR = "#5a5a5a"
"""The band-passed signal: neutral, so the label colour is the envelope's."""

SIGNAL_SHARE = 1.6
"""Height of a channel's signal panel relative to its envelope panel."""


@dataclass(frozen=True)
class Snippet:
    """One drawn example: its event, the PNG data URI and a caption."""

    event: Event
    image: str
    caption: str


def pick_examples(events: Sequence[Event], label: str,
                  n: int = EXAMPLES_PER_LABEL) -> list[Event]:
    """The `n` most confident events of `label` (longer first on ties), in time order."""
    mine = [e for e in events if e.label == label]
    best = sorted(mine, key=lambda e: (-e.confidence, -e.duration_s, e.start_s))[:n]
    return sorted(best, key=lambda e: e.start_s)


def draw_snippets(reader: RecordingReader, events: Sequence[Event],
                  profile: RecordingProfile) -> dict[str, list[Snippet]]:
    """Snippets for every label present, keyed by label in canonical order."""
    # Band-pass alone, as the detector's activity stage and the profile's strip see the signal,
    # so the envelope and the noise floor drawn with it are on the same footing.
    sos = design_emg_filter(reader.fs, mains_hz=None)
    floors = dict(zip(profile.channels, profile.noise_floor_uv.tolist(), strict=True))
    out: dict[str, list[Snippet]] = {}
    for label in ordered_labels(e.label for e in events):
        out[label] = [_snippet(reader, event, sos, floors)
                      for event in pick_examples(events, label)]
    return out


def _window_s(event: Event) -> tuple[float, float, bool]:
    """(start, end) of the drawn window in stream seconds, and whether the event was cut."""
    context = min(max(CONTEXT_FRACTION * event.duration_s, CONTEXT_MIN_S), CONTEXT_MAX_S)
    cut = event.duration_s > MAX_EVENT_S
    end = event.start_s + MAX_EVENT_S if cut else event.end_s
    return event.start_s - context, end + context, cut


def _snippet(reader: RecordingReader, event: Event, sos: np.ndarray,
             floors: dict[str, float]) -> Snippet:
    fs, gaps = reader.fs, reader.gaps
    start_s, end_s, cut = _window_s(event)
    lo, hi = stream_to_file(np.array([round((start_s - WARMUP_S) * fs), round(end_s * fs)]),
                            gaps).clip(0, reader.n_samples).tolist()
    columns = [reader.channels.index(c) for c in event.channels if c in reader.channels]
    shown = columns[:MAX_CHANNELS]
    raw = reader.read_span(lo, hi)[:, shown] if shown and hi > lo else np.zeros((0, 0))
    stream = file_to_stream(np.arange(lo, hi), gaps)
    pieces = _filtered_pieces(raw, stream, sos, fs)
    t_lo, t_hi = start_s - event.start_s, end_s - event.start_s
    colour = label_color(event.label)
    rows = max(len(shown), 1)
    with figure(WIDTH_IN, ROW_IN * rows + 0.6) as fig:
        axes = fig.subplots(2 * rows, 1, sharex=True, squeeze=False,
                            height_ratios=[SIGNAL_SHARE, 1.0] * rows)[:, 0]
        for row in range(rows):
            name = reader.channels[shown[row]] if shown else ", ".join(event.channels)
            top, bottom = axes[2 * row], axes[2 * row + 1]
            _draw_channel(top, bottom, [(t - event.start_s, b[:, row], e[:, row])
                                        for t, b, e in pieces],
                          colour, floors.get(name, np.nan), t_lo)
            top.text(0.01, 0.97, name, transform=top.transAxes, ha="left", va="top",
                     fontsize=9.5, fontweight="bold",
                     bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        for ax in axes:
            ax.axvspan(0.0, min(event.duration_s, MAX_EVENT_S), color=colour, alpha=0.12,
                       linewidth=0, zorder=0)
        axes[0].set_xlim(t_lo, t_hi)
        axes[-1].set_xlabel("seconds from the event's onset")
        if not shown:
            axes[0].text(0.5, 0.5, "channel not in the recording", transform=axes[0].transAxes,
                         ha="center")
        _mark_gaps(axes, stream / fs - event.start_s)
        image = png_data_uri(fig)
    return Snippet(event, image, _caption(event, cut, len(columns) - len(shown)))


def _filtered_pieces(raw: np.ndarray, stream: np.ndarray, sos: np.ndarray,
                     fs: float) -> list[Piece]:
    """(stream seconds, band-passed, envelope) for each stretch between gaps.

    Each stretch is filtered from rest after subtracting its first sample, as the profile and
    the pipeline restart at a gap; the warm-up before the window is drawn outside the axes.
    """
    if raw.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(stream) > 1) + 1
    pieces = []
    for idx in np.split(np.arange(stream.size), breaks):  # one stretch per gap, not per sample
        segment = raw[idx]
        band = signal.sosfilt(sos, segment - segment[0], axis=0)
        pieces.append((stream[idx] / fs, band, rms_envelope(band, fs=fs)))
    return pieces


def _draw_channel(top: Axes, bottom: Axes, pieces: list[Piece], colour: str, floor: float,
                  t_min: float) -> None:
    """Band-passed signal above, its RMS envelope below (own scale, so a waxing and waning
    envelope is not flattened by the signal's spikes), the noise floor dashed on both."""
    peak, top_env = 0.0, 0.0
    for t, band, envelope in pieces:
        top.plot(t, band, color=SIGNAL_COLOR, linewidth=0.5)
        bottom.plot(t, envelope, color=colour, linewidth=1.4)
        visible = t >= t_min
        if visible.any():
            peak = max(peak, float(np.max(np.abs(band[visible]))))
            top_env = max(top_env, float(np.max(envelope[visible])))
    if np.isfinite(floor) and floor > 0:
        for ax, level in ((top, floor), (top, -floor), (bottom, floor)):
            ax.axhline(level, color=TRACE_COLOR, linewidth=0.8, linestyle=(0, (4, 3)))
        top_env = max(top_env, floor)
    if peak > 0:
        top.set_ylim(-1.15 * peak, 1.15 * peak)
    bottom.set_ylim(0.0, 1.15 * top_env if top_env > 0 else 1.0)
    top.set_ylabel("µV")
    bottom.set_ylabel("RMS\nµV")
    for ax in (top, bottom):
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.yaxis.set_major_locator(few_ticks())


def _mark_gaps(axes: Sequence[Axes], times: np.ndarray) -> None:
    """Hatch the holes between stretches."""
    if times.size < 2:
        return
    step = np.diff(times)
    for i in np.flatnonzero(step > 1.5 * np.min(step)):  # a few gaps at most
        for ax in axes:
            ax.axvspan(times[i], times[i + 1], facecolor="#f0f0f0", edgecolor=GAP_COLOR,
                       hatch="////", linewidth=0, zorder=3)


def _caption(event: Event, cut: bool, hidden_channels: int) -> str:
    parts = [
        f"{event.label} on {', '.join(event.channels)}, {format_clock(event.start_s, 2)}–"
        f"{format_clock(event.end_s, 2)} ({format_duration(event.duration_s)}), "
        f"confidence {event.confidence:.2f}"
    ]
    if cut:
        parts.append(f"first {MAX_EVENT_S:g} s shown")
    if hidden_channels:
        parts.append(f"{hidden_channels} more channel(s) not drawn")
    return "; ".join(parts)
