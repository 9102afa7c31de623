from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.detect.assembly import EventAssembler, LabelledEpisode

GAPS = {"artifact": 160, "cramp": 100}


def ep(ch, a, b, label, decided=None, satellite=False):
    return LabelledEpisode(channel=ch, start_hop=a, end_hop=b, onset_hop=a, offset_hop=b,
                           label=label, confidence=0.9,
                           decided_hop=decided if decided is not None else b + 22,
                           satellite=satellite)


PAIRS = {0: 1, 1: 0}


def assembler():
    return EventAssembler(["ch1", "ch2", "ch3"], 0.01, lambda lab: GAPS.get(lab, 0),
                          pair_of=PAIRS.get)


def test_same_label_overlap_across_channels_is_one_event():
    asm = assembler()
    asm.add([ep(0, 100, 2000, "rigidity"), ep(1, 120, 1990, "rigidity")])
    (ev,) = asm.release(5000, [])
    assert ev.label == "rigidity" and ev.channels == ["ch1", "ch2"]
    assert ev.start_s == 1.0 and ev.end_s == 20.01


def test_merge_gap_joins_same_channel_pieces_and_waits_for_it():
    asm = assembler()
    asm.add([ep(0, 100, 200, "artifact"), ep(0, 300, 320, "artifact")])
    assert asm.release(400, []) == []  # a third beat could still arrive
    (ev,) = asm.release(481, [])
    assert (ev.start_s, ev.end_s) == (1.0, 3.21)
    assert ev.decided_at_s == (320 + 160 + 1) * 0.01


def test_voluntary_repetitions_do_not_merge():
    asm = assembler()
    asm.add([ep(0, 100, 200, "voluntary"), ep(0, 260, 400, "voluntary")])
    assert len(asm.release(1000, [])) == 2


def test_open_overlapping_episode_holds_release():
    asm = assembler()
    asm.add([ep(0, 100, 200, "voluntary")])
    assert asm.release(300, [(1, 150)]) == []
    assert len(asm.release(300, [])) == 1


def test_cramps_on_unrelated_channels_stay_separate_but_artifacts_group():
    asm = assembler()
    asm.add([ep(0, 100, 900, "cramp"), ep(2, 300, 1200, "cramp")])
    assert len(asm.release(5000, [])) == 2
    asm.add([ep(0, 100, 150, "artifact"), ep(2, 101, 149, "artifact")])
    (ev,) = asm.release(5000, [])
    assert ev.channels == ["ch1", "ch3"]


def test_different_labels_stay_separate():
    asm = assembler()
    asm.add([ep(0, 100, 200, "voluntary"), ep(2, 150, 180, "twitch")])
    labels = sorted(e.label for e in asm.release(1000, []))
    assert labels == ["twitch", "voluntary"]


def _as_tuples(events):
    return [(e.start_s, e.end_s, e.label, e.channels, e.decided_at_s) for e in events]


def test_release_timing_never_changes_the_grouping():
    """Twitches on ch1 with crosstalk on ch2 that the classifier called cramp (satellites):
    the satellites' cramp merge gap must not bridge two twitch events, whether the second
    arrives before or after the first was released (a real chunk-invariance failure)."""
    first = [ep(0, 100, 105, "twitch"), ep(1, 100, 104, "cramp", satellite=True)]
    second = [ep(0, 140, 146, "twitch"), ep(1, 141, 145, "cramp", satellite=True)]
    together = assembler()
    together.add(first + second)
    at_once = together.release(10_000, [])

    apart = assembler()
    apart.add(first)
    early = apart.release(139, [(0, 138), (1, 139)])
    apart.add(second)
    late = apart.release(10_000, [])
    assert _as_tuples(early + late) == _as_tuples(at_once)
    assert len(at_once) == 2


