"""The recording page's tables: signal quality per channel and the list of events."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emgspasm.events import Event
from emgspasm.report.page import Html, chip, esc, paragraph, table
from emgspasm.report.quality import ChannelQuality
from emgspasm.report.style import format_clock, format_duration

MAX_EVENT_ROWS = 500
"""Events listed on a page; a day can hold tens of thousands, which belong in the CSV/JSONL
export rather than a page a browser must lay out."""


def quality_table(rows: Sequence[ChannelQuality], n_gaps: int, missing_s: float,
                  duration_s: float) -> Html:
    """Per channel: noise floor, mains, clipping, flat line, verdict; the gaps (shared by all
    channels) in one cell spanning the rows."""
    head = "".join(f"<th>{esc(h)}</th>" for h in (
        "channel", "noise floor (µV RMS)", "mains (µV RMS)", "clipping", "flat line", "gaps",
        "verdict"))
    share = missing_s / duration_s if duration_s > 0 else 0.0
    gaps = f"{n_gaps} ({missing_s:.3g} s, {share:.2%})" if n_gaps else "none"
    body = []
    for i, q in enumerate(rows):
        verdict = (Html("<br>".join(f'<span class="flag">{esc(f)}</span>' for f in q.flags))
                   if q.flags else esc("ok"))
        cells = [
            f"<td>{esc(q.channel)}</td>",
            f'<td class="num">{esc(_number(q.noise_floor_uv))}</td>',
            f'<td class="num">{esc(_number(q.mains_uv))}</td>',
            f'<td class="num">{esc(_clip(q.clip_fraction))}</td>',
            f'<td class="num">{esc(f"{q.flat_fraction:.2%}")}</td>',
        ]
        if i == 0:
            cells.append(f'<td rowspan="{len(rows)}">{esc(gaps)}</td>')
        cells.append(f"<td>{verdict}</td>")
        cls = ' class="bad"' if q.flags else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def events_table(events: Sequence[Event], max_rows: int = MAX_EVENT_ROWS) -> Html:
    """Events in time order (the first `max_rows`, with a note saying how many are left out)."""
    ordered = sorted(events, key=lambda e: (e.start_s, e.end_s, e.label))
    shown = ordered[:max_rows]
    rows = [
        (i + 1, format_clock(e.start_s, 2), format_clock(e.end_s, 2),
         format_duration(e.duration_s), chip(e.label), ", ".join(e.channels),
         f"{e.confidence:.2f}")
        for i, e in enumerate(shown)
    ]
    out = table(("#", "start", "end", "duration", "label", "channels", "confidence"), rows,
                numeric=(0, 1, 2, 3, 6))
    if len(ordered) > len(shown):
        note = paragraph(
            f"The first {len(shown)} of {len(ordered)} events are listed; the events "
            "file (JSONL or CSV export) holds them all.", cls="note")
        return Html(note + out + note)
    return out


def _number(value: float) -> str:
    """µV with three significant figures at most, never in exponent notation."""
    if not np.isfinite(value):
        return "n/a"
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{decimals}f}"


def _clip(fraction: float) -> str:
    return "n/a (coarse)" if not np.isfinite(fraction) else f"{fraction:.2%}"
