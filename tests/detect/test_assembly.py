import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.detect.assembly import EventAssembler, LabelledEpisode

GAPS = {"artifact": 160, "cramp": 100}


def ep(ch, a, b, label, decided=None, satellite=False, confidence=0.9, host=None):
    return LabelledEpisode(channel=ch, start_hop=a, end_hop=b, onset_hop=a, offset_hop=b,
                           label=label, confidence=confidence,
                           decided_hop=decided if decided is not None else b + 22,
                           satellite=satellite, host=host)


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


def test_a_pair_joins_only_episodes_that_mostly_overlap():
    """Repetitions alternating between a pair, each tail overlapping the partner's next head,
    do not chain into one event; a co-contraction on both channels is one."""
    asm = EventAssembler(["ch1", "ch2"], 0.01, lambda lab: 0, pair_of=PAIRS.get,
                         pair_overlap_min=0.5)
    asm.add([ep(0, 100, 400, "voluntary"), ep(1, 380, 700, "voluntary"),
             ep(0, 690, 1000, "voluntary"), ep(0, 2000, 2400, "voluntary"),
             ep(1, 2050, 2300, "voluntary")])
    assert [(round(e.start_s, 6), e.channels) for e in asm.release(10_000, [])] == [
        (1.0, ["ch1"]), (3.8, ["ch2"]), (6.9, ["ch1"]), (20.0, ["ch1", "ch2"])]


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


def test_a_satellite_joins_only_the_partner_episode_it_overlaps_most():
    """A voluntary satellite on ch2 overlapping a voluntary burst and a cramp piece on ch1 goes
    with the burst it overlaps most: the voluntary event neither waits for the cramp's merge
    gap nor takes the cramp in, and the cramp keeps its own event (and its later piece)."""
    asm = assembler()
    asm.add([ep(0, 100, 290, "voluntary"), ep(0, 300, 400, "cramp"),
             ep(1, 100, 400, "voluntary", satellite=True)])
    (vol,) = asm.release(402, [(0, 450)])
    assert (vol.label, vol.channels, vol.start_s, vol.end_s) == ("voluntary", ["ch1"], 1.0, 2.91)
    asm.add([ep(0, 450, 470, "cramp")])
    (cramp,) = asm.release(10_000, [])
    assert (cramp.label, cramp.channels, cramp.start_s, cramp.end_s) == ("cramp", ["ch1"], 3.0,
                                                                          4.71)


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
NEIGHBOURS = {0: [2], 1: [2], 2: [0, 1]}
"""Channel c sees crosstalk from channels 0 and 1 without being their pair."""


@st.composite
def episode_streams(draw):
    """Per-channel non-overlapping episodes, each decided 22 hops after its end (as the
    segmenter does), with random labels, satellites (of the partner or of a neighbour) and
    unlabelled ("nothing") episodes."""
    eps = []
    for ch in range(3):
        t = draw(st.integers(0, 40))
        for _ in range(draw(st.integers(0, 6))):
            length = draw(st.integers(1, 120))
            label = draw(st.sampled_from([*LABEL_CHOICES, None]))
            sat = draw(st.sampled_from([None, "partner", *NEIGHBOURS[ch]]))
            eps.append((ch, t, t + length - 1, label, sat))
            t += length + 22 + draw(st.integers(0, 150))
    return eps


@settings(max_examples=300, deadline=None)
@given(eps=episode_streams(), cuts=st.lists(st.integers(1, 200), max_size=30),
       wait=st.sampled_from([18_000, 60, 1]), vol_gap=st.sampled_from([0, 60]),
       fragment_max=st.sampled_from([10**9, 40]), min_cramp=st.sampled_from([0.0, 0.5]),
       pair_overlap=st.sampled_from([0.0, 0.5]))
