"""Per-group occupancy used to schedule events without overlap.

Why: docs/signal.md#recording-conditions requires that truth events of different classes never
overlap on a channel or
its pair partner, with ≥ 1 s rest between events on a pair. Each channel group (a pair, or the
unpaired last channel) is a lane with a "free from" time; an event reserves every group it
touches, so independent pairs can be busy at the same time while common-mode artifacts wait
for a moment when all their channels rest.
"""

from __future__ import annotations

import numpy as np

from emgspasm.simulate import params as P


class Lanes:
    """Free-from times of each channel group."""

    def __init__(self, groups: list[tuple[int, ...]], free_from: np.ndarray) -> None:
        self.groups = groups
        self.free = np.asarray(free_from, dtype=np.float64).copy()
        self._group_of = {ch: g for g, grp in enumerate(groups) for ch in grp}

    def pick(self, rng: np.random.Generator, pairs_only: bool = False) -> tuple[int, ...]:
        """A group that is free early: random among those within LANE_SLACK_S of the earliest.

        With `pairs_only`, only two-channel groups qualify (rigidity) unless there are none.
        """
        eligible = [g for g, grp in enumerate(self.groups) if len(grp) == 2 or not pairs_only]
        if not eligible:
            eligible = list(range(len(self.groups)))
        free = self.free[eligible]
        near = [g for g, f in zip(eligible, free, strict=True) if f <= free.min() + P.LANE_SLACK_S]
        return self.groups[int(rng.choice(near))]

    def window(
        self, rng: np.random.Generator, end_limit: float, pairs_only: bool = False
    ) -> tuple[tuple[int, ...], float, float]:
        """(group, start, room): a group that is free early (`pick`), the time it is free from,
        and the seconds from then to `end_limit`: where every scenario's plan begins."""
        group = self.pick(rng, pairs_only)
        start = self.start_for(list(group))
        return group, start, end_limit - start

    def groups_of(self, channels: list[int]) -> list[int]:
        return sorted({self._group_of[ch] for ch in channels})

    def start_for(self, channels: list[int]) -> float:
        """Earliest time every group touching `channels` is free."""
        return float(self.free[self.groups_of(channels)].max())

    def commit(self, channels: list[int], end_s: float, rest_s: float) -> None:
        """Occupy the groups of `channels` until `end_s`, then rest for `rest_s`."""
        self.free[self.groups_of(channels)] = end_s + rest_s
