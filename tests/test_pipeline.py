"""The Pipeline's invariants: chunk invariance, rates, gaps, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import signal

from emgspasm.detect.config import DetectorConfig
from emgspasm.pipeline import Pipeline
from tests.conftest import simulated


def run(rec, sizes, alerts=None, **kw):
    """Events in the order the stream emitted them; alerts appended to `alerts` if given."""
    pipe = Pipeline(rec.fs, rec.channels, **kw)
    events, i, k = [], 0, 0
    while i < rec.n_samples:
        n = sizes[k % len(sizes)]
        events += pipe.push(rec.samples[i:i + n])
        if alerts is not None:
            alerts += [a.to_dict() for a in pipe.take_alerts()]
        i, k = i + n, k + 1
    events += pipe.flush()
    if alerts is not None:
        alerts += [a.to_dict() for a in pipe.take_alerts()]
    return pipe, [e.to_dict() for e in events]


def by_time(events):
    """Events decided in the same block come out in time order, so a different chunking may
    emit two events in the other order: the contract is the events, each with its decision
    time, not their emission order."""
    return sorted(events, key=lambda e: (e["start_s"], e["end_s"], e["label"], e["channels"]))


def features(pipe):
    """Collected episodes in (channel, start) order: the order episodes close in within one
    block (channel by channel) is not part of the contract, their values are."""
    return sorted((e["channel"], e["start_s"], e["end_s"], e["features"].tobytes())
                  for e in pipe.episodes)


@pytest.fixture(scope="module")
def session():
    return simulated(40.0, 250.0, 4, 11).recording


@pytest.fixture(scope="module")
def reference(session):
    collect, _ = run(session, [session.n_samples], collect=True)
    alerts: list[dict] = []
    _, events = run(session, [session.n_samples], alerts)
    return features(collect), events, alerts


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 700), min_size=1, max_size=12))
def test_any_chunking_gives_identical_features_events_and_alerts(session, reference, sizes):
    ref_features, ref_events, ref_alerts = reference
    collect, _ = run(session, sizes, collect=True)
    assert features(collect) == ref_features
    alerts: list[dict] = []
    _, events = run(session, sizes, alerts)
    assert by_time(events) == by_time(ref_events)
    assert sorted(alerts, key=str) == sorted(ref_alerts, key=str)


def test_one_sample_blocks_give_identical_events(session, reference):
    _, events = run(session, [1])
    assert by_time(events) == by_time(reference[1])
    assert reference[1], "the session should produce events at all"


@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0, 2000.0])
def test_pipeline_works_at_wearable_and_lab_rates(fs):
    sim = simulated(60.0, fs, 2, 21)
    _, events = run(sim.recording, [round(0.02 * fs)])
    labels = {e["label"] for e in events}
    assert labels, f"no events at {fs} Hz"
    for e in events:
        assert 0 <= e["start_s"] < e["end_s"] <= sim.recording.duration_s + 1e-9
        assert e["decided_at_s"] >= e["end_s"] - 1e-9  # decided after the event ended
        assert set(e["channels"]) <= set(sim.recording.channels)


def test_events_decided_no_earlier_than_the_samples_they_use(session):
    pipe = Pipeline(session.fs, session.channels)
    for i in range(0, session.n_samples, 5):
        for ev in pipe.push(session.samples[i:i + 5]):
            assert ev.decided_at_s <= pipe.time_s + 1e-9


def _contraction_with_hole(hole: int):
    """A 1 kHz channel with a contraction from 8 s to 14 s and a hole of `hole` samples at
    10 s, as (before, after, fs): the samples that arrived either side of the hole."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20_000, 1)) * 3.0
    x[8000:14000, 0] += rng.standard_normal(6000) * 60.0
    return x[:10_000], x[10_000 + hole:], 1000.0


def _long_episodes(before, after, fs, hole, **push):
    pipe = Pipeline(fs, ["ch1"], collect=True)
    pipe.push(before)
    pipe.push(after, gap_before=hole, **push)
    pipe.flush()
    spans = [(e["start_s"], e["end_s"]) for e in pipe.episodes if e["end_s"] - e["start_s"] > 1]
    return pipe, spans