def test_any_release_schedule_gives_the_same_events(eps, cuts, wait, vol_gap, fragment_max,
                                                   min_cramp, pair_overlap):
    """Events (and their decision times) do not depend on when release() is called, as long
    as episodes are added when they close and open ones are reported: chunk invariance of
    the assembly stage, with the timing of a real segmenter. A short containment wait and a
    voluntary merge gap exercise the bounded wait and twitch-inside-voluntary; a fragment
    bound, chains that a long fragment ends; a minimum cramp duration, chains that a piece too
    short to be a cramp on its own does not extend; a minimum pair overlap."""
    gaps = {**GAPS, "voluntary": vol_gap}

    def final_label(label, duration_s):
        return "voluntary" if label == "cramp" and duration_s < min_cramp else label

    def run(times):
        asm = EventAssembler(["a", "b", "c"], 0.01, lambda lab: gaps.get(lab, 0),
                             final_label=final_label, pair_of=PAIRS.get,
                             neighbours_of=NEIGHBOURS.get, common_onset_hops=30,
                             containment_wait_hops=wait, fragment_max_hops=fragment_max,
                             pair_overlap_min=pair_overlap)
        out, done = [], set()
        for now in times:
            closed = [e for e in eps if e[2] + 22 <= now and e not in done]
            done.update(closed)
            asm.observe_closed([(ch, a, b + 22) for ch, a, b, _lab, _sat in closed])
            asm.add([ep(ch, a, b, lab, satellite=sat is not None,
                        host=sat if isinstance(sat, int) else None)
                     for ch, a, b, lab, sat in closed if lab is not None])
            opens = [(ch, a) for ch, a, b, _lab, _sat in eps if a <= now < b + 22]
            out += asm.release(now, opens)
        return out

    end = max((b for _, _, b, _, _ in eps), default=0) + 400
    times = sorted({min(end, sum(cuts[:k + 1])) for k in range(len(cuts))} | {end})
    assert sorted(_as_tuples(run(times))) == sorted(_as_tuples(run([end])))




# -- docs/labels.md rules: no chaining, no vote, twitches, containment -----------------------------
PAIRS4 = {0: 1, 1: 0, 2: 3, 3: 2}


def assembler4(**kw):
    return EventAssembler(["ch1", "ch2", "ch3", "ch4"], 0.01, lambda lab: GAPS.get(lab, 0),
                          pair_of=PAIRS4.get, **kw)


def test_a_satellite_links_nothing_else_and_a_cramp_keeps_its_label():
    """The reported failure: an ECG beat on ch2 flagged as crosstalk of a strong cramp on ch1
    began with artifacts on ch3/ch4, whose beats chain by merge gap. The cramp stays a cramp on
    ch1 alone; the beats on ch3/ch4 are their own artifact event and never reach ch1/ch2."""
    beats = [ep(ch, t, t + 10, "artifact") for t in range(200, 1400, 100) for ch in (2, 3)]
    asm = assembler4()
    asm.add([ep(0, 100, 5000, "cramp", confidence=0.99),
             ep(1, 199, 212, "artifact", satellite=True), *beats])
    events = asm.release(10_000, [])
    assert [(e.label, e.channels) for e in events] == [("cramp", ["ch1"]),
                                                       ("artifact", ["ch3", "ch4"])]
    cramp = events[0]
    assert (cramp.start_s, cramp.end_s, cramp.confidence) == (1.0, 50.01, 0.99)


def test_a_confident_episode_is_never_relabelled_by_a_vote():
    """A satellite on ch2 overlapping a short cramp and a long voluntary burst on ch1 used to
    join both, and the time-weighted vote turned the cramp (p = 0.99) into voluntary."""
    asm = assembler()
    asm.add([ep(0, 100, 400, "cramp", confidence=0.99), ep(0, 500, 3000, "voluntary"),
             ep(1, 100, 3000, "voluntary", satellite=True)])
    labels = [(e.label, e.channels, e.start_s) for e in asm.release(10_000, [])]
    assert labels == [("cramp", ["ch1"], 1.0), ("voluntary", ["ch1"], 5.0)]


def test_an_artifact_satellite_does_not_pull_in_artifacts_that_began_with_it():
    """Common onset is for artifact episodes in their own right; a satellite links nothing,
    so the cramp is not held by, nor merged with, an artifact on an unrelated channel."""
    asm = assembler()
    asm.add([ep(1, 10, 300, "cramp"), ep(0, 12, 60, "artifact", satellite=True)])
    (cramp,) = asm.release(450, [(2, 14)])
    assert (cramp.label, cramp.channels) == ("cramp", ["ch2"])


