"""Scoring: `score`, every recording matched and counted, then pooled over recordings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from emgspasm.evaluate.matching import (
    IOU_MIN,
    POINT_LABELS,
    TWITCH_TIGHT_TOL_S,
    TWITCH_TOL_S,
    event_table,
    match_label,
    vocabulary,
)
from emgspasm.evaluate.metrics import (
    NONE,
    TIGHT_SUFFIX,
    Confusion,
    LabelStats,
    RecordingResult,
    confusion_counts,
    label_stats,
)
from emgspasm.evaluate.tables import Report
from emgspasm.events import LABELS, Event


def _label_order(labels: Iterable[str]) -> list[str]:
    """Known labels in their LABELS order, then any others alphabetically (later classes)."""
    present = set(labels)
    return [x for x in LABELS if x in present] + sorted(present - set(LABELS))


def score(
    truth_by_recording: Mapping[str, Sequence[Event]],
    pred_by_recording: Mapping[str, Sequence[Event]],
    durations_s: Mapping[str, float | None] | None = None,
    *,
    iou_min: float = IOU_MIN,
    twitch_tol_s: float = TWITCH_TOL_S,
    twitch_tight_tol_s: float = TWITCH_TIGHT_TOL_S,
    hidden: Mapping[str, Iterable[str]] | None = None,
) -> Report:
    """Score predictions against truth, per recording and pooled (see the module docstring).

    ``hidden`` maps a recording to labels the pipeline said it could not show there
    (docs/labels.md#saying-what-cannot-be-seen): that recording's true events of those labels are
    not scored, and
    the report lists what was left out (``Report.hidden``).

    The recordings scored are the keys of ``truth_by_recording`` (a recording with an empty truth
    list is scored: all its predictions are false alarms). A truth recording absent from
    ``pred_by_recording`` counts as all missed and is listed in ``Report.missing_predictions``;
    prediction keys without truth are not scored and are listed in ``unscored_predictions``.
    A duration absent from ``durations_s`` (or None) is inferred from the last event end.
    """
    durations_s = durations_s or {}
    hidden_by = {k: sorted(set(v)) for k, v in (hidden or {}).items() if v}
    truth_by_recording = {k: [ev for ev in v if ev.label not in hidden_by.get(k, ())]
                          for k, v in truth_by_recording.items()}
    names = list(truth_by_recording)
    labels = _label_order(
        ev.label
        for name in names
        for group in (truth_by_recording[name], pred_by_recording.get(name, ()))
        for ev in group
    )
    # Each point label is followed by its tighter-tolerance variant (twitch, twitch@10ms).
    stat_keys = [
        k for x in labels for k in ([x, f"{x}{TIGHT_SUFFIX}"] if x in POINT_LABELS else [x])
    ]

    recordings: dict[str, RecordingResult] = {}
    for name in names:
        truth = list(truth_by_recording[name])
        missing = name not in pred_by_recording
        pred = list(pred_by_recording.get(name, ()))
        vocab = vocabulary(truth, pred)
        t = event_table(truth, vocab, what=f"{name}: truth event")
        p = event_table(pred, vocab, what=f"{name}: predicted event")
        given = durations_s.get(name)
        inferred = given is None
        if inferred:
            ends = np.concatenate([t.end, p.end])
            duration = float(ends.max()) if ends.size else 0.0
        else:
            duration = float(given)

        per_label: dict[str, LabelStats] = {}
        matches: dict[str, list[tuple[int, int]]] = {}
        matched: list[tuple[np.ndarray, np.ndarray]] = []
        for label in labels:
            ti, pj = match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tol_s)
            matched.append((ti, pj))
            matches[label] = list(zip(ti.tolist(), pj.tolist(), strict=True))
            per_label[label] = label_stats(label, t, p, ti, pj, duration)
            if label in POINT_LABELS:
                key = f"{label}{TIGHT_SUFFIX}"
                ti2, pj2 = match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tight_tol_s)
                per_label[key] = label_stats(label, t, p, ti2, pj2, duration)
                per_label[key].label = key
        per_label = {k: per_label[k] for k in stat_keys}
        conf = confusion_counts(t, p, matched, labels, iou_min=iou_min, tol_s=twitch_tol_s)
        recordings[name] = RecordingResult(
            name, duration, inferred, missing, per_label, conf, matches
        )

    pooled = {
        k: LabelStats.pooled(k, (r.labels[k] for r in recordings.values())) for k in stat_keys
    }
    overall = LabelStats.pooled("all", (pooled[k] for k in labels))
    # Pooling over labels would count each recording once per label; FA/h is per recording hour.
    overall.duration_s = sum(r.duration_s for r in recordings.values())
    keys = [*labels, NONE]
    confusion: Confusion = {a: dict.fromkeys(keys, 0) for a in keys}
    for r in recordings.values():
        for a, row in r.confusion.items():
            for b, n in row.items():
                confusion[a][b] += n
    # The report's fields by keyword: alike in shape only to other records' construction.
    return Report(
        labels=pooled,
        overall=overall,
        confusion=confusion,
        recordings=recordings,
        iou_min=iou_min,
        twitch_tol_s=twitch_tol_s,
        twitch_tight_tol_s=twitch_tight_tol_s,
        unscored_predictions=sorted(set(pred_by_recording) - set(names)),
        hidden={k: v for k, v in hidden_by.items() if k in truth_by_recording},
    )
