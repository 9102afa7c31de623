"""Score predicted events against truth events (docs/scoring.md).

The rules, and why they are what they are:

* **Matching** is one-to-one, best first: a pair must share the label and have channel sets
  that mostly agree, Jaccard |A∩B| / |A∪B| >= ``CHANNEL_JACCARD_MIN`` (0.5). Sharing one channel
  is not enough: an event on the wrong muscle is not a detection of this one, and a prediction
  that lists every channel would otherwise match anything on any of them; listing extra channels
  or missing some both cost, and a one-channel truth still matches a prediction that adds one
  neighbour (1/2), but not two (1/3). Interval labels need
  intersection-over-union >= ``iou_min`` (0.2, the by-event rule of Warby 2014: loose enough that a
  detector whose edges differ from a rater's still scores, strict enough that one long prediction
  cannot swallow several true events). ``twitch`` events last 5-25 ms, so IoU would punish a few ms
  of jitter harshly; they match when their centres are within ``twitch_tol_s`` (25 ms, also
  reported at 10 ms). "Best first" is a greedy assignment in order of descending IoU (ascending
  centre distance for twitches), ties broken by truth then prediction index so results are
  deterministic. Greedy is what the event-scoring literature uses and, unlike an optimal
  assignment, it never pairs a prediction with a worse truth to free a better one elsewhere.
* **Comparisons carry a 1e-9 slack** (``_EPS``) so that a tolerance written as 0.025 s, or an IoU
  of exactly 0.2, is not lost to floating-point rounding of the times.
* **Undefined ratios.** precision = TP / (TP + FP) is NaN with no predictions; recall =
  TP / (TP + FN) is NaN with no truth; F1 = 2TP / (2TP + FP + FN) is therefore 0 when exactly one
  side is empty (all misses, or all false alarms) and NaN ("n/a") only when a label has neither
  truth nor predictions. NaN labels are left out of the macro average: a recording with no cramps
  and no cramp alarms says nothing about cramp detection.
* **Durations** for false alarms per hour come from the caller (or an ``X.meta.json``); when
  missing they are inferred as the latest ``end_s`` among the recording's truth and predicted
  events. That is a lower bound of the true length, so the inferred false-alarm rate errs high,
  which is the safe direction; the report flags every inferred duration.
* **Onset error** is ``pred.start_s - truth.start_s`` over matched events (positive = late);
  reported as median |error|, bias (mean signed error) and the share within 25/50/100 ms.
* **Latency** (streaming) is the time from ``truth.start_s`` to the first streamed label of a
  matched prediction: its ``alerted_at_s`` when an alert announced that label while the event
  was in progress, else its ``decided_at_s``; median and 95th percentile over predictions that
  say either.
* **Confusion matrix.** Same-label matches fill the diagonal (so it equals TP); then the leftover
  truth and predictions are matched again ignoring the label, with the same rule (IoU, or centre
  distance when either event is a twitch, and channel Jaccard), which fills the off-diagonal
  cells. What is still left
  goes to the ``none`` column (truth with nothing predicted at that time) or the ``none`` row
  (prediction with no true event at that time). Rows sum to the truth counts, columns to the
  prediction counts.

Candidate pairs are found with sorted arrays and ``searchsorted`` (no all-pairs Python loop), so a
recording with thousands of twitches scores in milliseconds; only the greedy pass over the (few)
candidate pairs is sequential, as greedy assignment inherently is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from emgspasm.events import LABELS, Event, read_events

__all__ = [
    "CHANNEL_JACCARD_MIN",
    "IOU_MIN",
    "NONE",
    "ONSET_THRESHOLDS_S",
    "POINT_LABELS",
    "TWITCH_TIGHT_TOL_S",
    "TWITCH_TOL_S",
    "LabelStats",
    "RecordingResult",
    "Report",
    "evaluate_dirs",
    "match_events",
    "score",
]

IOU_MIN = 0.2
"""Minimum intersection-over-union for interval labels [Warby 2014]."""

CHANNEL_JACCARD_MIN = 0.5
"""Minimum Jaccard index |A∩B| / |A∪B| of two channel sets for a pair to match (docs/scoring.md).
At 0.5 a one-channel truth matches a prediction that adds one neighbour (1/2) but not two
(1/3), and a pair co-contraction matches a prediction on either of its channels alone (1/2)."""

TWITCH_TOL_S = 0.025
"""Centre tolerance for point-like labels (docs/scoring.md: ±25 ms)."""

TWITCH_TIGHT_TOL_S = 0.010
"""The stricter centre tolerance also reported for twitches (docs/scoring.md: ±10 ms)."""

ONSET_THRESHOLDS_S: tuple[float, ...] = (0.025, 0.050, 0.100)
"""Onset-error bands reported as "% within" (docs/scoring.md)."""

POINT_LABELS: frozenset[str] = frozenset({"twitch"})
"""Labels matched by centre distance instead of IoU: events too short for IoU to be fair."""

NONE = "none"
"""Confusion-matrix row/column for "no event at that time" (a miss, or a false alarm)."""

_EPS = 1e-9
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)
"""Set bits per byte: channel sets are packed bits, so |A∩B| is a popcount of A & B (a table,
not ``np.bitwise_count``, which needs numpy 2)."""
_TIGHT_SUFFIX = "@10ms"


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    """Events as parallel arrays; channels as packed bit rows so a pair's channel Jaccard is an
    AND, an OR and two popcounts."""

    start: np.ndarray
    end: np.ndarray
    labels: np.ndarray  # object array of str
    bits: np.ndarray  # (n, n_bytes) uint8
    decided: np.ndarray  # NaN where the event has no decided_at_s

    @property
    def centre(self) -> np.ndarray:
        return 0.5 * (self.start + self.end)

    def __len__(self) -> int:
        return int(self.start.size)


def _vocab(*groups: Iterable[Event]) -> dict[str, int]:
    vocab: dict[str, int] = {}
    for events in groups:
        for ev in events:
            for ch in ev.channels:
                vocab.setdefault(ch, len(vocab))
    return vocab


def _table(events: Sequence[Event], vocab: Mapping[str, int], *, what: str = "event") -> _Table:
    n = len(events)
    start = np.fromiter((e.start_s for e in events), dtype=np.float64, count=n)
    end = np.fromiter((e.end_s for e in events), dtype=np.float64, count=n)
    bad = np.flatnonzero(~(end >= start))  # also catches NaN
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{what} {i} has end_s < start_s (or NaN): {events[i].to_dict()}")
    decided = np.fromiter((_first_streamed(e) for e in events), dtype=np.float64, count=n)
    labels = np.empty(n, dtype=object)
    labels[:] = [e.label for e in events]
    onehot = np.zeros((n, max(len(vocab), 1)), dtype=bool)
    lens = [len(e.channels) for e in events]
    rows = np.repeat(np.arange(n), lens)
    cols = np.fromiter((vocab[c] for e in events for c in e.channels), dtype=np.intp)
    onehot[rows, cols] = True
    return _Table(start, end, labels, np.packbits(onehot, axis=1), decided)


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (row, position) pairs with lo[row] <= position < hi[row], without a Python loop."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    rows = np.repeat(np.arange(lo.size), counts)
    first = np.cumsum(counts) - counts
    pos = np.repeat(lo, counts) + (np.arange(total) - np.repeat(first, counts))
    return rows, pos


def _candidates(
    t: _Table,
    t_idx: np.ndarray,
    p: _Table,
    p_idx: np.ndarray,
    *,
    point: bool,
    iou_min: float,
    tol_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (truth index, pred index, quality) that satisfy the time and the channel rule.

    Quality is IoU for intervals and ``1 - distance / tol`` for points: higher is better in both,
    so one greedy pass serves both rules. Indices are into the full tables.
    """
    empty = (np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64))
    if t_idx.size == 0 or p_idx.size == 0:
        return empty
    if point:
        pc_all = p.centre[p_idx]
        order = np.argsort(pc_all, kind="stable")
        pc = pc_all[order]
        tc = t.centre[t_idx]
        lo = np.searchsorted(pc, tc - tol_s - _EPS, side="left")
        hi = np.searchsorted(pc, tc + tol_s + _EPS, side="right")
        rows, pos = _expand(lo, hi)
        dist = np.abs(pc[pos] - tc[rows])
        keep = dist <= tol_s + _EPS
        quality = 1.0 - dist / tol_s if tol_s > 0 else np.ones_like(dist)
    else:
        ps_all = p.start[p_idx]
        order = np.argsort(ps_all, kind="stable")
        ps = ps_all[order]
        pe = p.end[p_idx][order]
        ts, te = t.start[t_idx], t.end[t_idx]
        # IoU >= m needs dp <= dt / m, so a partner starts no earlier than ts - dt / m: this bounds
        # the search window per truth event without assuming anything about other predictions.
        if iou_min > 0:
            reach = (te - ts) / iou_min
        else:
            reach = np.full(ts.shape, float(np.max(pe - ps)))
        lo = np.searchsorted(ps, ts - reach - _EPS, side="left")
        hi = np.searchsorted(ps, te, side="right")
        rows, pos = _expand(lo, hi)
        a0, a1 = ts[rows], te[rows]
        b0, b1 = ps[pos], pe[pos]
        inter = np.minimum(a1, b1) - np.maximum(a0, b0)
        union = (a1 - a0) + (b1 - b0) - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(union > 0, inter / union, np.where(inter >= 0, 1.0, 0.0))
        quality = iou
        keep = (iou > 0) & (iou >= iou_min - _EPS)
    rows, pos, quality = rows[keep], pos[keep], quality[keep]
    ti = t_idx[rows]
    pj = p_idx[order[pos]]
    agree = _channel_jaccard(t.bits[ti], p.bits[pj]) >= CHANNEL_JACCARD_MIN - _EPS
    return ti[agree], pj[agree], quality[agree]


