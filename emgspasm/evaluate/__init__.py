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

The package, split by concern, each module importing only those above it
(docs/architecture.md#the-package-layout):

* `matching` -- events as arrays, candidate pairs, the greedy one-to-one assignment
  (`match_events`); sorted arrays and ``searchsorted``, no all-pairs loop;
* `metrics` -- `LabelStats` (precision, recall, F1, false alarms per hour, onset, latency),
  `RecordingResult` and the confusion counts of one recording;
* `tables` -- `Report`, the pooled result as JSON and as the plain-text tables;
* `scoring` -- `score`: every recording matched and counted, then pooled;
* `files` -- `evaluate_dirs`: directories of truth and event files (``emgspasm evaluate``).

The names below are the package's API (``from emgspasm.evaluate import score, Report``); the
modules hold the rest.
"""

from emgspasm.evaluate.files import evaluate_dirs
from emgspasm.evaluate.matching import (
    CHANNEL_JACCARD_MIN,
    IOU_MIN,
    POINT_LABELS,
    TWITCH_TIGHT_TOL_S,
    TWITCH_TOL_S,
    match_events,
)
from emgspasm.evaluate.metrics import NONE, ONSET_THRESHOLDS_S, LabelStats, RecordingResult
from emgspasm.evaluate.scoring import score
from emgspasm.evaluate.tables import Report

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
