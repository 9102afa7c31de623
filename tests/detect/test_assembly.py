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
