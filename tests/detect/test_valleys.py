"""Splitting an episode at the deep valleys of its own envelope."""

from __future__ import annotations

import numpy as np

from emgspasm.detect.segmenter import Episode
from emgspasm.detect.valleys import split_at_valleys


def _episode(n: int, start: int = 100) -> Episode:
    return Episode(channel=2, start_hop=start, end_hop=start + n - 1,
                   bursts=[(start, start + n - 1)], decided_hop=start + n + 20)


def test_two_bursts_joined_by_crosstalk_are_two_pieces():
    level = np.r_[np.full(30, 50.0), np.full(40, 2.0), np.full(25, 40.0)]
    pieces = split_at_valleys(_episode(level.size), level, fraction=0.15, min_quiet=22)
    assert [(p.start_hop, p.end_hop) for p in pieces] == [(100, 129), (170, 194)]
    assert all(p.decided_hop == 215 and p.channel == 2 for p in pieces)
    assert pieces[0].bursts == [(100, 129)] and pieces[1].bursts == [(170, 194)]


def test_a_short_dip_a_cramps_waxing_and_a_lone_spike_split_nothing():
    ep = _episode(120)
    short = np.r_[np.full(50, 50.0), np.full(10, 1.0), np.full(60, 50.0)]
    waxing = 50.0 * (1.0 - 0.6 * 0.5 * (1.0 - np.sin(np.linspace(0, 20, 120))))
    spike = np.full(120, 3.0)
    spike[60] = 200.0  # a large MUAP inside steady low-level activity
    for level in (short, waxing, spike):
        assert split_at_valleys(ep, level, fraction=0.15, min_quiet=22) == [ep]


def test_a_fading_end_is_not_a_valley():
    level = np.r_[np.full(60, 50.0), np.geomspace(50.0, 1.0, 60)]
    ep = _episode(level.size)
    assert split_at_valleys(ep, level, fraction=0.15, min_quiet=22) == [ep]


def test_an_episode_at_a_rail_is_left_whole():
    from emgspasm.detect.table import RowTable
    from emgspasm.detect.valleys import RAIL_MIN_SHARE, at_rail

    windows = RowTable()
    values = np.zeros((6, 2, 3))  # windows × (clip, flat) × channels
    values[:, 0, :] = 0.01  # noise: a sample or two at the extreme
    values[:, 1, :] = 0.3  # an 8-bit armband at rest repeats samples
    windows.append(hop=np.arange(19, 120, 20), values=values)
    ep = _episode(60, start=30)
    assert not at_rail(windows, [0, 1], ep)
    values = values.copy()
    values[2, 0, ep.channel] = RAIL_MIN_SHARE[0]  # clipping inside the episode
    clipped = RowTable()
    clipped.append(hop=np.arange(19, 120, 20), values=values)
    assert at_rail(clipped, [0, 1], ep)
    assert not at_rail(clipped, [0, 1], _episode(10, start=100))  # after it
