"""Labels an episode of a given duration can carry at all (SPEC.md definitions).

A cramp lasts ≥ 3 s, rigidity ≥ 10 s, and a fasciculation is a single MUAP or a doublet. The
classifier learns durations too, but these limits are definitions, not statistics, so they
are imposed rather than hoped for. `DURATION_SLACK` allows for onset/offset refinement
cutting a true event slightly short.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emgspasm.detect.config import DetectorConfig

DURATION_SLACK = 0.8
"""An episode may be this much shorter than a label's minimum duration and still carry it."""


def feasible_mask(classes: Sequence[str], duration_s: float, cfg: DetectorConfig) -> np.ndarray:
    """Boolean mask over `classes`: which labels an episode of this duration may take."""
    limits = {
        "cramp": duration_s >= DURATION_SLACK * cfg.cramp_min_s,
        "rigidity": duration_s >= DURATION_SLACK * cfg.rigidity_min_s,
        "twitch": duration_s <= cfg.twitch_max_s,
    }
    return np.array([limits.get(c, True) for c in classes], dtype=bool)