def _channel_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of packed channel bit rows; 0 where both sets are empty (an event
    on no channel says nothing about where it is, so it matches nothing)."""
    inter = _POPCOUNT[a & b].sum(axis=1, dtype=np.int64)
    union = _POPCOUNT[a | b].sum(axis=1, dtype=np.int64)
    return np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)


def _greedy(ti: np.ndarray, pj: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one assignment, best quality first; ties go to the lower truth, then pred index."""
    if ti.size == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    order = np.lexsort((pj, ti, -quality))
    used_t: set[int] = set()
    used_p: set[int] = set()
    out_t: list[int] = []
    out_p: list[int] = []
    for i, j in zip(ti[order].tolist(), pj[order].tolist(), strict=True):
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        out_t.append(i)
        out_p.append(j)
    out = np.argsort(out_t, kind="stable")
    return np.asarray(out_t, np.intp)[out], np.asarray(out_p, np.intp)[out]


def _match_label(
    t: _Table, p: _Table, label: str, *, iou_min: float, tol_s: float
) -> tuple[np.ndarray, np.ndarray]:
    t_idx = np.flatnonzero(t.labels == label)
    p_idx = np.flatnonzero(p.labels == label)
    ti, pj, q = _candidates(
        t, t_idx, p, p_idx, point=label in POINT_LABELS, iou_min=iou_min, tol_s=tol_s
    )
    return _greedy(ti, pj, q)


