"""Metrics: the counts and errors of one label, per recording and pooled (docs/scoring.md).

`LabelStats` turns matched pairs into precision, recall, F1, false alarms per hour, onset
error and latency, with the undefined ratios of `emgspasm.evaluate` (NaN, never a guess);
`label_stats` and `confusion_counts` compute them for one recording from its matches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgspasm.evaluate.matching import EPS, POINT_LABELS, EventTable, candidates, greedy

ONSET_THRESHOLDS_S: tuple[float, ...] = (0.025, 0.050, 0.100)
"""Onset-error bands reported as "% within" (docs/scoring.md)."""

NONE = "none"
"""Confusion-matrix row/column for "no event at that time" (a miss, or a false alarm)."""

TIGHT_SUFFIX = "@10ms"
"""Suffix of the stricter-tolerance variant of a point label (``twitch@10ms``)."""


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def json_float(x: float) -> float | None:
    """NaN -> None: strict JSON has no NaN, and "undefined" is what NaN means here."""
    return None if x is None or math.isnan(x) else float(x)


@dataclass
class LabelStats:
    """Counts and matched-event errors for one label (one recording, or pooled).

    Raw onset errors and latencies are kept so pooling takes the median of all events, not a
    median of per-recording medians (which would weight a 10-event file like a 1000-event one).
    """

    label: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duration_s: float = 0.0
    onset_errors_s: list[float] = field(default_factory=list, repr=False)
    latencies_s: list[float] = field(default_factory=list, repr=False)

    @property
    def n_truth(self) -> int:
        return self.tp + self.fn

    @property
    def n_pred(self) -> int:
        return self.tp + self.fp

    @property
    def present(self) -> bool:
        """False when the label has neither truth nor predictions: its F1 is undefined."""
        return self.n_truth + self.n_pred > 0

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def false_alarms_per_hour(self) -> float:
        return _ratio(self.fp, self.duration_s / 3600.0)

    @property
    def onset_median_abs_s(self) -> float:
        e = np.abs(np.asarray(self.onset_errors_s))
        return float(np.median(e)) if e.size else math.nan

    @property
    def onset_bias_s(self) -> float:
        e = np.asarray(self.onset_errors_s)
        return float(np.mean(e)) if e.size else math.nan

    def onset_within(self, threshold_s: float) -> float:
        """Fraction (0-1) of matched events whose |onset error| <= threshold_s."""
        e = np.abs(np.asarray(self.onset_errors_s))
        return float(np.mean(e <= threshold_s + EPS)) if e.size else math.nan

    @property
    def latency_median_s(self) -> float:
        x = np.asarray(self.latencies_s)
        return float(np.median(x)) if x.size else math.nan

    @property
    def latency_p95_s(self) -> float:
        x = np.asarray(self.latencies_s)
        return float(np.percentile(x, 95)) if x.size else math.nan

    @classmethod
    def pooled(cls, label: str, parts: Iterable[LabelStats]) -> LabelStats:
        """Sum counts and durations, concatenate errors (micro-averaging)."""
        out = cls(label)
        for s in parts:
            out.tp += s.tp
            out.fp += s.fp
            out.fn += s.fn
            out.duration_s += s.duration_s
            out.onset_errors_s.extend(s.onset_errors_s)
            out.latencies_s.extend(s.latencies_s)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n_truth": self.n_truth,
            "n_pred": self.n_pred,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": json_float(self.precision),
            "recall": json_float(self.recall),
            "f1": json_float(self.f1),
            "duration_s": float(self.duration_s),
            "false_alarms_per_hour": json_float(self.false_alarms_per_hour),
            "onset": {
                "n": len(self.onset_errors_s),
                "median_abs_s": json_float(self.onset_median_abs_s),
                "bias_s": json_float(self.onset_bias_s),
                "within": {
                    f"{round(t * 1000)}ms": json_float(self.onset_within(t))
                    for t in ONSET_THRESHOLDS_S
                },
            },
            "latency": {
                "n": len(self.latencies_s),
                "median_s": json_float(self.latency_median_s),
                "p95_s": json_float(self.latency_p95_s),
            },
        }


Confusion = dict[str, dict[str, int]]


@dataclass
class RecordingResult:
    """Scores of one recording, and how its duration was obtained."""

    name: str
    duration_s: float
    duration_inferred: bool
    predictions_missing: bool
    labels: dict[str, LabelStats]
    confusion: Confusion
    matches: dict[str, list[tuple[int, int]]] = field(default_factory=dict, repr=False)
    """Same-label (truth_index, pred_index) pairs per label, for plots and debugging."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": float(self.duration_s),
            "duration_inferred": self.duration_inferred,
            "predictions_missing": self.predictions_missing,
            "labels": {k: v.to_dict() for k, v in self.labels.items()},
            "confusion": self.confusion,
        }


def label_stats(
    label: str, t: EventTable, p: EventTable, ti: np.ndarray, pj: np.ndarray, duration_s: float
) -> LabelStats:
    n_t = int(np.count_nonzero(t.labels == label))
    n_p = int(np.count_nonzero(p.labels == label))
    lat = p.decided[pj] - t.start[ti]
    return LabelStats(
        label=label,
        tp=int(ti.size),
        fp=n_p - int(ti.size),
        fn=n_t - int(ti.size),
        duration_s=duration_s,
        onset_errors_s=(p.start[pj] - t.start[ti]).tolist(),
        latencies_s=lat[~np.isnan(lat)].tolist(),
    )


def confusion_counts(
    t: EventTable,
    p: EventTable,
    matched: list[tuple[np.ndarray, np.ndarray]],
    keys: list[str],
    *,
    iou_min: float,
    tol_s: float,
) -> Confusion:
    """Diagonal from same-label matches; off-diagonal from a label-blind pass over the rest."""
    conf: Confusion = {r: dict.fromkeys([*keys, NONE], 0) for r in [*keys, NONE]}
    used_t = np.zeros(len(t), bool)
    used_p = np.zeros(len(p), bool)
    for ti, pj in matched:
        used_t[ti] = True
        used_p[pj] = True
    t_left = np.flatnonzero(~used_t)
    p_left = np.flatnonzero(~used_p)
    t_point = np.isin(t.labels, list(POINT_LABELS))
    p_point = np.isin(p.labels, list(POINT_LABELS))
    t_span, p_span = t_left[~t_point[t_left]], p_left[~p_point[p_left]]
    ai, aj, aq = candidates(t, t_span, p, p_span, point=False, iou_min=iou_min, tol_s=tol_s)
    bi, bj, bq = candidates(t, t_left, p, p_left, point=True, iou_min=iou_min, tol_s=tol_s)
    either_point = t_point[bi] | p_point[bj]
    ci, cj = greedy(
        np.concatenate([ai, bi[either_point]]),
        np.concatenate([aj, bj[either_point]]),
        np.concatenate([aq, bq[either_point]]),
    )
    pairs = [*matched, (ci, cj)]
    for ti, pj in pairs:
        for a, b in zip(t.labels[ti].tolist(), p.labels[pj].tolist(), strict=True):
            conf[a][b] += 1
        used_t[ti] = True
        used_p[pj] = True
    for a in t.labels[~used_t].tolist():
        conf[a][NONE] += 1
    for b in p.labels[~used_p].tolist():
        conf[NONE][b] += 1
    return conf
