"""The cross-recording summary page of a batch, built from the results it left on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from emgspasm.batch.cache import AnalysisResult
from emgspasm.events import read_events


def write_batch_summary(results: Sequence[AnalysisResult], out_html: str | Path) -> Path:
    """`summary.html` across `results`: events per hour per class, durations, cramp burden,
    and the recordings that failed. Each recording's events come from its events file; only
    its duration is needed from the signal profile, so the (large) profiles are not loaded."""
    from emgspasm.report import write_summary_report

    entries = []
    for r in results:
        entry: dict = {"name": Path(r.path).name, "profile": {"duration_s": r.duration_s}}
        if r.ok and r.events_path:
            entry["events"] = read_events(r.events_path)
        else:
            entry["error"] = r.error or "failed"
        entries.append(entry)
    return write_summary_report(entries, out_html)
