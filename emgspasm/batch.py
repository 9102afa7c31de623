"""Many recordings: one pure, picklable `analyze_recording` per file, run serially or in a pool.

A corrupt file becomes an error entry with its reason; the other files complete. The function
is pure (inputs -> files in `out_dir` + a result record), so the same call maps unchanged onto
a process pool or, later, a Dask cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from emgspasm.analyze import AnalyzeOptions, analyze
from emgspasm.events import LABELS, write_events


@dataclass
class RecordingResult:
    """Outcome of analysing one recording."""

    path: str
    ok: bool
    events_path: str | None = None
    error: str | None = None
    n_events: int = 0
    per_label: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def events_path_for(path: str | Path, out_dir: str | Path) -> Path:
    """`DIR/<stem>.events.jsonl` for an input `X.ext` (DESIGN.md contract)."""
    return Path(out_dir) / f"{Path(path).stem}.events.jsonl"


def analyze_recording(path: str | Path, out_dir: str | Path,
                      options: AnalyzeOptions | None = None) -> RecordingResult:
    """Analyse one file and write its events; never raises for a bad input file."""
    try:
        events = analyze(path, options or AnalyzeOptions())
    except (OSError, ValueError, RuntimeError) as exc:
        return RecordingResult(path=str(path), ok=False, error=f"{type(exc).__name__}: {exc}")
    out = write_events(events_path_for(path, out_dir), events)
    counts = Counter(e.label for e in events)
    return RecordingResult(path=str(path), ok=True, events_path=str(out), n_events=len(events),
                           per_label={k: counts.get(k, 0) for k in LABELS})


def run_batch(paths: Sequence[str | Path], out_dir: str | Path,
              options: AnalyzeOptions | None = None, workers: int = 1) -> list[RecordingResult]:
    """Analyse every path; results come back in input order."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if workers > 1 and len(paths) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(analyze_recording, p, out_dir, options) for p in paths]
            return [f.result() for f in futures]
    return [analyze_recording(p, out_dir, options) for p in paths]


def summary_table(results: Sequence[RecordingResult]) -> str:
    """Plain-text table: one row per recording, counts per label or the error."""
    head = ["recording", *LABELS, "status"]
    rows = []
    for r in results:
        name = Path(r.path).name
        if r.ok:
            rows.append([name, *(str(r.per_label.get(k, 0)) for k in LABELS), "ok"])
        else:
            rows.append([name, *("-" for _ in LABELS), f"ERROR {r.error}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    widths[-1] = len(head[-1])
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
