"""Analyse a whole recording through the streaming `Pipeline`, chunk by chunk.

Reading in chunks keeps memory independent of the recording's length, and pushing those chunks
through the same `Pipeline` a live session uses means a replayed file gives exactly the events
the live session gave (the pipeline is chunk-invariant).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from emgspasm.events import Event
from emgspasm.pipeline import Pipeline
from emgspasm.recording import Recording

DEFAULT_CHUNK_S = 10.0
"""Seconds of samples read and pushed at a time: large enough to amortise Python overhead,
small enough that memory stays a few MB for 8 channels at 4 kHz."""


@dataclass
class AnalyzeOptions:
    """What a user can set for an analysis (CLI flags map onto these)."""

    fs: float | None = None
    units: str | None = None
    model: str | None = None
    pairs: list[tuple[int, int]] | None = None
    neighbours: list[tuple[int, int]] | None = None
    """Channels that see each other's crosstalk without being a pair (`Pipeline`)."""
    mains_hz: tuple[float, ...] = (50.0, 60.0)
    ecg_highpass_hz: float | None = None
    chunk_s: float = DEFAULT_CHUNK_S
    reader_kwargs: dict = field(default_factory=dict)
    alerts: bool = False
    """Also classify sustained episodes in progress, as a live stream does, so events carry
    `alerted_at_s` (for scoring streaming latency on files). Off by default: a file's events
    and labels are the same either way, and on event-dense data it costs ~50 % more time."""


class ChunkObserver(Protocol):
    """Something that sees the raw samples as they stream past (a progress bar, the signal
    summary a report needs): the one pass over the file serves them all."""

    def begin(self, fs: float, channels: Sequence[str], n_samples: int) -> None:
        """Called once, before any samples: the recording's rate, channel names and length
        (samples per channel to come, gaps not counted)."""

    def update(self, samples: np.ndarray) -> None:
        """Samples (n, channels) in µV, in order."""

    def add_gap(self, n_missing: int) -> None:
        """`n_missing` samples are missing before the next update."""


def analyze(source: str | Path | Recording, options: AnalyzeOptions | None = None, *,
            observers: Sequence[ChunkObserver] = (), **kwargs) -> list[Event]:
    """Events of a recording (a path in any supported format, or a `Recording`).

    Keyword arguments override fields of `options` (e.g. ``analyze(path, fs=1000)``).
    `observers` see every chunk of raw samples and every gap on the way in.
    """
    opts = options or AnalyzeOptions()
    for k, v in kwargs.items():
        if not hasattr(opts, k):
            raise TypeError(f"analyze() got an unexpected option {k!r}")
        setattr(opts, k, v)
    if isinstance(source, Recording):
        pipe = _pipeline(source.fs, source.channels, opts)
        for obs in observers:
            obs.begin(source.fs, source.channels, source.n_samples)
        return _run(pipe, _recording_chunks(source, opts.chunk_s), source.gaps, observers)
    from emgspasm.io import open_reader

    with open_reader(source, fs=opts.fs, units=opts.units, **opts.reader_kwargs) as reader:
        pipe = _pipeline(reader.fs, reader.channels, opts)
        for obs in observers:
            obs.begin(reader.fs, reader.channels, reader.n_samples)
        chunk = max(1, round(opts.chunk_s * reader.fs))
        return _run(pipe, reader.chunks(chunk), reader.gaps, observers)


def _pipeline(fs: float, channels: Sequence[str], opts: AnalyzeOptions) -> Pipeline:
    return Pipeline(fs, channels, pairs=opts.pairs, neighbours=opts.neighbours or (),
                    model=opts.model, mains_hz=opts.mains_hz,
                    ecg_highpass_hz=opts.ecg_highpass_hz, alerts=opts.alerts)


def _recording_chunks(rec: Recording, chunk_s: float):
    n = max(1, round(chunk_s * rec.fs))
    for i in range(0, rec.n_samples, n):
        yield rec.samples[i:i + n]


def _run(pipe: Pipeline, chunks, gaps: Sequence[tuple[int, int]],
         observers: Sequence[ChunkObserver] = ()) -> list[Event]:
    """Push chunks, splitting them at gap positions so each gap reaches the pipeline."""
    pending = sorted(gaps)
    n_ch = len(pipe.channels)
    events: list[Event] = []
    position = 0

    def push(samples: np.ndarray, gap_before: int = 0) -> None:
        for obs in observers:
            if gap_before:
                obs.add_gap(gap_before)
            obs.update(samples)
        events.extend(pipe.push(samples, gap_before=gap_before))
        pipe.take_alerts()  # a file's alerts live on in its events' alerted_at_s

    for block in chunks:
        start = 0
        while pending and pending[0][0] < position + block.shape[0]:
            at, missing = pending.pop(0)
            cut = max(at - position, start)
            push(block[start:cut])
            push(block[:0].reshape(0, n_ch), gap_before=missing)
            start = cut
        push(block[start:])
        position += block.shape[0]
    events += pipe.flush()
    # A stream emits events as they are decided, in an order that depends on its blocks;
    # a file's events are listed by time, ties broken so the order is total.
    return sorted(events, key=lambda e: (e.start_s, e.end_s, e.label, e.channels))


class _CallableModule(types.ModuleType):
    """Lets `emgspasm.analyze(...)` call `analyze` whichever the package attribute holds.

    `emgspasm` imports its public names lazily, and importing this submodule (as the CLI
    does for `AnalyzeOptions`) binds `emgspasm.analyze` to the module: calling the module
    calls the function, so the DESIGN contract `emgspasm.analyze(path_or_recording)` holds
    either way (as `emgspasm.simulate` does).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> list[Event]:
        return analyze(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
