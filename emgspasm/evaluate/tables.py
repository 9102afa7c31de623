"""Tables: the `Report` of a scoring run, as JSON (`Report.to_dict`) and as plain text
(`Report.to_text`, what ``emgspasm evaluate`` prints)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgspasm.evaluate.matching import IOU_MIN, TWITCH_TIGHT_TOL_S, TWITCH_TOL_S
from emgspasm.evaluate.metrics import (
    ONSET_THRESHOLDS_S,
    TIGHT_SUFFIX,
    Confusion,
    LabelStats,
    RecordingResult,
    json_float,
)


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
        f1s = [s.f1 for k, s in self.labels.items() if s.present and not k.endswith(TIGHT_SUFFIX)]
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
            "macro_f1": json_float(self.macro_f1),
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
        names = [k for k in self.labels if not k.endswith(TIGHT_SUFFIX)]
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
