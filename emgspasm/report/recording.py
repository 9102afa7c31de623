"""The report of one recording: a single self-contained HTML page.

Sections, in the order a reader asks their questions: what was recorded (header), what happened
when (overview strip), what the events look like (example snippets), whether the signal can be
trusted (quality table), and the list itself (events table). Everything but the snippets comes
from the `RecordingProfile` gathered during analysis; the snippets read a few seconds each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from emgspasm.events import Event
from emgspasm.io import RecordingError, open_reader
from emgspasm.report.overview import overview_png
from emgspasm.report.page import Html, chip, esc, facts, image, paragraph, section, write_page
from emgspasm.report.profile import (
    FLAT_MIN_RUN_S,
    MAINS_HARMONICS,
    NOISE_FLOOR_PERCENTILE,
    RecordingProfile,
)
from emgspasm.report.quality import assess_quality, gap_summary
from emgspasm.report.snippets import EXAMPLES_PER_LABEL, draw_snippets
from emgspasm.report.style import format_clock, ordered_labels, require_matplotlib
from emgspasm.report.tables import events_table, quality_table


def write_recording_report(
    recording_path: str | Path,
    events: Iterable[Event],
    profile: RecordingProfile | Mapping[str, Any],
    out_html: str | Path,
    *,
    reader_kwargs: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Path:
    """Write the HTML report of one analysed recording and return its path.

    `profile` is the `RecordingProfile` fed during the analysis (or its `to_dict`);
    `reader_kwargs` are the `open_reader` options the analysis used (``fs``, ``units``,
    ``channels`` ...), needed to read the example snippets. If the recording cannot be opened
    any more, the page is still written, saying why the snippets are missing.

    Raises ImportError (naming the ``plots`` extra) if matplotlib is not installed.
    """
    require_matplotlib()
    if not isinstance(profile, RecordingProfile):
        profile = RecordingProfile.from_dict(dict(profile))
    events = sorted(events, key=lambda e: (e.start_s, e.end_s, e.label))
    path = Path(recording_path)
    heading = title or path.name
    return write_page(
        out_html,
        f"{heading} — emgspasm report",
        Html(f"<h1>{esc(heading)}</h1>"),
        _header(path, events, profile),
        section("Overview", image(overview_png(profile, events), "overview of events per channel"),
                paragraph(_overview_note(profile), cls="note")),
        section("Examples", _snippets(path, events, profile, reader_kwargs or {})),
        section("Signal quality", _quality(profile)),
        section(f"Events ({len(events)})", events_table(events) if events
                else paragraph("No events were found.")),
        _footer(),
    )


def _header(path: Path, events: list[Event], profile: RecordingProfile) -> Html:
    counts = Counter(e.label for e in events)
    chips = Html(" ".join(chip(label, f"{label} {counts[label]}")
                          for label in ordered_labels(counts))) if counts else esc("none")
    n_gaps, missing_s = gap_summary(profile)
    hours = profile.duration_s / 3600.0
    return facts([
        ("file", str(path)),
        ("duration", f"{format_clock(profile.duration_s)} ({hours:.2f} h)"),
        ("sampling rate", f"{profile.fs:g} Hz (EMG band {profile.band_hz[0]:g}–"
                          f"{profile.band_hz[1]:g} Hz)"),
        ("channels", f"{len(profile.channels)}: {', '.join(profile.channels)}"),
        ("gaps", f"{n_gaps}, {missing_s:.3g} s missing" if n_gaps else "none"),
        ("events", Html(f"{len(events)}: {chips}")),
    ])


def _overview_note(profile: RecordingProfile) -> str:
    return (
        f"One row per channel: the grey trace is the band-passed RMS of every "
        f"{profile.strip_samples / profile.fs:g} s (log scale), the dashed line the noise floor. "
        "Events are coloured by label: a solid band along the top of the row (short events are "
        "widened to stay visible) and a wash behind the trace. Hatched spans are gaps."
    )


def _snippets(path: Path, events: list[Event], profile: RecordingProfile,
              reader_kwargs: Mapping[str, Any]) -> Html:
    if not events:
        return paragraph("No events, so no examples.")
    try:
        with open_reader(path, **reader_kwargs) as reader:
            drawn = draw_snippets(reader, events, profile)
    except (OSError, RecordingError) as exc:
        return paragraph(f"The examples could not be drawn: the recording could not be read "
                         f"({exc}).", cls="flag")
    counts = Counter(e.label for e in events)
    parts = [paragraph(
        f"Up to {EXAMPLES_PER_LABEL} of the most confident events per label, with context "
        "before and after. Upper panel: the band-passed signal; lower panel: its 50 ms RMS "
        "envelope; dashed: the channel's noise floor; shaded: the event.", cls="note")]
    for label, snippets in drawn.items():
        figures = "".join(
            f"<figure>{image(s.image, s.caption)}<figcaption>{esc(s.caption)}</figcaption>"
            "</figure>"
            for s in snippets
        )
        parts.append(f"<h3>{chip(label)} {esc(f'{counts[label]} event(s)')}</h3>"
                     f'<div class="snippets">{figures}</div>')
    return Html("".join(parts))


def _quality(profile: RecordingProfile) -> Html:
    n_gaps, missing_s = gap_summary(profile)
    rows = assess_quality(profile)
    parts = [quality_table(rows, n_gaps, missing_s, profile.duration_s)]
    if n_gaps:
        parts.append(paragraph(
            f"{n_gaps} gap(s), {missing_s:.3g} s of samples lost: events are cut at a gap and "
            "filters restart after it, so an event spanning one appears as two.", cls="flag"))
    lines = ", ".join(f"{f:g}" for f in profile.mains_lines_hz) or "none in the band"
    parts.append(paragraph(
        f"Noise floor: the {NOISE_FLOOR_PERCENTILE:g}th percentile of the band-passed RMS per "
        f"{profile.strip_samples / profile.fs:g} s (the quiet seconds), hum included. Mains: "
        f"typical RMS of the mains lines and harmonics up to the {MAINS_HARMONICS}rd in the EMG "
        f"band ({lines} Hz). Clipping: samples sitting on the channel's extreme values "
        "(n/a: too few quantisation levels to tell a rail from noise). Flat line: runs of "
        f"identical values lasting {FLAT_MIN_RUN_S * 1000:g} ms or more.", cls="note"))
    return Html("".join(parts))


def _footer() -> Html:
    from emgspasm import __version__

    return paragraph(f"Written by emgspasm {__version__}.", cls="note")