def test_wait_covers_every_member_label_not_only_the_group_label():
    """A group labelled voluntary that also holds a cramp (joined through a satellite on the
    partner channel) must wait for the cramp's merge gap: a cramp piece arriving within it
    joins the group."""
    asm = assembler()
    asm.add([ep(0, 100, 290, "voluntary"), ep(0, 300, 400, "cramp"),
             ep(1, 100, 400, "voluntary", satellite=True)])
    assert asm.release(402, [(0, 450)]) == []
    asm.add([ep(0, 450, 470, "cramp")])
    (ev,) = asm.release(10_000, [])
    assert (ev.start_s, ev.end_s) == (1.0, 4.71)


def test_decision_time_includes_what_held_the_event_back():
    """An open episode on the partner channel holds a voluntary event until it closes; the
    event's decided_at_s is then that episode's decision, even when it got no label."""
    asm = assembler()
    asm.add([ep(0, 100, 150, "voluntary", decided=172)])
    assert asm.release(400, [(1, 140)]) == []  # ch2 opened during the event: wait
    asm.observe_closed([(1, 140, 600)])  # it closed at 600 and was labelled "nothing"
    (ev,) = asm.release(601, [])
    assert ev.decided_at_s == (600 + 1) * 0.01


LABEL_CHOICES = ["voluntary", "cramp", "twitch", "rigidity", "artifact"]


@st.composite
def episode_streams(draw):
    """Per-channel non-overlapping episodes, each decided 22 hops after its end (as the
    segmenter does), with random labels, satellites and unlabelled ("nothing") episodes."""
    eps = []
    for ch in range(3):
        t = draw(st.integers(0, 40))
        for _ in range(draw(st.integers(0, 6))):
            length = draw(st.integers(1, 120))
            label = draw(st.sampled_from([*LABEL_CHOICES, None]))
            eps.append((ch, t, t + length - 1, label, draw(st.booleans())))
            t += length + 22 + draw(st.integers(0, 150))
    return eps


@settings(max_examples=300, deadline=None)
@given(eps=episode_streams(), cuts=st.lists(st.integers(1, 200), max_size=30))
def test_any_release_schedule_gives_the_same_events(eps, cuts):
    """Events (and their decision times) do not depend on when release() is called, as long
    as episodes are added when they close and open ones are reported: chunk invariance of
    the assembly stage, with the timing of a real segmenter."""
    def run(times):
        asm = EventAssembler(["a", "b", "c"], 0.01, lambda lab: GAPS.get(lab, 0),
                             pair_of=PAIRS.get, common_onset_hops=30)
        out, done = [], set()
        for now in times:
            closed = [e for e in eps if e[2] + 22 <= now and e not in done]
            done.update(closed)
            asm.observe_closed([(ch, a, b + 22) for ch, a, b, _lab, _sat in closed])
            asm.add([ep(ch, a, b, lab, satellite=sat) for ch, a, b, lab, sat in closed
                     if lab is not None])
            opens = [(ch, a) for ch, a, b, _lab, _sat in eps if a <= now < b + 22]
            out += asm.release(now, opens)
        return out

    end = max((b for _, _, b, _, _ in eps), default=0) + 400
    times = sorted({min(end, sum(cuts[:k + 1])) for k in range(len(cuts))} | {end})
    assert sorted(_as_tuples(run(times))) == sorted(_as_tuples(run([end])))


def test_an_artifact_satellite_waits_for_artifacts_that_began_with_it():
    """A cramp group holding an artifact satellite (partner channel) must not be released while
    an artifact that began with that satellite is open on an unrelated channel: once closed it
    joins the group (common onset), whatever the group's own label."""
    first = [ep(1, 10, 300, "cramp"), ep(0, 12, 60, "artifact", satellite=True)]
    late = ep(2, 14, 500, "artifact")

    together = assembler()
    together.add([*first, late])
    (whole,) = together.release(10_000, [])
    assert whole.channels == ["ch1", "ch2", "ch3"]

    apart = assembler()
    apart.add(first)
    assert apart.release(450, [(2, 14)]) == []
    apart.observe_closed([(2, 14, 522)])
    apart.add([late])
    assert _as_tuples(apart.release(10_000, [])) == _as_tuples([whole])