def test_a_long_gap_ends_open_episodes_and_is_counted():
    hole = round(DetectorConfig().bridge_gap_s * 1000.0)  # the shortest hole that ends
    pipe, spans = _long_episodes(*_contraction_with_hole(hole), hole)
    assert pipe.samples_missing == hole
    assert pipe.samples_in == 20_000 - hole
    # The contraction is split at the gap, not bridged as if continuous.
    assert any(end <= 10.0 + 1e-9 for _, end in spans)
    assert any(start >= 10.5 - 1e-9 for start, _ in spans)


@pytest.mark.parametrize("hole", [1, 20, 150, 499])
def test_a_short_gap_is_bridged_keeps_time_and_is_counted(hole):
    """Lost packets inside a contraction do not split it, and time after the hole is real
    time: the contraction still ends at 14 s."""
    pipe, spans = _long_episodes(*_contraction_with_hole(hole), hole)
    assert pipe.samples_missing == hole
    assert pipe.samples_in == 20_000 - hole
    assert len(spans) == 1
    start, end = spans[0]
    assert 7.9 <= start <= 8.1 and 13.9 <= end <= 14.2


def test_a_hole_announced_by_an_empty_block_is_bridged_the_same():
    """`analyze` announces a file's gap as an empty block before the samples after it."""
    before, after, fs = _contraction_with_hole(40)
    with_samples, _ = _long_episodes(before, after, fs, 40)
    alone = Pipeline(fs, ["ch1"], collect=True)
    alone.push(before)
    alone.push(after[:0], gap_before=25)
    alone.push(after[:0], gap_before=15)
    alone.push(after)
    alone.flush()
    assert features(alone) == features(with_samples)
    assert alone.samples_missing == 40


def test_a_hole_at_the_very_end_is_counted():
    before, after, fs = _contraction_with_hole(0)
    pipe = Pipeline(fs, ["ch1"], collect=True)
    pipe.push(np.concatenate([before, after]))
    pipe.push(after[:0], gap_before=30)
    pipe.flush()
    assert pipe.samples_missing == 30


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 900), min_size=1, max_size=8))
def test_bridged_holes_do_not_depend_on_the_blocks(session, sizes):
    """The same lost packets give the same events however the samples that arrived were
    chunked: the fill across a hole depends only on the samples either side of it."""
    holes = {1000: 3, 2500: 40, 2600: 1, 6000: 120}  # sample index -> samples lost before it
    keep = np.ones(session.n_samples, dtype=bool)
    for at, n in holes.items():
        keep[at - n:at] = False

    def lossy(chunks):
        pipe = Pipeline(session.fs, session.channels)
        events, k, start = [], 0, 0
        for at in [*sorted(holes), session.n_samples + holes.get(session.n_samples, 0)]:
            gap = holes.get(start, 0)
            i, stop = start, at - holes.get(at, 0)  # the samples that arrived in one piece
            while i < stop:
                n = chunks[k % len(chunks)]
                events += pipe.push(session.samples[i:min(i + n, stop)], gap_before=gap)
                i, k, gap = i + n, k + 1, 0
            start = at
        return by_time([e.to_dict() for e in events + pipe.flush()]), pipe.samples_missing

    whole, missing = lossy([session.n_samples])
    assert missing == sum(holes.values())
    assert lossy(sizes) == (whole, missing)