def test_common_onset_does_not_chain_staggered_onsets():
    """Artifacts on unrelated channels starting 40 hops apart (window 50): the first two
    began together, the third began with the second but not with the first."""
    asm = EventAssembler(["a", "b", "c"], 0.01, lambda lab: 0, common_onset_hops=50)
    asm.add([ep(0, 100, 120, "artifact"), ep(1, 140, 160, "artifact"),
             ep(2, 180, 200, "artifact")])
    assert [e.channels for e in asm.release(1000, [])] == [["a", "b"], ["c"]]


def test_common_onset_is_for_artifacts_only():
    asm = EventAssembler(["a", "b", "c"], 0.01, lambda lab: 0, common_onset_hops=50)
    asm.add([ep(0, 100, 200, "voluntary"), ep(2, 110, 200, "voluntary")])
    assert [e.channels for e in asm.release(1000, [])] == [["a"], ["c"]]


def test_a_twitch_is_never_a_satellite():
    """A fasciculation on ch1 while the partner ch2 contracts three times louder is still a
    twitch on ch1, not crosstalk absorbed into the partner's contraction."""
    asm = assembler()
    asm.add([ep(1, 100, 900, "voluntary"), ep(0, 400, 402, "twitch", satellite=True)])
    events = asm.release(10_000, [])
    assert [(e.label, e.channels) for e in events] == [("voluntary", ["ch2"]),
                                                       ("twitch", ["ch1"])]


def test_cramp_crosstalk_does_not_add_its_channel_but_rigidity_coactivation_does():
    asm = assembler()
    asm.add([ep(0, 100, 900, "cramp"), ep(1, 120, 880, "cramp", satellite=True)])
    (cramp,) = asm.release(10_000, [])
    assert (cramp.label, cramp.channels) == ("cramp", ["ch1"])
    asm.add([ep(0, 100, 2000, "rigidity"), ep(1, 120, 1990, "rigidity", satellite=True)])
    (rig,) = asm.release(10_000, [])
    assert (rig.label, rig.channels) == ("rigidity", ["ch1", "ch2"])
    # A satellite of another label takes its partner's event's label and adds no channel.
    asm.add([ep(0, 100, 900, "cramp"), ep(1, 120, 880, "voluntary", satellite=True)])
    (cramp,) = asm.release(10_000, [])
    assert (cramp.label, cramp.channels, cramp.end_s) == ("cramp", ["ch1"], 9.01)


@pytest.mark.parametrize("host", ["cramp", "rigidity"])
def test_fragments_inside_a_cramp_or_rigidity_are_part_of_it(host):
    """docs/labels.md precedence: a short voluntary or twitch between two pieces of a cramp (bridged
    by
    its merge gap) on the same channel is part of the cramp, not an event of its own."""
    asm = EventAssembler(["ch1", "ch2"], 0.01, lambda lab: {host: 100}.get(lab, 0))
    asm.add([ep(0, 100, 400, host), ep(0, 430, 450, "voluntary"),
             ep(0, 470, 472, "twitch"), ep(0, 490, 1200, host),
             ep(1, 430, 450, "voluntary")])  # another channel: not inside anything
    events = asm.release(10_000, [])
    assert [(e.label, e.channels, e.start_s, e.end_s) for e in events] == [
        (host, ["ch1"], 1.0, 12.01), ("voluntary", ["ch2"], 4.3, 4.51)]


def _dip(fragment_end=480):
    """A cramp piece, two bursts of its dip (each quiet stretch within the merge gap of 100,
    the whole dip not), and the cramp resuming."""
    return [ep(0, 100, 400, "cramp"), ep(0, 450, 480, "voluntary"),
            ep(0, 560, fragment_end, "voluntary" if fragment_end > 600 else "twitch"),
            ep(0, fragment_end + 90, 2000, "cramp")]


def test_a_chain_of_short_fragments_bridges_a_dip_no_merge_gap_spans():
    """A cramp's dip leaves short bursts 0.5-0.9 s apart (hops of 10 ms, merge gap 1 s): the
    pieces 2.6 s apart are one cramp, the bursts part of it."""
    asm = EventAssembler(["ch1"], 0.01, lambda lab: GAPS.get(lab, 0), fragment_max_hops=300)
    asm.add(_dip(fragment_end=570))
    assert [(e.label, e.start_s, e.end_s) for e in asm.release(10_000, [])] == [
        ("cramp", 1.0, 20.01)]


