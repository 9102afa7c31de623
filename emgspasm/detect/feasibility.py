"""Duration limits that are definitions, not statistics (docs/labels.md), imposed rather than hoped
for.

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


def feasible_mask(classes: Sequence[str], core_s: float, cfg: DetectorConfig) -> np.ndarray:
    """Boolean mask over `classes`: which labels an episode whose core lasts `core_s` may take."""
    ok = core_s <= cfg.twitch_max_s
    return np.array([ok if c == "twitch" else True for c in classes], dtype=bool)


def event_label(label: str, duration_s: float, cfg: DetectorConfig) -> str | None:
    """The label an assembled event keeps (None: no event) given its duration."""
    if label == "cramp" and duration_s < DURATION_SLACK * cfg.cramp_min_s:
        return "voluntary"
    if label == "rigidity" and duration_s < DURATION_SLACK * cfg.rigidity_min_s:
        return None
    if label == "voluntary" and duration_s < DURATION_SLACK * cfg.voluntary_min_s:
        return None
    return label