def match_events(
    truth: Sequence[Event],
    pred: Sequence[Event],
    *,
    label: str,
    iou_min: float = IOU_MIN,
    twitch_tol_s: float = TWITCH_TOL_S,
) -> list[tuple[int, int]]:
    """Match the ``label`` events of one recording one-to-one, best first.

    Returns ``(truth_index, pred_index)`` pairs, indices into the lists as given (events of
    other labels are ignored, not removed), sorted by truth index. Interval labels need IoU >=
    ``iou_min``; labels in `POINT_LABELS` (``twitch``) need centres within ``twitch_tol_s``;
    both need channel sets with Jaccard >= `CHANNEL_JACCARD_MIN`. Below, the two predictions
    with exact times fail the channel rule (Jaccard 0 and 1/3); the shifted one with Jaccard 1/2
    matches:

    >>> from emgspasm.events import Event
    >>> t = [Event(1.0, 2.0, "cramp", ["a"])]
    >>> p = [Event(1.0, 2.0, "cramp", ["b"]), Event(1.0, 2.0, "cramp", ["a", "b", "c"]),
    ...      Event(1.1, 2.1, "cramp", ["a", "b"])]
    >>> match_events(t, p, label="cramp")
    [(0, 2)]
    """
    vocab = _vocab(truth, pred)
    t = _table(truth, vocab, what="truth event")
    p = _table(pred, vocab, what="predicted event")
    ti, pj = _match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tol_s)
    return list(zip(ti.tolist(), pj.tolist(), strict=True))


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def _json_float(x: float) -> float | None:
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
        return float(np.mean(e <= threshold_s + _EPS)) if e.size else math.nan

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
            "precision": _json_float(self.precision),
            "recall": _json_float(self.recall),
            "f1": _json_float(self.f1),
            "duration_s": float(self.duration_s),
            "false_alarms_per_hour": _json_float(self.false_alarms_per_hour),
            "onset": {
                "n": len(self.onset_errors_s),
                "median_abs_s": _json_float(self.onset_median_abs_s),
                "bias_s": _json_float(self.onset_bias_s),
                "within": {
                    f"{round(t * 1000)}ms": _json_float(self.onset_within(t))
                    for t in ONSET_THRESHOLDS_S
                },
            },
            "latency": {
                "n": len(self.latencies_s),
                "median_s": _json_float(self.latency_median_s),
                "p95_s": _json_float(self.latency_p95_s),
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


@dataclass
class Report:
    """Everything `evaluate` reports: pooled per label, per recording, and a confusion matrix.

    ``labels`` holds the pooled statistics per label (plus ``twitch@10ms``, the same twitches
    scored at the tighter tolerance); ``overall`` pools all real labels (micro-average).
    """

    labels: dict[str, LabelStats]
    overall: LabelStats
    confusion: Confusion
    recordings: dict[str, RecordingResult]
    iou_min: float = IOU_MIN
    twitch_tol_s: float = TWITCH_TOL_S
    twitch_tight_tol_s: float = TWITCH_TIGHT_TOL_S
    unscored_predictions: list[str] = field(default_factory=list)
    hidden: dict[str, list[str]] = field(default_factory=dict)
    """Recording -> labels it could not show (its rate too low, `Pipeline.hidden`): their
    true events there were left out of the scores, since the pipeline said it would not look."""

    @property
    def macro_f1(self) -> float:
        """Mean F1 over real labels present anywhere (``twitch@10ms`` is a variant, not a label)."""
        f1s = [s.f1 for k, s in self.labels.items() if s.present and not k.endswith(_TIGHT_SUFFIX)]
        return float(np.mean(f1s)) if f1s else math.nan

    @property
    def missing_predictions(self) -> list[str]:
        return [k for k, r in self.recordings.items() if r.predictions_missing]

    @property
    def inferred_durations(self) -> list[str]:
        return [k for k, r in self.recordings.items() if r.duration_inferred]

    @property
    def duration_s(self) -> float:
        return float(sum(r.duration_s for r in self.recordings.values()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN becomes None)."""
        return {
            "params": {
                "iou_min": self.iou_min,
                "twitch_tol_s": self.twitch_tol_s,
                "twitch_tight_tol_s": self.twitch_tight_tol_s,
                "onset_thresholds_s": list(ONSET_THRESHOLDS_S),
            },
            "n_recordings": len(self.recordings),
            "duration_s": self.duration_s,
            "macro_f1": _json_float(self.macro_f1),
            "overall": self.overall.to_dict(),
            "labels": {k: v.to_dict() for k, v in self.labels.items()},
            "confusion": self.confusion,
            "recordings": {k: v.to_dict() for k, v in self.recordings.items()},
            "missing_predictions": self.missing_predictions,
            "inferred_durations": self.inferred_durations,
            "unscored_predictions": list(self.unscored_predictions),
            "hidden": {k: list(v) for k, v in self.hidden.items()},
        }

    def to_text(self, *, per_recording: bool | None = None) -> str:
        """A plain-text table. Per-recording F1 is shown when asked, or by default for <= 20."""
        if per_recording is None:
            per_recording = len(self.recordings) <= 20
        hours = self.duration_s / 3600.0
        tol_ms = round(self.twitch_tol_s * 1000)
        lines = [
            f"Scored {len(self.recordings)} recording(s), {hours:.3g} h. Intervals match at "
            f"IoU >= {self.iou_min:g}; twitch centres within ±{tol_ms} ms.",
            "",
        ]
        head = (
            f"{'label':<12}{'truth':>6}{'pred':>6}{'TP':>6}{'FP':>6}{'FN':>6}"
            f"{'P':>6}{'R':>6}{'F1':>6}{'FA/h':>9}"
            f"{'|on|ms':>8}{'bias':>7}{'≤25':>5}{'≤50':>5}{'≤100':>5}"
            f"{'lat ms':>8}{'p95 ms':>8}"
        )
        lines += [head, "-" * len(head)]
        for s in [*self.labels.values(), self.overall]:
            within = [_fmt(s.onset_within(t) * 100, "{:.0f}", 5) for t in ONSET_THRESHOLDS_S]
            lines.append(
                f"{s.label:<12}{s.n_truth:>6}{s.n_pred:>6}{s.tp:>6}{s.fp:>6}{s.fn:>6}"
                f"{_fmt(s.precision, '{:.2f}', 6)}{_fmt(s.recall, '{:.2f}', 6)}"
                f"{_fmt(s.f1, '{:.2f}', 6)}{_fmt(s.false_alarms_per_hour, '{:.1f}', 9)}"
                f"{_fmt(s.onset_median_abs_s * 1000, '{:.0f}', 8)}"
                f"{_fmt(s.onset_bias_s * 1000, '{:+.0f}', 7)}{''.join(within)}"
                f"{_fmt(s.latency_median_s * 1000, '{:.0f}', 8)}"
                f"{_fmt(s.latency_p95_s * 1000, '{:.0f}', 8)}"
            )
        lines.append(f"macro F1 over labels present: {_fmt(self.macro_f1, '{:.3f}', 0)}")
        not_shown: dict[str, int] = {}
        for labs in self.hidden.values():
            for lab in labs:
                not_shown[lab] = not_shown.get(lab, 0) + 1
        lines += [f"not scored where the recording cannot show it (too low a rate): {lab} on "
                  f"{n} recording(s)" for lab, n in sorted(not_shown.items())]
        lines += ["", "Confusion (rows: truth, columns: predicted; none = nothing at that time)"]
        lines += _matrix_text(self.confusion)
        names = [k for k in self.labels if not k.endswith(_TIGHT_SUFFIX)]
        if per_recording and self.recordings and names:
            width = max(12, *(len(r) + 2 for r in self.recordings))
            lines += ["", "F1 per recording (n/a: label neither true nor predicted there)"]
            lines.append(f"{'recording':<{width}}" + "".join(f"{n:>11}" for n in names))
            for rname, rec in self.recordings.items():
                cells = "".join(
                    _fmt(rec.labels[n].f1, "{:.2f}", 11) if n in rec.labels else f"{'n/a':>11}"
                    for n in names
                )
                lines.append(f"{rname:<{width}}{cells}")
        notes = []
        if self.missing_predictions:
            notes.append(
                "no prediction file (all truth counted as missed): "
                + ", ".join(self.missing_predictions)
            )
        if self.inferred_durations:
            notes.append(
                "duration inferred from the last event end (FA/h may read high): "
                + ", ".join(self.inferred_durations)
            )
        if self.unscored_predictions:
            notes.append(
                "predictions without truth, not scored: " + ", ".join(self.unscored_predictions)
            )
        if notes:
            lines += ["", *(f"note: {n}" for n in notes)]
        return "\n".join(lines) + "\n"


def _fmt(x: float, spec: str, width: int) -> str:
    text = "n/a" if x is None or math.isnan(x) else spec.format(x)
    return f"{text:>{width}}"


def _matrix_text(confusion: Confusion) -> list[str]:
    keys = list(confusion)
    width = max(11, *(len(k) + 2 for k in keys))
    rows = [f"{'':<{width}}" + "".join(f"{k:>{width}}" for k in keys)]
    for r in keys:
        rows.append(f"{r:<{width}}" + "".join(f"{confusion[r][c]:>{width}}" for c in keys))
    return rows


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _label_order(labels: Iterable[str]) -> list[str]:
    """Known labels in their LABELS order, then any others alphabetically (later classes)."""
    present = set(labels)
    return [x for x in LABELS if x in present] + sorted(present - set(LABELS))


def _first_streamed(event: Event) -> float:
    """When the event's label was first streamed (NaN when it does not say)."""
    alerted = event.extra.get("alerted_at_s")
    if alerted is not None:
        return float(alerted)
    return np.nan if event.decided_at_s is None else float(event.decided_at_s)


def _stats(
    label: str, t: _Table, p: _Table, ti: np.ndarray, pj: np.ndarray, duration_s: float
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


def _confusion(
    t: _Table,
    p: _Table,
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
    ai, aj, aq = _candidates(t, t_span, p, p_span, point=False, iou_min=iou_min, tol_s=tol_s)
    bi, bj, bq = _candidates(t, t_left, p, p_left, point=True, iou_min=iou_min, tol_s=tol_s)
    either_point = t_point[bi] | p_point[bj]
    ci, cj = _greedy(
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
        k for x in labels for k in ([x, f"{x}{_TIGHT_SUFFIX}"] if x in POINT_LABELS else [x])
    ]

    recordings: dict[str, RecordingResult] = {}
    for name in names:
        truth = list(truth_by_recording[name])
        missing = name not in pred_by_recording
        pred = list(pred_by_recording.get(name, ()))
        vocab = _vocab(truth, pred)
        t = _table(truth, vocab, what=f"{name}: truth event")
        p = _table(pred, vocab, what=f"{name}: predicted event")
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
            ti, pj = _match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tol_s)
            matched.append((ti, pj))
            matches[label] = list(zip(ti.tolist(), pj.tolist(), strict=True))
            per_label[label] = _stats(label, t, p, ti, pj, duration)
            if label in POINT_LABELS:
                key = f"{label}{_TIGHT_SUFFIX}"
                ti2, pj2 = _match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tight_tol_s)
                per_label[key] = _stats(label, t, p, ti2, pj2, duration)
                per_label[key].label = key
        per_label = {k: per_label[k] for k in stat_keys}
        conf = _confusion(t, p, matched, labels, iou_min=iou_min, tol_s=twitch_tol_s)
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


# --------------------------------------------------------------------------------------------
# Directories
# --------------------------------------------------------------------------------------------

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
