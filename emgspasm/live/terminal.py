"""The terminal view of a live session: each label as it is decided, and signal quality.

Events are printed the moment the pipeline emits them; a cramp or rigidity still in progress is
announced earlier, in capitals with "(ongoing)", as soon as it is decidable (`emgspasm.alerts`).
Once a second a status line shows the stream time, counts so far and, per channel, the RMS of
the last second and a one-word quality verdict from the unfiltered signal
(`emgspasm.dsp.quality`): ``ok``, ``flat`` (lead-off or a rail), ``clip``, ``mains`` or
``motion``.

Printing goes through a bounded buffer drained by a thread: a terminal that cannot keep up (a
slow SSH link, a paused pager) must not stall the detector, so the oldest lines are dropped and
counted (`shed_lines`) instead. Events are never lost this way: they are in the events file.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import TextIO

import numpy as np

from emgspasm.alerts import Alert
from emgspasm.dsp.quality import quality_features
from emgspasm.events import Event
from emgspasm.live.sinks import Sink
from emgspasm.live.summary import LiveSummary
from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.source import SourceStats

QUALITY_WINDOW_S = 1.0
MAX_LINES = 200
"""Lines waiting for the terminal before the oldest are shed."""


def quality_verdict(window: np.ndarray, fs: float) -> list[tuple[float, str]]:
    """Per channel: (RMS µV of the mean-removed window, verdict word)."""
    if window.shape[0] < 8:
        return [(0.0, "?")] * window.shape[1]
    q = quality_features(window[None], fs=fs)
    centred = window - window.mean(axis=0)
    rms = np.sqrt((centred**2).mean(axis=0))
    out = []
    for ch in range(window.shape[1]):
        verdict = "ok"
        if q["flat_fraction"][0, ch] > 0.5:
            verdict = "flat"
        elif q["clip_fraction"][0, ch] > 0.05:
            verdict = "clip"
        elif q["mains_fraction"][0, ch] > 0.5:
            verdict = "mains"
        elif q["lf_fraction"][0, ch] > 0.6:
            verdict = "motion"
        out.append((float(rms[ch]), verdict))
    return out


def format_event(ev: Event) -> str:
    """One event as a terminal line."""
    decided = f"@{ev.decided_at_s:8.2f}s" if ev.decided_at_s is not None else " " * 10
    return (f"{decided}  {ev.label:<9} {','.join(ev.channels):<14} "
            f"{ev.start_s:8.2f} - {ev.end_s:8.2f} s  conf {ev.confidence:.2f}")


def format_alert(alert: Alert) -> str:
    """An event still in progress, as a terminal line (its event line follows at its end)."""
    return (f"@{alert.decided_at_s:8.2f}s  {alert.label.upper():<9} {alert.channel:<14} "
            f"{alert.start_s:8.2f} - (ongoing)  conf {alert.confidence:.2f}")


class TerminalSink(Sink):
    """Live labels and a once-a-second status line, printed by a background thread."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        status_every_s: float = 1.0,
        status: bool = True,
        stats: Callable[[], SourceStats] | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.status_every_s = status_every_s
        self.status = status
        self._stats = stats
        self._lines: deque[str] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.shed_lines = 0
        self._fs = 0.0
        self._channels: list[str] = []
        self._recent: deque[np.ndarray] = deque()
        self._recent_n = 0
        self._next_status = 0
        self._position = 0
        self._thread = threading.Thread(target=self._drain, name="terminal", daemon=True)
        self._thread.start()

    def describe(self) -> str:
        return "terminal"

    def start(self, first: SampleBlock, source: str) -> None:
        self._fs = first.fs
        self._channels = list(first.channels)
        self._next_status = round(self.status_every_s * self._fs)
        self._say(f"streaming {source}: {len(self._channels)} channels at {self._fs:g} Hz "
                  f"({', '.join(self._channels)})")

    def block(self, block: SampleBlock) -> None:
        if block.n_samples:
            self._recent.append(block.samples)
            self._recent_n += block.n_samples
            keep = round(QUALITY_WINDOW_S * self._fs)
            while self._recent_n - self._recent[0].shape[0] >= keep:
                self._recent_n -= self._recent.popleft().shape[0]
        if block.gap_estimate or block.gap_bounds[1]:
            lo, hi = block.gap_bounds
            what = f"{lo}" if lo == hi else f"~{block.gap_estimate} ({lo}..{hi})"
            self._say(f"  gap: {what} samples missing at {block.stream_index / self._fs:.2f} s")
        self._position = block.end_index
        if self.status and self._position >= self._next_status:
            self._next_status = self._position + round(self.status_every_s * self._fs)
            self._say(self._status_line())

    def events(self, events: list[Event]) -> None:
        for ev in events:
            self._say(format_event(ev))

    def alerts(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self._say(format_alert(alert))

    def close(self, summary: LiveSummary | None) -> None:
        if summary is not None:
            summary.display_lines_shed = self.shed_lines
            self._say(summary.line())
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(5.0)

    def _status_line(self) -> str:
        window = np.concatenate(list(self._recent)) if self._recent else np.zeros((0, 1))
        parts = [f"{name} {rms:.0f}uV {verdict}" for name, (rms, verdict)
                 in zip(self._channels, quality_verdict(window, self._fs), strict=False)]
        counts = ""
        if self._stats is not None:
            s = self._stats()
            counts = (f" rx {s.samples_received} lost {s.samples_lost}"
                      f" reconn {s.reconnects} bad {s.bad_frames} |")
        return f"[{self._position / self._fs:7.1f} s]{counts} " + " | ".join(parts)

    def _say(self, line: str) -> None:
        with self._cond:
            if len(self._lines) >= MAX_LINES:
                self._lines.popleft()
                self.shed_lines += 1
            self._lines.append(line)
            self._cond.notify()

    def _drain(self) -> None:
        while True:
            with self._cond:
                while not self._lines and not self._closed:
                    self._cond.wait()
                if not self._lines and self._closed:
                    return
                line = self._lines.popleft()
            try:
                print(line, file=self.out, flush=True)
            except (OSError, ValueError):  # closed or broken stdout: stop printing, keep going
                return