def test_a_long_contraction_ends_the_chain():
    """A 4 s burst (longer than the fragment bound of 3 s) between the pieces is an event of
    its own: the cramp pieces stay apart."""
    asm = EventAssembler(["ch1"], 0.01, lambda lab: GAPS.get(lab, 0), fragment_max_hops=300)
    asm.add(_dip(fragment_end=960))
    assert [(e.label, round(e.start_s, 6)) for e in asm.release(10_000, [])] == [
        ("cramp", 1.0), ("voluntary", 4.5), ("voluntary", 5.6), ("cramp", 10.5)]


def test_a_chain_joins_only_pieces_whole_on_their_own():
    """Pieces too short to be a cramp (2 s here) are not strung into one through the bursts
    between them: each stays what its duration makes it (a voluntary contraction), and so do
    the bursts. Pieces within one merge gap still merge, as before."""
    def final_label(label, duration_s):
        return "voluntary" if label == "cramp" and duration_s < 2.0 else label

    asm = EventAssembler(["ch1"], 0.01, lambda lab: GAPS.get(lab, 0), final_label=final_label)
    asm.add([ep(0, 100, 250, "cramp"), ep(0, 300, 320, "voluntary"),
             ep(0, 390, 410, "voluntary"), ep(0, 480, 600, "cramp")])
    assert [e.label for e in asm.release(10_000, [])] == ["voluntary"] * 4
    asm.add([ep(0, 1000, 1150, "cramp"), ep(0, 1200, 1220, "voluntary"),
             ep(0, 1240, 1300, "cramp")])
    assert [(e.label, e.start_s, e.end_s) for e in asm.release(20_000, [])] == [
        ("cramp", 10.0, 13.01)]


def test_fragments_released_by_the_wait_still_bridge():
    """With a wait shorter than the second piece's decision, the fragments are their own
    events (released before the piece is decided), yet they still join the two pieces, for
    any release schedule."""
    eps = _dip(fragment_end=570)

    def add(asm, some):  # as the pipeline does: every closed episode is observed
        asm.observe_closed([(e.channel, e.start_hop, e.decided_hop) for e in some])
        asm.add(some)

    at_once = EventAssembler(["ch1"], 0.01, lambda lab: GAPS.get(lab, 0),
                             containment_wait_hops=100)
    add(at_once, eps)
    together = at_once.release(10_000, [])
    assert [(e.label, round(e.start_s, 6)) for e in together] == [
        ("cramp", 1.0), ("voluntary", 4.5), ("twitch", 5.6)]
    assert together[0].end_s == 20.01

    apart = EventAssembler(["ch1"], 0.01, lambda lab: GAPS.get(lab, 0),
                           containment_wait_hops=100)
    add(apart, eps[:3])
    early = apart.release(700, [(0, 660)])
    assert [e.label for e in early] == ["voluntary", "twitch"]
    add(apart, eps[3:])
    assert _as_tuples(early + apart.release(10_000, [])) == _as_tuples(
        sorted(together, key=lambda e: e.decided_at_s))


def test_a_fragment_after_the_last_piece_is_not_inside():
    asm = assembler()
    asm.add([ep(0, 100, 400, "cramp"), ep(0, 430, 450, "voluntary")])
    assert [e.label for e in asm.release(10_000, [])] == ["cramp", "voluntary"]


def test_a_twitch_inside_a_voluntary_contraction_is_part_of_it():
    asm = EventAssembler(["ch1"], 0.01, lambda lab: {"voluntary": 50}.get(lab, 0))
    asm.add([ep(0, 100, 200, "voluntary"), ep(0, 230, 232, "twitch"),
             ep(0, 245, 400, "voluntary")])
    assert [(e.label, e.end_s) for e in asm.release(10_000, [])] == [("voluntary", 4.01)]


