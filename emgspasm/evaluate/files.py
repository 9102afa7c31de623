"""Directories of event files: `evaluate_dirs` pairs ``X.truth.jsonl`` with ``X.events.jsonl``
and scores them (``emgspasm evaluate``)."""

from __future__ import annotations

import json
from pathlib import Path

from emgspasm.evaluate.matching import IOU_MIN, TWITCH_TIGHT_TOL_S, TWITCH_TOL_S
from emgspasm.evaluate.scoring import score
from emgspasm.evaluate.tables import Report
from emgspasm.events import Event, read_events

TRUTH_SUFFIX = ".truth.jsonl"
PRED_SUFFIX = ".events.jsonl"
META_SUFFIX = ".meta.json"


def _stems(directory: Path, suffix: str) -> dict[str, Path]:
    return {
        p.name[: -len(suffix)]: p
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name.endswith(suffix)
    }


def _read_duration(meta: Path) -> float | None:
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{meta}: cannot read metadata: {exc}") from exc
    if not isinstance(data, dict) or data.get("duration_s") is None:
        return None
    try:
        value = float(data["duration_s"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{meta}: duration_s is not a number: {data['duration_s']!r}") from exc
    if not value >= 0:
        raise ValueError(f"{meta}: duration_s must be >= 0, got {value}")
    return value


def _read_hidden(result: Path) -> list[str]:
    """Labels an analysis said its recording could not show (none if it left no record)."""
    try:
        return list(json.loads(result.read_text()).get("hidden", {}))
    except (OSError, ValueError, AttributeError):
        return []


def evaluate_dirs(
    truth_dir: str | Path,
    pred_dir: str | Path,
    *,
    iou_min: float = IOU_MIN,
    twitch_tol_s: float = TWITCH_TOL_S,
    twitch_tight_tol_s: float = TWITCH_TIGHT_TOL_S,
) -> Report:
    """Score every ``X.truth.jsonl`` in ``truth_dir`` against ``X.events.jsonl`` in ``pred_dir``.

    Truth may also be named ``X.events.jsonl`` (e.g. a hand-labelled file in the same format as
    predictions) when there is no ``X.truth.jsonl`` and the two directories differ. A truth file
    without a prediction file counts as all missed and is named in the report. The duration comes
    from an optional ``X.meta.json`` beside the truth file (``{"duration_s": ...}``), else it is
    inferred from the last event end. Labels a recording could not show come from the
    ``X.result.json`` that ``emgspasm analyze`` leaves beside its events, when present.
    """
    truth_dir, pred_dir = Path(truth_dir), Path(pred_dir)
    for d, what in ((truth_dir, "truth"), (pred_dir, "prediction")):
        if not d.is_dir():
            raise FileNotFoundError(f"{what} directory not found: {d}")
    truth_files = _stems(truth_dir, TRUTH_SUFFIX)
    pred_files = _stems(pred_dir, PRED_SUFFIX)
    if truth_dir.resolve() != pred_dir.resolve():
        for stem, path in _stems(truth_dir, PRED_SUFFIX).items():
            truth_files.setdefault(stem, path)
    if not truth_files:
        raise ValueError(f"no truth files (*{TRUTH_SUFFIX} or *{PRED_SUFFIX}) found in {truth_dir}")
    truth: dict[str, list[Event]] = {}
    pred: dict[str, list[Event]] = {}
    durations: dict[str, float | None] = {}
    hidden: dict[str, list[str]] = {}
    for stem in sorted(truth_files):
        truth[stem] = read_events(truth_files[stem])
        if stem in pred_files:
            pred[stem] = read_events(pred_files[stem])
        meta = truth_dir / f"{stem}{META_SUFFIX}"
        durations[stem] = _read_duration(meta) if meta.is_file() else None
        hidden[stem] = _read_hidden(pred_dir / f"{stem}.result.json")
    report = score(
        truth,
        pred,
        durations,
        iou_min=iou_min,
        twitch_tol_s=twitch_tol_s,
        twitch_tight_tol_s=twitch_tight_tol_s,
        hidden=hidden,
    )
    report.unscored_predictions = sorted(set(pred_files) - set(truth_files))
    return report
