"""Labelled per-channel episodes -> events: grouping, containment and merge rules.

Rules (docs/labels.md sets precedence and containment and leaves merging to us):
- one label per event, and no vote: groups join only episodes of the same label, so an
  episode's label is never overruled by what other channels' episodes were called (a cramp
  classified at p = 0.99 stays a cramp whatever surrounds it). Cross-label grouping is not
  needed: what it used to do (crosstalk, fragments) has the two explicit rules below;
- same-label episodes that overlap in time (for `pair_overlap_min` of the shorter one) on
  the same agonist/antagonist pair are one event on both channels (rigidity on both, a
  co-contraction both channels report in their own right). Two cramps on different muscles
  stay two events. Twitches that overlap in time on told neighbours are one event on both,
  too: one motor unit's potential reaches the electrode over the next muscle head by volume
  conduction at the same instant, often nearly as large (in one 10-minute development session
  of the independent generator, 72 of 85 twitches coinciding on two channels were one true
  twitch and its copy, at 1-2.7 times the copy's peak, so which one is the source cannot be
  told);
- same-label episodes on one channel separated by less than the label's merge gap are one
  event (`DetectorConfig.merge_gap_s`: the beats of an ECG burst, a dip inside a cramp);
- artifacts that began at the same moment on several channels are one event (common-mode
  interference reaches all its channels at once). Only artifact episodes, and only those that
  began together: onsets are chained within `common_onset_hops`, and each chain is cut into
  clusters no wider than that from its first onset, so a train of staggered onsets does not
  become one event;
- a satellite (its partner, or failing that a told neighbour, carries `satellite_ratio` times
  its level at the same time: crosstalk or co-activation; `LabelledEpisode.host` names that
  channel) attaches to the one episode on its host channel it overlaps most, and
  through it to that episode's event, and links nothing else (no merge gap, no pair or onset
  rule: an ECG beat flagged as crosstalk of a cramp cannot pull artifacts on other channels
  into the cramp). It takes that event's label; it adds its channel only when it carries the
  same label, that label is co-activation by definition (`satellite_labels`, rigidity) and
  its host is its agonist/antagonist partner; never for a cramp (localised: its crosstalk is
  not a second cramp), never for a neighbour's crosstalk. A twitch is never a
  satellite (a fasciculation is isolated on its own channel, whatever its partner does). A
  satellite with no labelled partner episode stands alone;
- containment (precedence artifact > cramp > rigidity > twitch > voluntary): voluntary and
  twitch fragments between two pieces of a cramp or rigidity on their channel are part of that
  event when they bridge the pieces: every quiet stretch between consecutive episodes (piece,
  fragments, piece) is within the host's merge gap and every fragment is shorter than
  `fragment_max_hops`. A cramp's dip often leaves a few short bursts 0.2-0.5 s apart over 2-3 s
  (units dropping out and back in), which no single merge gap spans but which are plainly
  inside it; a longer contraction between the pieces ends the chain, and beyond one merge gap
  a chain joins only pieces long enough to carry their label on their own (`_whole`).
  Twitches between two pieces of a voluntary contraction likewise (with voluntary's merge gap
  of 0 that never happens: a twitch closer than the episode gap to a burst is part of its
  episode already). Episodes on one channel never overlap, so each fragment has one candidate
  host piece, the nearest before it. The fragment waits for the piece after it to be
  labelled, at most `containment_wait_hops` after its own end (a bounded wait; past it the
  fragment is its own event, though it still bridges: released fragments are remembered as
  stepping stones, so the two pieces join whatever the release schedule);
- labels whose definition sets a minimum duration are checked on the assembled event
  (`final_label`, see `emgspasm.detect.feasibility`).

An event is released only once nothing still open could join it, contain it or take one of
its satellites, and its `decided_at_s` is computed from hop indices (last episode decision,
end of the merge or containment wait, decisions of the episodes that held it back) rather
than from when the caller happened to push, so it is the same for any chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from emgspasm.events import Event

CONTAINS: dict[str, tuple[str, ...]] = {
    "cramp": ("voluntary", "twitch"),
    "rigidity": ("voluntary", "twitch"),
    "voluntary": ("twitch",),
}
"""docs/labels.md: host label -> fragment labels it absorbs on its own channel."""

_LATER = 2**62
"""Stands for the (unknown, later) decision hop of an episode still open."""

HOST_ORDER: tuple[str, ...] = ("cramp", "rigidity", "voluntary")
"""Host pieces are resolved in this order: a voluntary piece absorbed by a cramp can no longer
host a twitch."""


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
    """True when its agonist/antagonist partner (or a told neighbour, see `host`) carries
    several times its amplitude at the same time: this channel sees crosstalk or co-activation,
    and the event is that channel's (ignored for a twitch)."""
    host: int | None = None
    """The channel a satellite belongs to; None means its partner (`pair_of`)."""
    alerted: dict[str, int] = field(default_factory=dict)
    """Label -> hop at which it was first announced while the episode was still in progress."""


