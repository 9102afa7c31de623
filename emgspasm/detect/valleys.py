"""Split an episode at the deep valleys of its own envelope.

Why: the activity detector asks "is this channel above its noise floor?", which is the right
question for a fasciculation at rest but not between two contractions of a muscle whose
partner or neighbour is busy. In gait, agonist and antagonist alternate every half stride, and
the few per cent of crosstalk each picks up from the other keeps both channels above the floor
between their own bursts: a minute of walking became one long "contraction" per channel
instead of a burst per step, and a gesture sequence one event instead of several. A valley --
a stretch of at least `min_quiet` hops where the level stays below `fraction` of the level
reached on *both* sides of it -- is where one activity ended and another began, whatever keeps
the channel above its floor in between. Comparing with both sides (running maxima from the
left and from the right) keeps a single large MUAP inside steady low-level activity, or the
waxing and waning of a cramp (its level dips to ~40 %, not ~15 %), from splitting anything.

Not where the signal sat at a rail: while an amplifier clips or a lead is off the band-passed
level drops although the event goes on, so an episode whose windows show any clipping or flat
line (`RAIL_FEATURES`) is left whole.

An episode's pieces are decided when the episode is (they need its end to be known), and they
depend only on the episode's own hops, so splitting is as chunk-invariant as the segmenter.
"""

from __future__ import annotations

import numpy as np

from emgspasm.detect.segmenter import Episode, runs
from emgspasm.detect.table import RowTable

RAIL_FEATURES = ("clip_fraction", "flat_fraction")
"""Window features that say the signal sat at a rail (see `emgspasm.dsp.quality`)."""

RAIL_MIN_SHARE = (0.05, 0.5)
"""A window is at a rail when this share of its samples sits at its extreme value (noise puts
one or two of a window's hundreds there) or repeats the previous sample exactly (an 8-bit
armband at rest repeats about a third of its samples; a lead-off nearly all)."""


def at_rail(windows: RowTable, columns: list[int], ep: Episode) -> bool:
    """True if any window ending within the episode, on its channel, shows clipping or a flat
    line beyond RAIL_MIN_SHARE (`columns`: the indices of RAIL_FEATURES in the windows'
    "values")."""
    if windows.stop == windows.start:
        return False
    hop = windows.get("hop", windows.start, windows.stop)
    lo, hi = np.searchsorted(hop, [ep.start_hop, ep.end_hop + 1])
    if hi <= lo:
        return False
    windows.ensure(np.arange(windows.start + lo, windows.start + hi),
                   np.full(hi - lo, ep.channel))
    values = windows.get("values", windows.start + lo, windows.start + hi)
    return bool(np.any(values[:, columns, ep.channel] >= np.asarray(RAIL_MIN_SHARE)))


def split_at_valleys(ep: Episode, level: np.ndarray, fraction: float,
                     min_quiet: int) -> list[Episode]:
    """The pieces of `ep` between its valleys (`level`: its channel's level over its hops)."""
    if level.shape[0] < 2 * min_quiet + 1:
        return [ep]
    left = np.maximum.accumulate(level)
    right = np.maximum.accumulate(level[::-1])[::-1]
    valley = level < fraction * np.minimum(left, right)
    starts, ends = runs(valley)
    keep = ends - starts + 1 >= min_quiet
    if not keep.any():
        return [ep]
    cuts = list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))
    pieces: list[Episode] = []
    lo = 0
    for a, b in [*cuts, (level.shape[0], level.shape[0])]:
        if a > lo:
            s, e = ep.start_hop + lo, ep.start_hop + a - 1
            pieces.append(Episode(channel=ep.channel, start_hop=s, end_hop=e,
                                  bursts=[(max(bs, s), min(be, e)) for bs, be in ep.bursts
                                          if be >= s and bs <= e],
                                  decided_hop=ep.decided_hop))
        lo = b + 1
    return pieces or [ep]
