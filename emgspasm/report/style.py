"""The shared look of report figures: one colour per label, readable fonts, PNG embedding.

A label has the same colour in every figure and table of every report (the overview, the
snippets, the summary chart, the chips in the tables), so a reader learns it once. Figures are
drawn on matplotlib `Figure` objects rendered by Agg, never through pyplot: no global backend
is switched, nothing opens a window, and reports can be drawn from worker threads.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from emgspasm.events import LABELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LABEL_COLORS: dict[str, str] = {
    "voluntary": "#4C72B0",  # blue: intended, the calm class
    "cramp": "#C44E52",  # red: the painful one a reader looks for first
    "twitch": "#DD8452",  # orange: brief, needs a colour that stands out in thin marks
    "rigidity": "#8172B3",  # purple
    "artifact": "#937860",  # brown: not muscle (grey is taken by signals and gaps)
    "spasm": "#55A868",  # reserved labels (docs/labels.md), so they are stable when they arrive
    "clonus": "#DA8BC3",
}
"""Colour of each label in every figure and table (colour-blind-safe "deep" palette)."""

FALLBACK_COLORS: tuple[str, ...] = ("#64B5CD", "#CCB974", "#2F6F4F", "#B8860B", "#8B4789")
"""For labels not above; picked by a hash of the name, so a label keeps its colour."""

GAP_COLOR = "#303030"
"""Gaps (samples lost) are dark and hatched: nothing was recorded there."""

TRACE_COLOR = "#4A4A4A"
"""Signals and RMS strips: neutral, so the label colours carry the meaning."""

FIG_DPI = 110
"""Pixels per inch of the embedded PNGs: figures 11 in wide are ~1200 px, sharp on a laptop
screen at the page's width, and a page stays a few MB."""

RC_PARAMS: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
}
"""Fonts no smaller than 9 pt at `FIG_DPI`: readable without zooming."""

PLOTS_EXTRA_HINT = "pip install 'emgspasm[plots]'"


def label_color(label: str) -> str:
    """The colour of `label` (stable across figures, reports and runs)."""
    if label in LABEL_COLORS:
        return LABEL_COLORS[label]
    return FALLBACK_COLORS[zlib.crc32(label.encode("utf-8")) % len(FALLBACK_COLORS)]


def ordered_labels(labels: Iterable[str]) -> list[str]:
    """Distinct labels in the canonical order (`LABELS`), unknown ones after, alphabetically."""
    present = set(labels)
    known = [name for name in LABELS if name in present]
    return known + sorted(present - set(LABELS))


def require_matplotlib() -> None:
    """Raise an ImportError that says how to install the plotting extra."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"HTML reports draw their figures with matplotlib, which is not installed; "
            f"install it with: {PLOTS_EXTRA_HINT}"
        ) from exc


@contextmanager
def figure(width_in: float, height_in: float) -> Iterator[Figure]:
    """A new Agg-backed figure drawn under the report's font settings."""
    require_matplotlib()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC_PARAMS):
        fig = Figure(figsize=(width_in, height_in), dpi=FIG_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def png_data_uri(fig: Figure) -> str:
    """The figure as an inline ``data:image/png;base64,...`` URI (self-contained pages)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIG_DPI, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_clock(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` from an hour, with `decimals` on the seconds."""
    sign = "-" if seconds < 0 else ""
    scale = 10 ** decimals
    total = round(abs(seconds) * scale)
    whole, frac = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{frac:0{decimals}d}" if decimals else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{sign}{minutes}:{secs:02d}{tail}"


def format_duration(seconds: float) -> str:
    """A duration a reader takes in at once: ms for twitches, s, or m:ss for long ones."""
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120.0:
        return f"{seconds:.1f} s"
    return format_clock(seconds)


CLOCK_STEPS_S: tuple[float, ...] = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
)
"""Tick spacings a reader recognises on a clock axis (seconds)."""

MAX_CLOCK_TICKS = 12
"""At most this many labelled ticks on a time axis, so ``h:mm:ss`` labels never overlap."""


def clock_axis(ax: Axes, duration_s: float) -> None:
    """Label the x axis of `ax` in clock time with round, non-overlapping ticks."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    step = next((s for s in CLOCK_STEPS_S if duration_s / s <= MAX_CLOCK_TICKS),
                CLOCK_STEPS_S[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: format_clock(value)))


def few_ticks():
    """A tick locator for small panels: two or three round values, never crowded."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=3, min_n_ticks=2)


MAX_LOG_TICKS = 3
"""Labelled ticks on a short log axis (an overview row's trace is ~90 px tall)."""


def log_axis(ax: Axes, low: float, high: float, tick_high: float | None = None) -> None:
    """Log-scale y axis from `low` to `high` with a few plain-number ticks up to `tick_high`
    (1-2-5 steps, or decades when those are too many), instead of matplotlib's crowded
    ``2×10³`` minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.set_yscale("log")
    ax.set_ylim(low, high)
    top = high if tick_high is None else min(high, tick_high)
    decades = np.arange(np.floor(np.log10(low)), np.ceil(np.log10(top)) + 1)
    ticks = []
    for subs in ((1.0, 2.0, 5.0), (1.0, 3.0), (1.0,)):
        ticks = [m * 10.0**d for d in decades for m in subs if low <= m * 10.0**d <= top]
        if len(ticks) <= MAX_LOG_TICKS:
            break
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