@dataclass
class _Group:
    """One future event and what could still change it."""

    label: str
    members: list[LabelledEpisode]
    """Everything released with the event (absorbed fragments and crosstalk included)."""
    shown: list[LabelledEpisode]
    """Members that make the event: its span, channels, confidence."""
    core: list[LabelledEpisode]
    """Non-satellite, non-absorbed members (what merge gaps extend)."""
    reach: int
    """Last hop at which a same-label piece may start on a core channel and still join the
    group: its core's merge gap, or further where fragments after a piece extend the bridge."""
    satellites: list[LabelledEpisode]
    onsets: list[int]
    """Artifact onsets of the whole common-onset chain this group's artifacts belong to."""
    fragment_waits: list[tuple[int, int, int, int]]
    """(channel, fragment end, last hop a bridging host piece may start, last hop it may be
    decided and still count) for each fragment a host on its channel might still enclose."""


class EventAssembler:
    """Holds labelled episodes until their event is complete, then emits it."""

    def __init__(self, channels: Sequence[str], hop_s: float,
                 merge_gap_hops: Callable[[str], int],
                 final_label: Callable[[str, float], str | None] = lambda lab, _d: lab,
                 pair_of: Callable[[int], int | None] = lambda _c: None,
                 neighbours_of: Callable[[int], Sequence[int]] = lambda _c: (),
                 common_onset_hops: int = 50,
                 satellite_labels: Sequence[str] = ("rigidity",),
                 containment_wait_hops: int = 18_000,
                 fragment_max_hops: int = _LATER,
                 pair_overlap_min: float = 0.0) -> None:
        self.channels = list(channels)
        self.pair_of = pair_of
        self.neighbours_of = neighbours_of
        self.common_onset_hops = common_onset_hops
        self.satellite_labels = tuple(satellite_labels)
        self.containment_wait_hops = containment_wait_hops
        self.fragment_max_hops = fragment_max_hops
        self.pair_overlap_min = pair_overlap_min
        self.hop_s = hop_s
        self.merge_gap_hops = merge_gap_hops
        self.final_label = final_label
        self._pending: list[LabelledEpisode] = []
        self._closed: list[tuple[int, int, int]] = []
        self._stones: list[LabelledEpisode] = []
        """Released non-satellite episodes a pending host piece's chain may still step over."""

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
        out: list[Event] = []
        keep: list[LabelledEpisode] = []
        for group in self._groups():
            if final or self._complete(group, current_hop, open_starts):
                event = self._event(group, open_starts, current_hop if final else None)
                if event is not None:
                    out.append(event)
                self._stones.extend(e for e in group.members if not self._is_satellite(e))
            else:
                keep.extend(group.members)
        self._pending = keep
        # A closed episode can only raise the decision hop of a group ending after it was
        # decided; groups still to come start no earlier than what is pending or open now, and
        # a chain only steps over what lies after its (pending) host piece.
        horizon = min([e.start_hop for e in keep] + [s for _, s in open_starts] + [current_hop])
        self._closed = [c for c in self._closed if c[2] >= horizon]
        self._stones = [e for e in self._stones if e.end_hop >= horizon]
        return sorted(out, key=lambda e: (e.start_s, e.label))

    # -- grouping -----------------------------------------------------------------------
    def _is_satellite(self, e: LabelledEpisode) -> bool:
        return e.satellite and e.label != "twitch"

    def _host(self, e: LabelledEpisode) -> int | None:
        """The channel whose episode a satellite attaches to."""
        return self.pair_of(e.channel) if e.host is None else e.host

    def _bridges(self, eps: list[LabelledEpisode], sat: list[bool]) -> tuple[
            dict[int, int], dict[int, int], list[tuple[int, int]], dict[int, int]]:
        """Containment chains: from each host piece, step over the fragments after it on its
        channel (pending ones and released stones) while each quiet stretch is within the
        host's merge gap. Returns the fragments absorbed (-> host piece), the others with a
        host piece before them (-> the last hop a bridging piece may start at: they wait for
        what starts before it), the (host piece, next piece) pairs a chain bridges, and each
        host piece's last hop of that kind."""
        timeline: dict[int, list[tuple[int | None, LabelledEpisode]]] = {}
        for i, e in enumerate(eps):
            if not sat[i]:
                timeline.setdefault(e.channel, []).append((i, e))
        for e in self._stones:
            timeline.setdefault(e.channel, []).append((None, e))
        for items in timeline.values():
            items.sort(key=lambda item: item[1].start_hop)
        absorbed: dict[int, int] = {}
        waits: dict[int, int] = {}
        joins: list[tuple[int, int]] = []
        reach_of: dict[int, int] = {}
        for host_label in HOST_ORDER:
            fits = CONTAINS[host_label]
            gap = self.merge_gap_hops(host_label)
            for items in timeline.values():
                for pos, (p, piece) in enumerate(items):
                    if p is None or piece.label != host_label or p in absorbed:
                        continue
                    reach, members, bridged = piece.end_hop + gap, [], None
                    extends = self._whole(piece)  # else only what one merge gap bridges
                    for j, e in items[pos + 1:]:
                        if e.start_hop > reach:
                            break
                        if j is not None and j not in absorbed and e.label == host_label:
                            bridged = j
                            break
                        if (e.label not in fits or (j is not None and j in absorbed)
                                or e.end_hop - e.start_hop + 1 > self.fragment_max_hops):
                            break
                        if j is not None:
                            members.append(j)
                        if extends:
                            reach = max(reach, e.end_hop + gap)
                    # Whatever ends the chain, its host and fragments waited for what started
                    # within its reach (a stream learns only then that it breaks the chain).
                    reach_of[p] = reach
                    if bridged is not None and eps[bridged].start_hop > piece.end_hop + gap \
                            and not self._whole(eps[bridged]):
                        bridged = None  # beyond one merge gap: whole pieces only (_whole)
                    limit = _LATER
                    if bridged is not None:
                        joins.append((p, bridged))
                        limit = eps[bridged].decided_hop - self.containment_wait_hops
                    for m in members:
                        if eps[m].end_hop >= limit:
                            absorbed[m] = p
                        else:  # no piece bridged it in time: it waited, then stands alone
                            waits[m] = reach
        return absorbed, waits, joins, reach_of

    def _overlap_enough(self, a: LabelledEpisode, b: LabelledEpisode) -> bool:
        """Do `a` and `b` overlap for at least `pair_overlap_min` of the shorter one (and at
        all)? Partial overlaps would chain: a tail overlapping the next head."""
        common = min(a.end_hop, b.end_hop) - max(a.start_hop, b.start_hop) + 1
        shorter = min(a.end_hop - a.start_hop, b.end_hop - b.start_hop) + 1
        return common > 0 and common >= self.pair_overlap_min * shorter

    def _whole(self, piece: LabelledEpisode) -> bool:
        """True when `piece` is long enough to carry its label as an event on its own. Only
        such pieces are bridged by a chain of fragments longer than one merge gap: pieces too
        short to be a cramp or a rigidity, strung together through the bursts between them,
        would otherwise become one (on real armband gestures, a rigidity an hour)."""
        duration_s = (piece.offset_hop - piece.onset_hop + 1) * self.hop_s
        return self.final_label(piece.label, duration_s) == piece.label

    def _groups(self) -> list[_Group]:
        eps = sorted(self._pending, key=lambda e: (e.start_hop, e.channel))
        n = len(eps)
        parent = list(range(n))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i: int, j: int) -> None:
            parent[find(j)] = find(i)

        sat = [self._is_satellite(e) for e in eps]
        absorbed, waits, joins, reach_of = self._bridges(eps, sat)
        core = [i for i in range(n) if not sat[i] and i not in absorbed]
        for x, i in enumerate(core):
            a = eps[i]
            gap = self.merge_gap_hops(a.label)
            for j in core[x + 1:]:
                b = eps[j]
                if b.start_hop > a.end_hop + gap + 1:
                    break  # sorted by start: nothing later can touch a
                if b.label != a.label:
                    continue
                same = b.channel == a.channel
                paired = self.pair_of(a.channel) == b.channel or (
                    a.label == "twitch" and b.channel in self.neighbours_of(a.channel))
                if (same and b.start_hop - a.end_hop - 1 < gap) or \
                        (paired and self._overlap_enough(a, b)):
                    union(i, j)
        chains = self._common_onsets(eps, core, union)
        for i, host in absorbed.items():
            union(host, i)
        for p, q in joins:
            union(p, q)
        for i in range(n):
            if not sat[i]:
                continue
            s = eps[i]
            host = self._host(s)
            best, most = None, 0
            for j in range(n):
                e = eps[j]
                if sat[j] or e.channel != host:
                    continue
                common = min(e.end_hop, s.end_hop) - max(e.start_hop, s.start_hop) + 1
                if common > most:
                    best, most = j, common
            if best is not None:
                union(best, i)
        by_root: dict[int, list[int]] = {}
        for i in range(n):
            by_root.setdefault(find(i), []).append(i)
        groups = []
        for idx in by_root.values():
            core_idx = [i for i in idx if not sat[i] and i not in absorbed]
            label = eps[core_idx[0]].label if core_idx else eps[idx[0]].label
            shown = [eps[i] for i in idx if i in core_idx or (
                sat[i] and (not core_idx or (eps[i].label == label
                                             and label in self.satellite_labels
                                             and self._host(eps[i])
                                             == self.pair_of(eps[i].channel))))]
            onsets = sorted({o for i in core_idx for o in chains.get(i, [])})
            fragment_waits = [(eps[i].channel, eps[i].end_hop, waits[i],
                               eps[i].end_hop + self.containment_wait_hops)
                              for i in core_idx if i in waits]
            gap = self.merge_gap_hops(label)
            reach = max([reach_of.get(i, eps[i].end_hop + gap) for i in core_idx], default=-1)
            groups.append(_Group(label=label, members=[eps[i] for i in idx], shown=shown,
                                 core=[eps[i] for i in core_idx], reach=reach,
                                 satellites=[eps[i] for i in idx if sat[i]],
                                 onsets=onsets, fragment_waits=fragment_waits))
        return groups

    def _common_onsets(self, eps: list[LabelledEpisode], core: list[int],
                       union: Callable[[int, int], None]) -> dict[int, list[int]]:
        """Join artifacts that began together; return each one's chain of onsets.

        Onsets closer than `common_onset_hops` form a chain; each chain is cut, from its first
        onset, into clusters at most that wide, and only a cluster is one event. Cutting from
        the chain's first onset keeps the cut the same whatever part of the stream is known
        (an earlier chain member is pending or open whenever a later cluster is), and any
        episode that could still lengthen the chain holds all its clusters (`_joiner_test`).
        """
        arts = [i for i in core if eps[i].label == "artifact"]  # already sorted by start
        chains: dict[int, list[int]] = {}
        chain: list[int] = []

        def close(chain: list[int]) -> None:
            onsets = [eps[i].start_hop for i in chain]
            anchor = None
            for i in chain:
                chains[i] = onsets
                if anchor is None or eps[i].start_hop - eps[anchor].start_hop > \
                        self.common_onset_hops:
                    anchor = i
                elif eps[i].channel != eps[anchor].channel:
                    union(anchor, i)

        for i in arts:
            if chain and eps[i].start_hop - eps[chain[-1]].start_hop > self.common_onset_hops:
                close(chain)
                chain = []
            chain.append(i)
        if chain:
            close(chain)
        return chains

    # -- release ------------------------------------------------------------------------
    def _hold_hop(self, group: _Group) -> int:
        """Up to this hop a later episode could still start and join or contain `group`
        (merge gap; a host piece that would enclose a fragment, within the containment
        wait)."""
        hold = max(max(e.end_hop for e in group.members), group.reach)
        # A host piece not yet begun counts only if it could be decided by `bound`.
        return max([hold] + [min(last, bound - 1) for _c, _e, last, bound
                             in group.fragment_waits])

    def _complete(self, group: _Group, current_hop: int,
                  open_starts: Sequence[tuple[int, int]]) -> bool:
        if current_hop <= self._hold_hop(group):
            return False
        held_until = self._joiner_test(group)
        return not any(held_until(ch, start, current_hop + 1) > current_hop
                       for ch, start in open_starts)

    def _joiner_test(self, group: _Group) -> Callable[[int, int, int], int]:
        """Until which hop an episode on channel `ch` starting at `start` and decided at hop
        `decided` (for an open one: any hop after now) holds `group` back, -1 if it never
        does. It holds the group until decided if, once labelled, it could overlap the group
        on a related channel (a pair join, or a satellite of one of its members: on its partner
        or a neighbour's channel), extend it
        within the merge gap, begin with one of its artifacts' chain or take away one of its
        satellites (a partner episode it overlaps more); and, if it could be the host piece
        that encloses one of the group's fragments, until decided or the end of the
        containment wait, whichever is first."""
        end = max(e.end_hop for e in group.members)
        chans = {e.channel for e in group.members}
        near = chans | {self.pair_of(c) for c in chans} | {
            n for c in chans for n in self.neighbours_of(c)}
        core_chans = {e.channel for e in group.core}
        sats = [(self._host(s), s.end_hop) for s in group.satellites]

        def held_until(ch: int, start: int, decided: int) -> int:
            if ((start <= end and ch in near)
                    or (ch in core_chans and start <= group.reach)
                    or any(abs(start - o) <= self.common_onset_hops for o in group.onsets)
                    or any(ch == p and start <= s_end for p, s_end in sats)):
                return decided
            return max([-1] + [min(decided, bound) for c, f_end, last, bound
                               in group.fragment_waits
                               if ch == c and f_end < start <= min(last, bound - 1)])

        return held_until

    def _event(self, group: _Group, open_starts: Sequence[tuple[int, int]],
               final_hop: int | None = None) -> Event | None:
        """The event of a complete group. ``final_hop``: released because the stream ended (or
        a long gap ended every episode) at that hop, so nothing later can join the group and
        its decision is no later than that hop, however long the merge gap it was waiting for
        (a cramp cut off by the end of a stream is decided at its last sample, not a merge gap
        after it)."""
        end = max(e.end_hop for e in group.members)
        hold = self._hold_hop(group)
        held_until = self._joiner_test(group)
        held_by = [held_until(ch, start, d) for ch, start, d in self._closed]
        # Still open: it held the group until the containment wait ran out (nothing else can
        # be open when a group is released; an open episode's decision is later than any).
        held_by += [held_until(ch, start, _LATER) for ch, start in open_starts]
        decided = max(max(e.decided_hop for e in group.members), end, hold, *held_by)
        if final_hop is not None:
            decided = min(decided, max(final_hop, end))
        shown = group.shown
        weights = np.array([e.offset_hop - e.onset_hop + 1 for e in shown], dtype=float)
        conf = float(np.average([e.confidence for e in shown], weights=weights))
        chans = sorted({e.channel for e in shown})
        extra: dict[str, float] = {}
        peaks = [e.extra["peak_uv"] for e in shown if "peak_uv" in e.extra]
        if peaks:
            extra["peak_uv"] = round(max(peaks), 2)
        mfs = [e.extra["median_freq_hz"] for e in shown if "median_freq_hz" in e.extra]
        if mfs:
            extra["median_freq_hz"] = round(float(np.mean(mfs)), 1)
        start_s = min(e.onset_hop for e in shown) * self.hop_s
        end_s = (max(e.offset_hop for e in shown) + 1) * self.hop_s
        final = self.final_label(group.label, end_s - start_s)
        if final is None:
            return None
        alerted = [e.alerted[final] for e in shown if final in e.alerted]
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