def test_a_fragment_waits_for_the_piece_that_may_enclose_it_within_a_bound():
    """While the piece after a fragment is open, the fragment is held (it may be inside a
    cramp); the wait is bounded by `containment_wait_hops` after the fragment's end, after
    which it is its own event, decided at the end of that wait."""
    first = [ep(0, 100, 400, "cramp"), ep(0, 430, 450, "voluntary")]
    asm = assembler4()
    asm.add(first)
    assert asm.release(520, [(0, 480)]) == []  # the piece after it is still open
    asm.observe_closed([(0, 480, 922)])
    asm.add([ep(0, 480, 900, "cramp")])
    assert asm.release(1000, []) == []  # the cramp's own merge gap
    (ev,) = asm.release(1001, [])
    assert (ev.label, ev.end_s, ev.decided_at_s) == ("cramp", 9.01, (900 + 100 + 1) * 0.01)

    bounded = assembler4(containment_wait_hops=100)
    bounded.add(first)
    assert bounded.release(520, [(0, 480)]) == []
    (vol,) = bounded.release(550, [(0, 480)])  # 450 + 100: a piece decided later is too late
    assert (vol.label, vol.decided_at_s) == ("voluntary", (450 + 100 + 1) * 0.01)
    bounded.observe_closed([(0, 480, 922)])
    bounded.add([ep(0, 480, 900, "cramp")])
    assert [e.label for e in bounded.release(10_000, [])] == ["cramp"]


def test_a_neighbours_satellite_joins_its_host_and_adds_no_channel():
    """Crosstalk from a told neighbour (ch3 beside ch1) joins ch1's event, whatever the
    classifier called it, and adds no channel; even a rigidity satellite adds its channel only
    when its host is its agonist/antagonist partner."""
    asm = EventAssembler(["ch1", "ch2", "ch3"], 0.01, lambda lab: GAPS.get(lab, 0),
                         pair_of=PAIRS.get, neighbours_of=NEIGHBOURS.get)
    asm.add([ep(0, 100, 900, "voluntary"), ep(2, 110, 880, "cramp", satellite=True, host=0)])
    (ev,) = asm.release(5000, [])
    assert ev.label == "voluntary" and ev.channels == ["ch1"]
    asm.add([ep(0, 6000, 8000, "rigidity"), ep(1, 6010, 7990, "rigidity", satellite=True),
             ep(2, 6020, 7980, "rigidity", satellite=True, host=0)])
    (ev,) = asm.release(12000, [])
    assert ev.label == "rigidity" and ev.channels == ["ch1", "ch2"]


def test_a_twitch_seen_at_once_on_a_neighbour_is_one_event():
    """A motor unit's potential on ch1 reaches the neighbouring ch3 at the same instant: one
    twitch on both channels. A twitch a few hops later on the neighbour, or at the same time
    on a channel that is neither neighbour nor partner, is its own."""
    asm = EventAssembler(["ch1", "ch2", "ch3"], 0.01, lambda lab: GAPS.get(lab, 0),
                         neighbours_of=lambda c: {0: [2], 2: [0]}.get(c, ()))
    asm.add([ep(0, 100, 101, "twitch"), ep(2, 101, 102, "twitch"),
             ep(0, 300, 301, "twitch"), ep(2, 305, 306, "twitch"),
             ep(0, 500, 501, "twitch"), ep(1, 500, 501, "twitch")])
    assert [(round(e.start_s, 6), e.channels) for e in asm.release(10_000, [])] == [
        (1.0, ["ch1", "ch3"]), (3.0, ["ch1"]), (3.05, ["ch3"]), (5.0, ["ch1"]), (5.0, ["ch2"])]


def test_an_open_neighbour_episode_holds_its_possible_host():
    """ch3's open episode may turn out to be ch1's crosstalk: ch1's event waits for it, so
    that the satellite always finds its host (the same events for any release schedule)."""
    asm = EventAssembler(["ch1", "ch2", "ch3"], 0.01, lambda lab: GAPS.get(lab, 0),
                         pair_of=PAIRS.get, neighbours_of=NEIGHBOURS.get)
    asm.add([ep(0, 100, 300, "voluntary")])
    assert asm.release(400, [(2, 120)]) == []
    asm.add([ep(2, 120, 290, "voluntary", satellite=True, host=0)])
    (ev,) = asm.release(500, [])
    assert ev.channels == ["ch1"]
