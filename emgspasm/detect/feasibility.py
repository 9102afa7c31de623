"""Limits that are definitions, not statistics (docs/labels.md), imposed rather than hoped for.

Rigidity's discharge rhythm (a few units at ~5–7 Hz) is one; the rest are durations.

A fasciculation is a single MUAP or a doublet: an *episode* longer than `twitch_max_s` cannot be
a twitch. A cramp lasts ≥ 3 s and rigidity ≥ 10 s, but those are checked on the assembled
*event*, after same-label pieces have merged: at low sampling rates sparse rigidity discharges
are partly missed and one rigidity episode arrives as several pieces. A "cramp" too short to be
one is a strong voluntary contraction by definition; a "rigidity" piece that never grew to
10 s is dropped (a moment of incomplete relaxation is not an event), and so is a "voluntary"
blip shorter than any intended contraction (a fragment of crosstalk or of a split burst, too
long or not isolated enough for a twitch). `DURATION_SLACK` allows
for onset/offset refinement cutting a true event slightly short.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emgspasm.detect.config import DetectorConfig

DURATION_SLACK = 0.8
"""An episode may be this much shorter than a label's minimum duration and still carry it."""


def feasible_mask(classes: Sequence[str], core_s: float, duration_s: float, rhythm_hz: float,
                  cfg: DetectorConfig) -> np.ndarray:
    """Boolean mask over `classes`: which labels an episode lasting `duration_s`, whose core
    lasts `core_s` and whose discharges beat at `rhythm_hz` (episode feature; 0 when too
    short to tell) may take.

    Rigidity is a few low-threshold units firing steadily at ~5–7 Hz (docs/labels.md): an
    episode long enough to be rigidity on its own whose dominant discharge rhythm is faster
    than `rigidity_max_rhythm_hz` is many units recruited at voluntary rates, whatever else it
    looks like. Low-level postural holds and weak real contractions near the noise floor were
    called rigidity without this rule. Shorter pieces are left to the classifier: at armband
    rates a rigidity arrives as pieces of a few seconds whose rhythm estimate is rough, and
    ruling them out left them as voluntary fragments beside the event they belong to.
    """
    twitch_ok = core_s <= cfg.twitch_max_s
    whole = duration_s >= DURATION_SLACK * cfg.rigidity_min_s
    rigidity_ok = not (whole and rhythm_hz > cfg.rigidity_max_rhythm_hz)
    rule = {"twitch": twitch_ok, "rigidity": rigidity_ok}
    return np.array([rule.get(c, True) for c in classes], dtype=bool)


def event_label(label: str, duration_s: float, cfg: DetectorConfig) -> str | None:
    """The label an assembled event keeps (None: no event) given its duration."""
    if label == "cramp" and duration_s < DURATION_SLACK * cfg.cramp_min_s:
        return "voluntary"
    if label == "rigidity" and duration_s < DURATION_SLACK * cfg.rigidity_min_s:
        return None
    if label == "voluntary" and duration_s < DURATION_SLACK * cfg.voluntary_min_s:
        return None
    return label
