"""Definitions imposed on the classifier: twitch duration, rigidity rhythm, event durations."""

from __future__ import annotations

from emgspasm.detect.config import DetectorConfig
from emgspasm.detect.feasibility import event_label, feasible_mask

CLASSES = ("artifact", "cramp", "none", "rigidity", "twitch", "voluntary")
CFG = DetectorConfig()


def _allowed(core_s: float, rhythm_hz: float, duration_s: float = 12.0) -> set[str]:
    mask = feasible_mask(CLASSES, core_s, duration_s, rhythm_hz, CFG)
    return {c for c, ok in zip(CLASSES, mask, strict=True) if ok}


def test_a_long_episode_cannot_be_a_twitch():
    assert "twitch" in _allowed(0.02, 0.0)
    assert "twitch" not in _allowed(0.5, 0.0)


def test_rigidity_needs_the_slow_steady_rhythm_of_a_few_units():
    """Units at voluntary rates (8-35 Hz) are not rigidity, however low and long the activity;
    a rhythm of 0 (too short to tell) rules nothing out."""
    assert "rigidity" in _allowed(12.0, 6.0)
    assert "rigidity" in _allowed(12.0, 0.0)
    assert "rigidity" not in _allowed(12.0, CFG.rigidity_max_rhythm_hz + 3.0)
    assert {"voluntary", "cramp"} <= _allowed(12.0, CFG.rigidity_max_rhythm_hz + 3.0)


def test_a_short_piece_of_rigidity_is_left_to_the_classifier():
    """Pieces of a few seconds (armband rates split rigidity) have rough rhythm estimates;
    ruling them out made them voluntary fragments beside their event."""
    assert "rigidity" in _allowed(3.0, CFG.rigidity_max_rhythm_hz + 3.0, duration_s=4.0)

def test_events_too_short_for_their_label_lose_it():
    assert event_label("cramp", 1.0, CFG) == "voluntary"
    assert event_label("rigidity", 4.0, CFG) is None
    assert event_label("rigidity", 12.0, CFG) == "rigidity"