def test_bad_input_is_refused_with_a_clear_message():
    pipe = Pipeline(1000.0, ["a", "b"], collect=True)
    with pytest.raises(ValueError, match="shaped"):
        pipe.push(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        pipe.push(np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="pair"):
        Pipeline(1000.0, ["a", "b"], pairs=[(0, 5)], collect=True)


def test_frequent_gaps_and_a_dead_partner_channel_do_not_crash():
    rng = np.random.default_rng(4)
    x = np.zeros((40_000, 2))
    x[:, 0] = rng.standard_normal(40_000) * 3.0
    x[20_000:26_000, 0] += rng.standard_normal(6000) * 80.0
    pipe = Pipeline(1000.0, ["live", "dead"])
    events = []
    for i in range(0, 40_000, 400):
        events += pipe.push(x[i:i + 400], gap_before=40 if i % 4000 == 0 and i else 0)
    events += pipe.flush()
    assert pipe.samples_missing == 9 * 40
    assert all(e.channels for e in events)


def test_events_are_emitted_at_the_decision_time_they_carry():
    """decided_at_s is when the stream could decide, and the event comes out of the push that
    reaches it: never earlier than the event's end, never a block (plus a hop) later. 200 Hz,
    8 channels: partner channels often hold an event back while their own episode is open."""
    rec = simulated(60.0, 200.0, 8, 0).recording
    pipe = Pipeline(rec.fs, rec.channels)
    block = 4
    slack = (block + pipe.geo.hop) / rec.fs + 1e-9
    seen = 0
    for i in range(0, rec.n_samples, block):
        for e in pipe.push(rec.samples[i:i + block]):
            assert e.end_s <= e.decided_at_s <= pipe.time_s + 1e-9, e
            assert pipe.time_s - e.decided_at_s <= slack, (pipe.time_s, e)
            seen += 1
    assert seen > 10


def test_a_sustained_event_is_announced_while_in_progress(session, reference):
    # docs/scoring.md: a cramp or rigidity alarm within ~1 s of the class becoming decidable (its
    # minimum duration), not when the episode ends; the event then says when it was announced.
    _, events, alerts = reference
    assert {a["alert"] for a in alerts} >= {"cramp", "rigidity"}, "the session has both"
    pipe = Pipeline(session.fs, session.channels)
    hop = pipe.geo.hop
    announced = 0
    for i in range(0, session.n_samples, hop):
        pipe.push(session.samples[i:i + hop])
        for alert in pipe.take_alerts():
            # Causal: decided no later than the samples seen; announced at a checkpoint no
            # earlier than the label's minimum duration after the episode began.
            assert alert.decided_at_s <= pipe.time_s + 1e-9
            minimum = {"cramp": pipe.config.cramp_min_s, "rigidity": pipe.config.rigidity_min_s}
            assert alert.decided_at_s >= alert.start_s + minimum[alert.label] - 0.1
            announced += 1
    assert announced == len(alerts)
    flagged = [e for e in events if "alerted_at_s" in e]
    assert flagged, "some event should carry the time its label was first announced"
    for e in flagged:
        assert e["label"] in ("cramp", "rigidity")
        assert e["start_s"] - 0.1 <= e["alerted_at_s"] < e["decided_at_s"]
        assert any(a["alert"] == e["label"] and a["decided_at_s"] == e["alerted_at_s"]
                   and a["channel"] in e["channels"] for a in alerts)


def test_analyze_looks_for_alerts_only_when_asked(session):
    from emgspasm.analyze import analyze

    plain = [e.to_dict() for e in analyze(session)]
    alerted = [e.to_dict() for e in analyze(session, alerts=True)]
    assert any("alerted_at_s" in e for e in alerted)
    assert not any("alerted_at_s" in e for e in plain)
    assert [{k: v for k, v in e.items() if k != "alerted_at_s"} for e in alerted] == plain


@pytest.mark.parametrize("config", [
    # A split at 3 s falls exactly on the first checkpoint at 250 Hz (8 ms hops).
    DetectorConfig(max_episode_s=3.0),
    # Checkpoints earlier than the continuation of a split episode is active again.
    DetectorConfig(max_episode_s=1.0, cramp_min_s=0.05, rigidity_min_s=0.05),
])
def test_alerts_around_episode_splits_do_not_depend_on_the_blocks(config):
    rec = simulated(60.0, 250.0, 2, 21).recording
    results = []
    for sizes in ([rec.n_samples], [1], [37, 501]):
        alerts: list[dict] = []
        _, events = run(rec, sizes, alerts, config=config)
        results.append((by_time(events), sorted(alerts, key=str)))
    assert results[0] == results[1] == results[2]


# ---- implausible input (issue 11, item 14) -----------------------------------------------


@pytest.mark.parametrize("amplitude_uv", [1e5, 1e12])
def test_an_impossible_amplitude_is_an_artifact(amplitude_uv: float) -> None:
    """One sample no muscle can produce, in a voluntary session: before, the episode holding
    it came out as `twitch` (1e5 µV) or `voluntary` (1e12 µV)."""
    rec = simulated(20.0, 1000.0, 4, 0, scenario="voluntary").recording
    x = rec.samples.copy()
    x[10_000, 0] = amplitude_uv
    pipe = Pipeline(rec.fs, rec.channels)
    events = pipe.push(x) + pipe.flush()
    there = [e for e in events if rec.channels[0] in e.channels and e.start_s <= 10.0 < e.end_s]
    assert [e.label for e in there] == ["artifact"], there
    assert there[0].confidence == 1.0
    assert amplitude_uv > DetectorConfig().max_plausible_uv


def test_plausible_amplitudes_are_left_to_the_classifier() -> None:
    rec = simulated(20.0, 1000.0, 4, 0, scenario="voluntary").recording
    pipe = Pipeline(rec.fs, rec.channels)
    events = pipe.push(rec.samples) + pipe.flush()
    assert events and all(e.label != "artifact" for e in events)


def test_below_the_minimum_rate_nothing_is_labelled_and_it_is_said() -> None:
    """100 Hz was accepted silently with most labels wrong (F1 0.20)."""
    from emgspasm.events import LABELS

    cfg = DetectorConfig()
    assert cfg.label_min_fs == 200.0
    rec = simulated(30.0, 100.0, 4, 3, scenario="cramp").recording
    pipe = Pipeline(rec.fs, rec.channels)
    assert set(pipe.hidden) == set(LABELS)
    assert len(set(pipe.hidden.values())) == 1  # one reason, said once
    assert "100 Hz" in next(iter(pipe.hidden.values()))
    assert pipe.push(rec.samples) + pipe.flush() == []  # no guesses
    assert "voluntary" not in Pipeline(200.0, rec.channels).hidden  # 200 Hz still labels


def test_a_cramp_cut_off_by_the_end_is_decided_at_the_end() -> None:
    """A cramp still going when the stream ends was decided a merge gap (1 s) after the last
    sample: the decision cannot be later than the data."""
    rec = simulated(20.0, 1000.0, 4, 3, scenario="cramp").recording
    for cut_s in (6.0, 7.37):
        n = round(cut_s * rec.fs)
        pipe = Pipeline(rec.fs, rec.channels)
        events = pipe.push(rec.samples[:n]) + pipe.flush()
        cramps = [e for e in events if e.label == "cramp"]
        assert cramps and all(e.end_s > cut_s - 0.1 for e in cramps)  # cut off, not ended
        assert all(e.decided_at_s <= n / rec.fs + 1e-9 for e in events), events


# ---- background (docs/labels.md: never an event) -------------------------------------------


@pytest.mark.parametrize("fs", [250.0, 2000.0])
@pytest.mark.parametrize("over_noise", [1.0, 3.0])
def test_drift_left_by_the_wide_band_high_pass_is_not_an_event(fs: float,
                                                               over_noise: float) -> None:
    """2-10 Hz content a few times the white noise, as a DC-coupled board leaves after the
    wide-band path's 2 Hz high-pass: its level fluctuates as ~2 x 10 Hz x window values do, not
    as fs x window. With thresholds for white noise the wide-band path opened 180-980
    episodes in these 3 minutes and one artifact covered the whole recording."""
    rng = np.random.default_rng(3)
    n, channels = int(180 * fs), ["a", "b", "c", "d"]
    sos = signal.butter(2, [2.0, 10.0], "bandpass", fs=fs, output="sos")
    slow = signal.sosfiltfilt(sos, rng.standard_normal((n, 4)), axis=0)
    x = 2.0 * rng.standard_normal((n, 4)) + over_noise * 2.0 * slow / slow.std(axis=0)
    pipe = Pipeline(fs, channels, collect=True)
    pipe.push(x)
    pipe.flush()
    assert len(pipe.episodes) <= 20
    pipe = Pipeline(fs, channels)
    events = pipe.push(x) + pipe.flush()
    covered = sum((e.end_s - e.start_s) * len(e.channels) for e in events)
    assert covered < 0.01 * 180 * 4, events
