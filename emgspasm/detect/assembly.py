"""Labelled per-channel episodes -> events: cross-channel grouping and merge rules.

Rules (SPEC.md leaves merging to us; these are the ones scored against):
- episodes with the same label that overlap in time on *related* channels are one event on
  the union of their channels: the same agonist/antagonist pair (rigidity on both, a
  contraction with its co-activation, a cramp with its crosstalk), or any channels whose
  artifact began at the same moment (common-mode interference reaches all its channels at
  once, within `common_onset_s`). Two cramps on different muscles stay two events;
- same-label episodes on one channel separated by less than the label's merge gap are one
  event (`DetectorConfig.merge_gap_s`: the beats of an ECG burst, a dip inside a cramp);
- labels whose definition sets a minimum duration are checked on the assembled event
  (`final_label`, see `emgspasm.detect.feasibility`);
- precedence (artifact > cramp > rigidity > twitch > voluntary) needs no rule here: episodes
  on one channel never overlap, so a channel carries one label at a time, and a twitch inside
  a voluntary burst is part of that burst.

An event is released only once nothing still open could join it, and its `decided_at_s` is
computed from hop indices (last episode decision, end of the merge wait) rather than from
when the caller happened to push, so it is the same for any chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from emgspasm.events import PRECEDENCE, Event


@dataclass
class LabelledEpisode:
    """A classified episode; hops are absolute, `start_hop`/`end_hop` raw, `onset`/`offset`
    refined to where the signal stands out of the noise."""

    channel: int
    start_hop: int
    end_hop: int
    onset_hop: int
    offset_hop: int
    label: str
    confidence: float
    decided_hop: int
    extra: dict[str, float] = field(default_factory=dict)
    satellite: bool = False
    """True when its agonist/antagonist partner carries several times its amplitude at the
    same time: this channel sees crosstalk or co-activation, and the event is the partner's."""
    alerted: dict[str, int] = field(default_factory=dict)
    """Label -> hop at which it was first announced while the episode was still in progress."""


def group_label(group: Sequence[LabelledEpisode]) -> str:
    """An event's label: the one covering most time among its non-satellite episodes."""
    voters = [e for e in group if not e.satellite] or list(group)
    weight: dict[str, int] = {}
    for e in voters:
        weight[e.label] = weight.get(e.label, 0) + e.offset_hop - e.onset_hop + 1
    return max(weight, key=lambda lab: (weight[lab], -PRECEDENCE.index(lab)))


