"""One recording in, its result files out: the pure function every batch executor maps.

`analyze_recording` reads one file, writes everything asked of it into `out_dir` (events,
and optionally the report's signal profile, CSV events, an annotated EDF+/BDF+ copy) and
returns an `AnalysisResult`. It never raises for a bad input file: the reason goes into the
result, so a batch carries on past it. It depends only on its arguments (no globals, no
shared state), which is what lets the same call run in this process, in a local process pool
or on a Dask cluster (docs/architecture.md#design-choices).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from emgspasm.analyze import AnalyzeOptions, ChunkObserver, analyze
from emgspasm.atomic import write_text_atomic
from emgspasm.batch.cache import AnalysisResult, BatchOutputs, Fingerprint, result_path_for
from emgspasm.detect.config import DetectorConfig
from emgspasm.detect.decision import hidden_labels
from emgspasm.events import LABELS, write_events


def events_path_for(path: str | Path, out_dir: str | Path) -> Path:
    """`DIR/<stem>.events.jsonl` for an input `X.ext` (docs/architecture.md#contracts)."""
    return Path(out_dir) / f"{Path(path).stem}.events.jsonl"


def analyze_recording(path: str | Path, out_dir: str | Path,
                      options: AnalyzeOptions | None = None,
                      outputs: BatchOutputs = BatchOutputs(),
                      progress: Progress | None = None) -> AnalysisResult:
    """Analyse one file, write its outputs and its result record; never raises for a file.

    A bad input is the expected failure (its reader names the file and the byte or line); any
    other exception is a bug, but one recording's bug must not cost a night's batch either,
    so it too becomes this recording's error entry. `progress`, if given, hears how many
    samples the file holds once it is opened, then how many were read after every chunk.
    """
    opts = options or AnalyzeOptions()
    out_dir = Path(out_dir)
    # Until this run finishes, no record may vouch for the outputs it is about to overwrite.
    result_path_for(path, out_dir).unlink(missing_ok=True)
    fingerprint = Fingerprint.of(path, opts, outputs).to_dict()
    counter = _SampleCounter(progress)
    profile = _ProfileBuilder(opts.mains_hz) if outputs.report else None
    observers: list[ChunkObserver] = [counter] + ([profile] if profile else [])
    try:
        events = analyze(path, opts, observers=observers)
        written = write_events(events_path_for(path, out_dir), events)
    except Exception as exc:  # recorded per file, see the docstring
        return _save(failed(path, exc, fingerprint), out_dir)
    counts = Counter(e.label for e in events)
    result = AnalysisResult(path=str(path), ok=True, events_path=str(written),
                            n_events=len(events), per_label={k: counts.get(k, 0) for k in LABELS},
                            n_samples=counter.read, duration_s=counter.duration_s,
                            hidden=hidden_labels(counter.fs, DetectorConfig()),
                            fingerprint=fingerprint)
    stem = Path(path).stem
    try:
        if profile is not None and profile.profile is not None:
            result.outputs.update(_write_report(path, events, profile.profile, out_dir, opts))
        if outputs.csv:
            from emgspasm.export import write_events_csv

            result.outputs["csv"] = str(write_events_csv(out_dir / f"{stem}.events.csv", events))
        if outputs.annotated:
            from emgspasm.export import write_annotated_copy

            result.outputs["annotated"] = str(write_annotated_copy(
                path, events, annotated_copy_path(path, out_dir),
                reader_kwargs=_reader_kwargs(opts)))
    except Exception as exc:  # e.g. ImportError: a report without matplotlib
        result.ok = False
        result.error = f"events written, but an export failed: {type(exc).__name__}: {exc}"
    return _save(result, out_dir)


def failed(path: str | Path, exc: BaseException,
           fingerprint: dict[str, Any] | None = None) -> AnalysisResult:
    """The error entry of a recording that could not be analysed."""
    return AnalysisResult(path=str(path), ok=False, error=f"{type(exc).__name__}: {exc}",
                          fingerprint=fingerprint or {})


def annotated_copy_path(path: str | Path, out_dir: str | Path) -> Path:
    """`DIR/<stem>.annotated.bdf` (`.edf` for an EDF input: keep its 16-bit format; anything
    else becomes BDF+, whose 24 bits keep a CSV's or capture's resolution)."""
    ext = ".edf" if Path(path).suffix.lower() == ".edf" else ".bdf"
    return Path(out_dir) / f"{Path(path).stem}.annotated{ext}"


def _write_report(path: str | Path, events: list, profile, out_dir: Path,
                  opts: AnalyzeOptions) -> dict[str, str]:
    from emgspasm.report import write_recording_report

    stem = Path(path).stem
    target = out_dir / f"{stem}.profile.json"
    target.write_text(json.dumps(profile.to_dict()))
    html = write_recording_report(path, events, profile, out_dir / f"{stem}.report.html",
                                  reader_kwargs=_reader_kwargs(opts))
    return {"profile": str(target), "report": str(html)}


def _reader_kwargs(opts: AnalyzeOptions) -> dict[str, Any]:
    return {"fs": opts.fs, "units": opts.units, **opts.reader_kwargs}


class _ProfileBuilder:
    """Feeds the report's signal profile, created once the recording's rate is known."""

    def __init__(self, mains_hz: Sequence[float]) -> None:
        self.mains_hz = tuple(mains_hz)
        self.profile = None

    def begin(self, fs: float, channels: Sequence[str], n_samples: int) -> None:
        from emgspasm.report.profile import RecordingProfile

        self.profile = RecordingProfile(fs, list(channels), mains_hz=self.mains_hz or None)

    def update(self, samples: np.ndarray) -> None:
        self.profile.update(samples)

    def add_gap(self, n_missing: int) -> None:
        self.profile.add_gap(n_missing)


def _save(result: AnalysisResult, out_dir: Path) -> AnalysisResult:
    """Keep the result next to the outputs: the record a rerun checks to skip this file."""
    write_text_atomic(result_path_for(result.path, out_dir), json.dumps(result.to_dict(), indent=1))
    return result


class Progress(Protocol):
    """Where a recording's progress goes (a bar in this process, or a queue to it)."""

    def __call__(self, read: int, total: int = 0) -> None:
        """`read` more samples were read; the job grew by `total` samples (once, on opening)."""


class _SampleCounter:
    """Counts samples (for the recording's duration) and reports them to `progress`."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.fs = 0.0
        self.read = 0
        self.missing = 0

    def begin(self, fs: float, channels: Sequence[str], n_samples: int) -> None:
        self.fs = fs
        if self.progress is not None:
            self.progress(0, n_samples)

    def update(self, samples: np.ndarray) -> None:
        n = int(samples.shape[0])
        self.read += n
        if n and self.progress is not None:
            self.progress(n)

    def add_gap(self, n_missing: int) -> None:
        self.missing += n_missing

    @property
    def duration_s(self) -> float:
        return (self.read + self.missing) / self.fs if self.fs else 0.0


def summary_table(results: Sequence[AnalysisResult]) -> str:
    """Plain-text table: one row per recording, counts per label or the error."""
    head = ["recording", *LABELS, "status"]
    rows = []
    for r in results:
        name = Path(r.path).name
        if r.ok:
            rows.append([name, *(str(r.per_label.get(k, 0)) for k in LABELS),
                         "reused" if r.reused else "ok"])
        else:
            rows.append([name, *("-" for _ in LABELS), f"ERROR {r.error}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    widths[-1] = len(head[-1])
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
