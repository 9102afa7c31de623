"""Scoring (docs/scoring.md): hand-built cases whose answers can be worked out on paper, a
brute-force cross-check of the vectorised matcher, and the property that perfect predictions
score F1 = 1."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.evaluate import (
    NONE,
    Report,
    evaluate_dirs,
    match_events,
    score,
)
from emgspasm.events import LABELS, Event, write_events


def ev(start: float, end: float, label: str = "voluntary", channels=("ch1",), **kw) -> Event:
    return Event(start, end, label, list(channels), **kw)


def twitch(centre: float, channels=("ch1",), width: float = 0.010) -> Event:
    return Event(centre - width / 2, centre + width / 2, "twitch", list(channels))


# ---------------------------------------------------------------------------- matching


def test_perfect_match_gives_f1_one() -> None:
    truth = [ev(1, 2), ev(5, 9, "cramp", ["ch2"]), twitch(12.0), ev(20, 40, "rigidity")]
    report = score({"r": truth}, {"r": [Event(**vars(e)) for e in truth]}, {"r": 60.0})
    for label in ("voluntary", "cramp", "twitch", "twitch@10ms", "rigidity"):
        stats = report.labels[label]
        assert (stats.tp, stats.fp, stats.fn) == (1, 0, 0)
        assert stats.f1 == 1.0
    assert report.overall.f1 == 1.0
    assert report.macro_f1 == 1.0
    assert report.labels["voluntary"].onset_median_abs_s == 0.0


@pytest.mark.parametrize(
    ("pred_start", "matched"),
    [(0.81, False), (0.80, True), (0.79, True)],  # IoU 0.19, 0.20 (boundary), 0.21
)
def test_iou_threshold(pred_start: float, matched: bool) -> None:
    truth = [ev(0.0, 1.0)]
    pred = [ev(pred_start, 1.0)]  # inside the truth: IoU = 1 - pred_start
    assert match_events(truth, pred, label="voluntary") == ([(0, 0)] if matched else [])


def test_iou_threshold_is_a_parameter() -> None:
    assert match_events([ev(0, 1)], [ev(0.6, 1)], label="voluntary", iou_min=0.5) == []
    assert match_events([ev(0, 1)], [ev(0.4, 1)], label="voluntary", iou_min=0.5) == [(0, 0)]


def test_disjoint_channels_do_not_match() -> None:
    truth = [ev(0, 1, channels=["a", "b"])]
    assert match_events(truth, [ev(0, 1, channels=["c"])], label="voluntary") == []


@pytest.mark.parametrize(
    ("truth_ch", "pred_ch", "matched"),
    [
        (["a"], ["a", "b", "c"], False),  # 1/3: two extra channels
        (["a", "b", "c"], ["a"], False),  # 1/3: two channels missed
        (["a", "b"], ["b", "c"], False),  # 1/3: shares one, but each side has one of its own
        (["a"], ["a", "b"], True),  # 1/2: one extra channel
        (["a", "b"], ["b"], True),  # 1/2: one channel missed
        (["a", "b", "c"], ["a", "b", "d"], True),  # 2/4
        (["a", "b"], ["b", "a"], True),  # 1: order does not matter
    ],
)  # fmt: skip
def test_channel_sets_must_mostly_agree(truth_ch, pred_ch, matched: bool) -> None:
    truth, pred = [ev(0, 1, channels=truth_ch)], [ev(0, 1, channels=pred_ch)]
    assert match_events(truth, pred, label="voluntary") == ([(0, 0)] if matched else [])
    twitches = match_events([twitch(1.0, truth_ch)], [twitch(1.0, pred_ch)], label="twitch")
    assert bool(twitches) is matched


def test_sharing_one_channel_is_no_longer_enough() -> None:
    """Under the old rule (any shared channel) a prediction spread over every channel matched a
    one-channel truth, and took it from a worse-timed prediction on the right channel."""
    truth = [ev(0, 1, channels=["c1"])]
    pred = [ev(0, 1, channels=["c1", "c2", "c3", "c4"]), ev(0.2, 1, channels=["c1"])]
    assert match_events(truth, pred, label="voluntary") == [(0, 1)]
    s = score({"r": truth}, {"r": pred}).labels["voluntary"]
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)


def test_confusion_second_pass_applies_the_channel_rule() -> None:
    truth = [ev(0, 10, "cramp", ["a"]), ev(20, 30, "cramp", ["a"])]
    pred = [ev(0, 10, "voluntary", ["a", "b"]), ev(20, 30, "voluntary", ["a", "b", "c"])]
    c = score({"r": truth}, {"r": pred}, {"r": 60.0}).confusion
    assert c["cramp"]["voluntary"] == 1  # Jaccard 1/2: the same event, mislabelled
    assert c["cramp"][NONE] == 1 and c[NONE]["voluntary"] == 1  # 1/3: not the same event


def test_other_labels_are_ignored_and_indices_refer_to_the_given_lists() -> None:
    truth = [ev(0, 1, "cramp"), ev(0, 1)]
    pred = [ev(5, 6, "artifact"), ev(0, 1, "cramp"), ev(0.05, 1)]
    assert match_events(truth, pred, label="voluntary") == [(1, 2)]
    assert match_events(truth, pred, label="cramp") == [(0, 1)]


def test_one_to_one_best_first() -> None:
    truth = [ev(0.0, 1.0)]
    pred = [ev(0.3, 1.0), ev(0.05, 1.0)]  # IoU 0.7 and 0.95: the better one wins
    assert match_events(truth, pred, label="voluntary") == [(0, 1)]
    s = score({"r": truth}, {"r": pred}).labels["voluntary"]
    assert (s.tp, s.fp, s.fn) == (1, 1, 0)
    assert s.precision == 0.5 and s.recall == 1.0


def test_greedy_does_not_let_one_prediction_cover_two_truths() -> None:
    truth = [ev(0, 1), ev(1, 2)]
    pred = [ev(0, 2)]  # IoU 0.5 with each; only one may claim it
    s = score({"r": truth}, {"r": pred}).labels["voluntary"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 1)


@pytest.mark.parametrize(
    ("offset_s", "at_25", "at_10"),
    [(0.0, True, True), (0.008, True, True), (-0.020, True, False), (0.025, True, False),
     (0.030, False, False)],
)  # fmt: skip
def test_twitch_centre_tolerance(offset_s: float, at_25: bool, at_10: bool) -> None:
    truth = [twitch(1.0)]
    pred = [twitch(1.0 + offset_s, width=0.004)]  # a different width: only centres count
    assert bool(match_events(truth, pred, label="twitch")) is at_25
    assert bool(match_events(truth, pred, label="twitch", twitch_tol_s=0.010)) is at_10
    report = score({"r": truth}, {"r": pred})
    assert report.labels["twitch"].tp == int(at_25)
    assert report.labels["twitch@10ms"].tp == int(at_10)


def test_twitch_nearest_centre_wins() -> None:
    truth = [twitch(1.000), twitch(1.030)]
    pred = [twitch(1.012), twitch(1.035)]
    assert match_events(truth, pred, label="twitch") == [(0, 0), (1, 1)]


# ---------------------------------------------------------------------------- metrics


def test_false_alarms_per_hour() -> None:
    truth = {"a": [ev(0, 1)], "b": []}
    pred = {
        "a": [ev(0, 1), ev(10, 11), ev(20, 21), ev(30, 31)],  # 1 TP, 3 FP
        "b": [ev(5, 6, "cramp")],
    }
    report = score(truth, pred, {"a": 1800.0, "b": 5400.0})
    assert report.recordings["a"].labels["voluntary"].false_alarms_per_hour == pytest.approx(6.0)
    assert report.recordings["b"].labels["cramp"].false_alarms_per_hour == pytest.approx(2 / 3)
    # Pooled over the 2 h of recording.
    assert report.labels["voluntary"].false_alarms_per_hour == pytest.approx(1.5)
    assert report.labels["cramp"].false_alarms_per_hour == pytest.approx(0.5)
    assert report.overall.false_alarms_per_hour == pytest.approx(2.0)


def test_duration_inferred_from_last_event_end() -> None:
    report = score({"r": [ev(0, 100)]}, {"r": [ev(0, 100), ev(3500, 3600)]})
    rec = report.recordings["r"]
    assert rec.duration_inferred and rec.duration_s == 3600.0
    assert report.labels["voluntary"].false_alarms_per_hour == pytest.approx(1.0)
    assert report.inferred_durations == ["r"]


def test_undefined_ratios() -> None:
    truth = {"a": [ev(0, 1, "cramp")], "b": [ev(0, 1)]}
    pred = {"a": [ev(0, 1, "artifact", ["x"])], "b": [ev(0, 1)]}
    report = score(truth, pred, {"a": 10.0, "b": 10.0})
    cramp = report.labels["cramp"]  # truth only: all missed
    assert math.isnan(cramp.precision) and cramp.recall == 0.0 and cramp.f1 == 0.0
    artifact = report.labels["artifact"]  # predictions only: all false alarms
    assert artifact.precision == 0.0 and math.isnan(artifact.recall) and artifact.f1 == 0.0
    # In recording "b" there is neither cramp nor artifact: n/a, excluded from the average.
    b = report.recordings["b"].labels
    assert not b["cramp"].present and math.isnan(b["cramp"].f1)
    assert "twitch" not in report.labels  # a label seen nowhere is not reported at all
    assert report.macro_f1 == pytest.approx((0.0 + 0.0 + 1.0) / 3)
    text = report.to_text()
    assert "n/a" in text
    json.dumps(report.to_dict(), allow_nan=False)  # strict JSON: NaN became None


def test_confusion_matrix_when_label_differs() -> None:
    truth = [ev(0, 10, "cramp"), ev(20, 21), twitch(30.0), ev(40, 41, "artifact")]
    pred = [ev(0.5, 10, "voluntary"), ev(20, 21), ev(29.99, 30.02, "artifact"), ev(50, 51)]
    report = score({"r": truth}, {"r": pred}, {"r": 60.0})
    c = report.confusion
    assert c["cramp"]["voluntary"] == 1
    assert c["voluntary"]["voluntary"] == 1
    assert c["twitch"]["artifact"] == 1  # centre rule because one side is a twitch
    assert c["artifact"][NONE] == 1  # missed
    assert c[NONE]["voluntary"] == 1  # false alarm with nothing true at that time
    # Diagonal equals TP; rows sum to truth counts; columns to prediction counts.
    for label, s in report.labels.items():
        if label in c:
            assert c[label][label] == s.tp
            assert sum(c[label].values()) == s.n_truth
            assert sum(row[label] for row in c.values()) == s.n_pred
    assert report.labels["cramp"].fn == 1 and report.labels["voluntary"].fp == 2


def test_onset_error_bias_sign() -> None:
    truth = [ev(0, 1), ev(10, 11), ev(20, 21)]
    late = score({"r": truth}, {"r": [ev(e.start_s + 0.040, e.end_s) for e in truth]})
    early = score({"r": truth}, {"r": [ev(e.start_s - 0.030, e.end_s) for e in truth]})
    s = late.labels["voluntary"]
    assert s.onset_bias_s == pytest.approx(0.040)
    assert s.onset_median_abs_s == pytest.approx(0.040)
    assert early.labels["voluntary"].onset_bias_s == pytest.approx(-0.030)
    assert s.onset_within(0.025) == 0.0 and s.onset_within(0.050) == 1.0


def test_onset_within_fractions() -> None:
    truth = [ev(i * 10, i * 10 + 1) for i in range(4)]
    errors = [0.010, -0.040, 0.080, 0.150]
    pred = [ev(t.start_s + e, t.end_s) for t, e in zip(truth, errors, strict=True)]
    s = score({"r": truth}, {"r": pred}).labels["voluntary"]
    assert [s.onset_within(x) for x in (0.025, 0.050, 0.100)] == [0.25, 0.5, 0.75]
    assert s.onset_median_abs_s == pytest.approx(0.060)


def test_latency_from_decided_at() -> None:
    truth = [ev(i * 10, i * 10 + 5, "cramp") for i in range(21)]
    pred = [
        ev(t.start_s + 0.01, t.end_s, "cramp", decided_at_s=t.start_s + 0.1 * i)
        for i, t in enumerate(truth)
    ]
    pred.append(ev(500, 505, "cramp", decided_at_s=500.1))  # unmatched: no latency
    pred[3].decided_at_s = None  # undecided events are skipped, not counted as 0
    s = score({"r": truth}, {"r": pred}).labels["cramp"]
    lat = [0.1 * i for i in range(21) if i != 3]
    assert len(s.latencies_s) == 20
    assert s.latency_median_s == pytest.approx(np.median(lat))
    assert s.latency_p95_s == pytest.approx(np.percentile(lat, 95))
    d = s.to_dict()["latency"]
    assert d["n"] == 20 and d["median_s"] == pytest.approx(np.median(lat))


def test_latency_counts_from_the_alert_that_first_streamed_the_label() -> None:
    # A cramp announced while in progress (`alerted_at_s`) was streamed then, not at its end.
    truth = [ev(0, 60, "cramp"), ev(100, 130, "cramp")]
    pred = [ev(0.1, 60, "cramp", decided_at_s=61.0, extra={"alerted_at_s": 3.2}),
            ev(100.0, 130, "cramp", decided_at_s=131.0)]
    s = score({"r": truth}, {"r": pred}).labels["cramp"]
    assert sorted(s.latencies_s) == pytest.approx([3.2, 31.0])


def test_missing_prediction_and_unscored_prediction() -> None:
    report = score({"a": [ev(0, 1)], "b": [ev(0, 1)]}, {"a": [ev(0, 1)], "z": [ev(0, 1)]})
    assert report.missing_predictions == ["b"]
    assert report.unscored_predictions == ["z"]
    assert report.labels["voluntary"].fn == 1
    assert "no prediction file" in report.to_text()


def test_bad_event_is_rejected_with_its_recording_named() -> None:
    with pytest.raises(ValueError, match="rec7"):
        score({"rec7": [ev(2, 1)]}, {"rec7": []})


def test_report_text_and_dict() -> None:
    truth = [ev(0, 1), twitch(5.0)]
    pred = [ev(0.02, 1, decided_at_s=0.1), twitch(5.005)]
    report = score({"r": truth}, {"r": pred}, {"r": 10.0})
    assert isinstance(report, Report)
    text = report.to_text()
    for word in ("voluntary", "twitch@10ms", "F1", "FA/h", "Confusion", "all"):
        assert word in text
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["labels"]["voluntary"]["f1"] == 1.0
    assert d["labels"]["voluntary"]["onset"]["within"]["25ms"] == 1.0
    assert d["recordings"]["r"]["duration_s"] == 10.0
    assert d["confusion"]["twitch"]["twitch"] == 1


# ---------------------------------------------------------------------------- directories


def test_evaluate_dirs(tmp_path: Path) -> None:
    truth_dir, pred_dir = tmp_path / "truth", tmp_path / "pred"
    write_events(truth_dir / "s1.truth.jsonl", [ev(0, 1), ev(10, 20, "cramp")])
    (truth_dir / "s1.meta.json").write_text(json.dumps({"duration_s": 3600}))
    write_events(truth_dir / "s2.truth.jsonl", [ev(0, 1)])  # no prediction file: all missed
    write_events(truth_dir / "s3.events.jsonl", [twitch(3.0)])  # truth named like predictions
    write_events(pred_dir / "s1.events.jsonl", [ev(0, 1), ev(10, 20, "voluntary"), ev(50, 51)])
    write_events(pred_dir / "s3.events.jsonl", [twitch(3.01)])
    write_events(pred_dir / "extra.events.jsonl", [ev(0, 1)])

    report = evaluate_dirs(truth_dir, pred_dir)
    assert sorted(report.recordings) == ["s1", "s2", "s3"]
    assert report.missing_predictions == ["s2"]
    assert report.unscored_predictions == ["extra"]
    assert report.recordings["s1"].duration_s == 3600.0
    assert not report.recordings["s1"].duration_inferred
    assert report.recordings["s2"].duration_inferred
    v = report.labels["voluntary"]
    assert (v.tp, v.fp, v.fn) == (1, 2, 1)
    assert report.recordings["s1"].labels["voluntary"].false_alarms_per_hour == 2.0
    assert report.labels["twitch"].tp == 1 and report.labels["twitch@10ms"].tp == 1
    assert report.confusion["cramp"]["voluntary"] == 1
    text = report.to_text()
    assert "s2" in text and "extra" in text


def test_evaluate_dirs_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="truth"):
        evaluate_dirs(tmp_path / "nope", tmp_path)
    with pytest.raises(ValueError, match="no truth files"):
        evaluate_dirs(tmp_path, tmp_path)
    write_events(tmp_path / "a.truth.jsonl", [ev(0, 1)])
    (tmp_path / "a.meta.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"a\.meta\.json"):
        evaluate_dirs(tmp_path, tmp_path)


def test_evaluate_dirs_same_directory(tmp_path: Path) -> None:
    """Simulate and analyze into one folder: X.truth.jsonl is truth, X.events.jsonl the guess."""
    write_events(tmp_path / "a.truth.jsonl", [ev(0, 1)])
    write_events(tmp_path / "a.events.jsonl", [ev(0, 1)])
    report = evaluate_dirs(tmp_path, tmp_path)
    assert list(report.recordings) == ["a"] and report.labels["voluntary"].f1 == 1.0


# ---------------------------------------------------------------------------- properties

CHANNELS = ["c0", "c1", "c2"]


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(0, 25))
    events = []
    for _ in range(n):
        label = draw(st.sampled_from(LABELS))
        start = draw(st.floats(0, 60, allow_nan=False).map(lambda x: round(x, 3)))
        if label == "twitch":
            dur = draw(st.sampled_from([0.0, 0.005, 0.012, 0.025]))
        else:
            dur = draw(st.floats(0, 20, allow_nan=False).map(lambda x: round(x, 3)))
        chans = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True))
        events.append(Event(start, start + dur, label, chans))
    return events


@settings(max_examples=60, deadline=None)
@given(event_lists())
def test_pred_equal_to_truth_scores_f1_one(truth: list[Event]) -> None:
    pred = [Event(e.start_s, e.end_s, e.label, list(e.channels)) for e in truth]
    report = score({"r": truth}, {"r": pred})
    for label, stats in report.labels.items():
        assert stats.present
        assert stats.f1 == 1.0, label
        assert stats.fp == 0 and stats.fn == 0
    for label in {e.label for e in truth}:
        assert report.confusion[label][label] == sum(e.label == label for e in truth)


def _brute_force(truth, pred, label, iou_min=0.2, tol=0.025):
    """The rule spelled out pair by pair: the reference the vectorised matcher must agree with."""
    pairs = []
    for i, t in enumerate(truth):
        for j, p in enumerate(pred):
            a, b = set(t.channels), set(p.channels)
            if t.label != label or p.label != label or not a or 2 * len(a & b) < len(a | b):
                continue
            if label == "twitch":
                d = abs(t.centre_s - p.centre_s)
                if d <= tol + 1e-9:
                    pairs.append((-(1 - d / tol), i, j))
            else:
                inter = min(t.end_s, p.end_s) - max(t.start_s, p.start_s)
                union = t.duration_s + p.duration_s - inter
                iou = inter / union if union > 0 else (1.0 if inter >= 0 else 0.0)
                if iou > 0 and iou >= iou_min - 1e-9:
                    pairs.append((-iou, i, j))
    used_t, used_p, out = set(), set(), []
    for _, i, j in sorted(pairs):
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            out.append((i, j))
    return sorted(out)


@settings(max_examples=60, deadline=None)
@given(event_lists(), event_lists(), st.sampled_from(["voluntary", "twitch", "cramp"]))
def test_vectorised_matching_agrees_with_brute_force(truth, pred, label) -> None:
    assert match_events(truth, pred, label=label) == _brute_force(truth, pred, label)


def test_many_twitches_score_quickly() -> None:
    rng = np.random.default_rng(1)
    centres = np.sort(rng.uniform(0, 3600, 5000))
    truth = [twitch(c) for c in centres]
    pred = [twitch(c + rng.normal(0, 0.01)) for c in centres]
    report = score({"r": truth}, {"r": pred}, {"r": 3600.0})
    s = report.labels["twitch"]
    assert s.tp > 4500 and s.tp + s.fn == 5000