class EventAssembler:
    """Holds labelled episodes until their event is complete, then emits it."""

    def __init__(self, channels: Sequence[str], hop_s: float,
                 merge_gap_hops: Callable[[str], int],
                 final_label: Callable[[str, float], str | None] = lambda lab, _d: lab,
                 pair_of: Callable[[int], int | None] = lambda _c: None,
                 common_onset_hops: int = 50) -> None:
        self.channels = list(channels)
        self.pair_of = pair_of
        self.common_onset_hops = common_onset_hops
        self.hop_s = hop_s
        self.merge_gap_hops = merge_gap_hops
        self.final_label = final_label
        self._pending: list[LabelledEpisode] = []
        self._closed: list[tuple[int, int, int]] = []

    def add(self, episodes: Sequence[LabelledEpisode]) -> None:
        self._pending.extend(episodes)

    def observe_closed(self, closed: Sequence[tuple[int, int, int]]) -> None:
        """(channel, start_hop, decided_hop) of every episode that closed, labelled or not.

        While open, any of them may have held an event back (`_complete`); once the event is
        released, its `decided_at_s` must include the moment the last of them was decided, or
        it would claim a decision earlier than the one the stream could actually make.
        """
        self._closed.extend(closed)

    def release(self, current_hop: int, open_starts: Sequence[tuple[int, int]],
                final: bool = False) -> list[Event]:
        """Events whose every possible member is known as of `current_hop`."""
        if not self._pending:
            return []
        groups = self._components()
        out: list[Event] = []
        keep: list[LabelledEpisode] = []
        for group in groups:
            if final or self._complete(group, current_hop, open_starts):
                event = self._event(group)
                if event is not None:
                    out.append(event)
            else:
                keep.extend(group)
        self._pending = keep
        # A closed episode can only raise the decision hop of a group ending after it was
        # decided; groups still to come start no earlier than what is pending or open now.
        horizon = min([e.start_hop for e in keep] + [s for _, s in open_starts] + [current_hop])
        self._closed = [c for c in self._closed if c[2] >= horizon]
        return sorted(out, key=lambda e: (e.start_s, e.label))

    def _components(self) -> list[list[LabelledEpisode]]:
        eps = sorted(self._pending, key=lambda e: (e.start_hop, e.channel))
        parent = list(range(len(eps)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, a in enumerate(eps):
            gap = self.merge_gap_hops(a.label)
            for j in range(i + 1, len(eps)):
                b = eps[j]
                if b.start_hop > a.end_hop + gap + 1:
                    break  # sorted by start: nothing later can touch a
                paired = b.channel == a.channel or self.pair_of(a.channel) == b.channel
                same = b.label == a.label
                overlap = b.start_hop <= a.end_hop
                # Same label on related channels; or a satellite (crosstalk / co-activation
                # dominated by its partner) joining whatever its partner is doing.
                common = a.label == "artifact" and b.start_hop - a.start_hop <= \
                    self.common_onset_hops
                overlap = overlap and ((same and (paired or common))
                                       or (paired and (a.satellite or b.satellite)))
                # Satellites never bridge a merge gap: their label is their partner's business.
                near = same and b.channel == a.channel and not (a.satellite or b.satellite) \
                    and b.start_hop - a.end_hop - 1 < gap
                if overlap or near:
                    parent[find(j)] = find(i)
        groups: dict[int, list[LabelledEpisode]] = {}
        for i, ep in enumerate(eps):
            groups.setdefault(find(i), []).append(ep)
        return list(groups.values())

    def _complete(self, group: list[LabelledEpisode], current_hop: int,
                  open_starts: Sequence[tuple[int, int]]) -> bool:
        if current_hop <= max(e.end_hop for e in group) + self._wait_hops(group):
            return False
        could_join = self._joiner_test(group)
        return not any(could_join(ch, start) for ch, start in open_starts)

    def _joiner_test(self, group: list[LabelledEpisode]) -> Callable[[int, int], bool]:
        """Whether an episode on channel `ch` starting at `start` could still join `group`
        once labelled: overlapping it on a related channel (any channel starting with it, for
        an artifact), or within the merge wait on one of its channels."""
        gap = self._wait_hops(group)
        end = max(e.end_hop for e in group)
        chans = {e.channel for e in group}
        near = chans | {self.pair_of(c) for c in chans}
        # Any artifact member (not only an artifact-labelled group: a satellite counts too)
        # can pull in an artifact that began with it on any channel (`_components`).
        onsets = [e.start_hop for e in group if e.label == "artifact"]

        def could_join(ch: int, start: int) -> bool:
            common = any(abs(start - o) <= self.common_onset_hops for o in onsets)
            could_overlap = start <= end and (ch in near or common)
            return could_overlap or (ch in chans and start - end - 1 < gap)

        return could_join

    def _wait_hops(self, group: list[LabelledEpisode]) -> int:
        """Hops after the group's end during which a later episode could still join it.

        Any non-satellite member may bridge its own label's merge gap (a group can hold a
        cramp and, through a shared satellite, a voluntary burst), so the wait is the longest
        of those gaps, not just the group label's: waiting less would release an event that a
        later episode then joins in another chunking of the same signal.
        """
        voters = [e for e in group if not e.satellite] or group
        return max(self.merge_gap_hops(e.label) for e in voters)

    def _event(self, group: list[LabelledEpisode]) -> Event | None:
        label = group_label(group)
        end = max(e.end_hop for e in group)
        could_join = self._joiner_test(group)
        held_by = [d for ch, start, d in self._closed if could_join(ch, start)]
        decided = max(max(e.decided_hop for e in group), end + self._wait_hops(group), *held_by)
        weights = np.array([e.offset_hop - e.onset_hop + 1 for e in group], dtype=float)
        conf = float(np.average([e.confidence for e in group], weights=weights))
        chans = sorted({e.channel for e in group})
        extra: dict[str, float] = {}
        peaks = [e.extra["peak_uv"] for e in group if "peak_uv" in e.extra]
        if peaks:
            extra["peak_uv"] = round(max(peaks), 2)
        mfs = [e.extra["median_freq_hz"] for e in group if "median_freq_hz" in e.extra]
        if mfs:
            extra["median_freq_hz"] = round(float(np.mean(mfs)), 1)
        start_s = min(e.onset_hop for e in group) * self.hop_s
        end_s = (max(e.offset_hop for e in group) + 1) * self.hop_s
        final = self.final_label(label, end_s - start_s)
        if final is None:
            return None
        alerted = [e.alerted[final] for e in group if final in e.alerted]
        if alerted:  # the moment this label was first streamed, before the event ended
            extra["alerted_at_s"] = round((min(alerted) + 1) * self.hop_s, 6)
        return Event(
            start_s=start_s,
            end_s=end_s,
            label=final,
            channels=[self.channels[c] for c in chans],
            confidence=conf,
            decided_at_s=(decided + 1) * self.hop_s,
            extra=extra,
        )
