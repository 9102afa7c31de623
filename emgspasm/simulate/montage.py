"""Channel names and the agonist/antagonist montage.

Why: the rigidity signature (docs/labels.md) is activity "in agonist and antagonist at once" and a
cramp is
"localised: one channel, neighbours quiet", so the simulator needs to know which channels face
each other. The default montage (also what the detector assumes without a user montage) pairs
consecutive channels: (ch1, ch2), (ch3, ch4), …; an odd last channel is unpaired.
"""

from __future__ import annotations


def channel_names(n_channels: int) -> list[str]:
    """ "ch1".."chN"."""
    return [f"ch{i + 1}" for i in range(n_channels)]


def default_pairs(n_channels: int) -> list[tuple[int, int]]:
    """Agonist/antagonist pairs as 0-based column indices: [(0, 1), (2, 3), …].

    >>> default_pairs(5)
    [(0, 1), (2, 3)]
    """
    return [(i, i + 1) for i in range(0, n_channels - 1, 2)]


def channel_groups(n_channels: int) -> list[tuple[int, ...]]:
    """Pairs plus the unpaired last channel (if odd) as a 1-tuple: the scheduling units.

    Events reserve whole groups, so no event of another class lands on a pair partner
    (the partner carries the event's crosstalk and, for voluntary, its co-activation).
    """
    groups: list[tuple[int, ...]] = list(default_pairs(n_channels))
    if n_channels % 2:
        groups.append((n_channels - 1,))
    return groups


def partner(channel: int, n_channels: int) -> int | None:
    """The pair partner of a channel, or None for an unpaired last channel."""
    other = channel + 1 if channel % 2 == 0 else channel - 1
    return other if 0 <= other < n_channels else None
