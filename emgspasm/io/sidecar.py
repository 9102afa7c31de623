"""Annotations of a CSV recording, kept in a JSON-lines file beside it.

CSV has nowhere to put "electrode reseated at 12 s", and docs/architecture.md forbids losing it
silently,
so `X.csv` keeps its annotations in `X.annotations.jsonl` (one object per line, the same style
as the event files). The name does not end in ``.csv``, so ``analyze *.csv`` never mistakes it
for a recording.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from emgspasm.io.errors import RecordingError, where
from emgspasm.recording import Annotation


def sidecar_path(path: str | Path) -> Path:
    """Where the annotations of recording `path` live."""
    path = Path(path)
    return path.with_name(path.stem + ".annotations.jsonl")


def write_sidecar(path: str | Path, annotations: Iterable[Annotation]) -> Path | None:
    """Write the annotations of `path` (removing a stale file when there are none)."""
    target = sidecar_path(path)
    items = sorted(annotations, key=lambda a: (a.onset_s, a.duration_s, a.text))
    if not items:
        target.unlink(missing_ok=True)
        return None
    with target.open("w", encoding="utf-8") as fh:
        for a in items:
            fh.write(json.dumps({"onset_s": a.onset_s, "duration_s": a.duration_s,
                                 "text": a.text}) + "\n")
    return target


def read_sidecar(path: str | Path) -> list[Annotation]:
    """The annotations of recording `path`; none if it has no sidecar file."""
    target = sidecar_path(path)
    if not target.exists():
        return []
    out: list[Annotation] = []
    # JSON lines read as in events.read_events: alike in shape only, each file's records its own.
    with target.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                note = Annotation(float(d["onset_s"]), float(d["duration_s"]), str(d["text"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise RecordingError(
                    f"{where(target, lineno)}: bad annotation line: {exc}"
                ) from exc
            out.append(note)
    return out
