"""Ground-truth conventions: non-overlap, rest gaps, channels per class, twitch isolation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from emgspasm.events import read_events, write_events
from emgspasm.simulate import default_pairs, simulate
from emgspasm.simulate.params import ARTIFACT_SUBTYPES, TWITCH_QUIET_S

from ._sim_helpers import cached, event_records, group_of

SCENARIO_SEEDS = [(s, seed) for s in ("mixed", "artifact", "twitch") for seed in (1, 2, 3)]


@pytest.mark.parametrize(("scenario", "seed"), SCENARIO_SEEDS)
def test_no_overlap_and_rest_between_events_on_a_pair(scenario, seed):
    sim = cached(scenario, seed)
    n = sim.params["n_channels"]
    for a, b in itertools.combinations(sim.truth, 2):
        ga = {group_of(c, n) for c in a.channels}
        gb = {group_of(c, n) for c in b.channels}
        if not ga & gb:
            continue
        gap = max(a.start_s, b.start_s) - min(a.end_s, b.end_s)
        if a.label != b.label or a.extra["sim_event"] != b.extra["sim_event"]:
            assert gap >= 1.0 - 1e-9, (a, b)
        elif a.label == "twitch":
            assert gap >= TWITCH_QUIET_S - 1e-9, (a, b)
        else:  # repetitions of one voluntary sequence
            assert gap >= 0.4, (a, b)


def test_truth_channel_conventions(sims_by_scenario):
    for scenario, sims in sims_by_scenario.items():
        for sim in sims:
            pairs = [
                [sim.recording.channels[i], sim.recording.channels[j]]
                for i, j in default_pairs(sim.params["n_channels"])
            ]
            records = event_records(sim)
            for ev in sim.truth:
                rec = records[ev.extra["sim_event"]]
                if ev.label == "rigidity":
                    assert ev.channels in pairs, ev
                elif ev.label == "voluntary":
                    assert ev.channels == [rec["agonist"]]
                elif ev.label in ("cramp", "twitch"):
                    assert ev.channels == [rec["channel"]]
                else:
                    assert ev.label == "artifact"
                    assert ev.channels == rec["affected"]
                    assert ev.extra["subtype"] in ARTIFACT_SUBTYPES
            assert scenario == "mixed" or all(e.label == scenario for e in sim.truth)


def test_truth_start_end_are_first_last_discharges(sims_by_scenario):
    for scenario in ("voluntary", "cramp", "rigidity"):
        for sim in sims_by_scenario[scenario]:
            for ev in sim.truth:
                roles = {"voluntary": ("agonist",), "cramp": ("cramp",), "rigidity": ("rigidity",)}
                times = np.concatenate(
                    [
                        r.times
                        for r in sim.spikes
                        if r.event == ev.extra["sim_event"] and r.role in roles[scenario]
                    ]
                )
                inside = times[(times >= ev.start_s - 1e-9) & (times <= ev.end_s + 1e-9)]
                assert ev.start_s in inside and ev.end_s in inside
                if scenario != "voluntary":  # a voluntary record spans all repetitions
                    assert times.min() >= ev.start_s - 1e-9 and times.max() <= ev.end_s + 1e-9


def test_twitch_isolation_from_spike_trains(sims_by_scenario):
    sims = sims_by_scenario["twitch"] + sims_by_scenario["mixed"]
    n_checked = 0
    for sim in sims:
        twitches = [e for e in sim.truth if e.label == "twitch"]
        for ev in twitches:
            ch = sim.recording.channels.index(ev.channels[0])
            others = [
                r.times
                for r in sim.spikes
                if r.channel == ch or r.channel == (ch ^ 1)  # the channel and its partner
            ]
            spikes = np.concatenate(others) if others else np.empty(0)
            near = spikes[
                (spikes > ev.start_s - TWITCH_QUIET_S) & (spikes < ev.end_s + TWITCH_QUIET_S)
            ]
            own = near[(near >= ev.start_s) & (near <= ev.end_s)]
            assert near.size == own.size, (ev, near)
            assert 1 <= own.size <= 2
            assert (own.size == 2) == (ev.extra.get("subtype") == "doublet")
            if own.size == 2:
                assert 0.030 - 1e-9 <= own[1] - own[0] <= 0.035 + 1e-9
            n_checked += 1
            d = ev.end_s - ev.start_s
            assert 0.008 <= d <= 0.06
    assert n_checked > 20


def test_twitch_doublets_occur():
    sims = [cached("twitch", seed) for seed in (1, 2, 3)]
    twitches = [e for s in sims for e in s.truth if e.label == "twitch"]
    frac = np.mean([e.extra.get("subtype") == "doublet" for e in twitches])
    assert 0.02 < frac < 0.25, frac


def test_rigidity_on_both_channels_of_a_pair(sims_by_scenario):
    for sim in sims_by_scenario["rigidity"]:
        for ev in sim.truth:
            chans = {sim.recording.channels.index(c) for c in ev.channels}
            assert tuple(sorted(chans)) in default_pairs(sim.params["n_channels"])
            fired = {
                r.channel for r in sim.spikes if r.event == ev.extra["sim_event"] and r.times.size
            }
            assert fired == chans


def test_artifact_subtypes_all_produced():
    seen = set()
    for seed in range(8):
        sim = cached("artifact", seed, 60.0, 500.0, 4)
        seen |= {e.extra["subtype"] for e in sim.truth}
    assert seen == set(ARTIFACT_SUBTYPES)


def test_common_mode_artifacts_span_their_channels():
    for seed in range(8):
        sim = cached("artifact", seed, 60.0, 500.0, 4)
        for ev in sim.truth:
            sub = ev.extra["subtype"]
            if sub == "mains":
                assert ev.channels == sim.recording.channels
            elif sub == "ecg":
                assert len(ev.channels) >= 2
            elif sub in ("pop", "clipping", "leadoff"):
                assert len(ev.channels) == 1


def test_leadoff_is_flat_and_clipping_saturates():
    for seed in range(8):
        sim = cached("artifact", seed, 60.0, 500.0, 4)
        x, fs = sim.recording.samples, sim.recording.fs
        for ev in sim.truth:
            ch = sim.recording.channels.index(ev.channels[0])
            seg = x[int(np.ceil(ev.start_s * fs)) : int(ev.end_s * fs), ch]
            if ev.extra["subtype"] == "leadoff":
                assert np.ptp(seg) == 0.0
                assert seg[0] == pytest.approx(ev.extra["value_uv"])
            elif ev.extra["subtype"] == "clipping":
                rail = ev.extra["rail_uv"]
                assert np.abs(seg).max() <= rail * (1 + 1e-12)
                assert np.mean(np.abs(seg) >= rail * (1 - 1e-12)) > 0.1


def test_truth_roundtrips_through_jsonl(tmp_path):
    sim = simulate(30.0, fs=500.0, n_channels=2, seed=8)
    path = write_events(tmp_path / "x.truth.jsonl", sim.truth)
    back = read_events(path)
    assert [e.to_dict() for e in back] == [
        e.to_dict() for e in sorted(sim.truth, key=lambda e: (e.start_s, e.end_s, e.label))
    ]
