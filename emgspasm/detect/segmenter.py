"""Active hops -> bursts -> episodes, per channel, streaming.

A *burst* is a run of active hops (runs closer than `burst_gap` fuse, so a fasciculation
doublet is one burst). An *episode* is a run of bursts separated by less than `episode_gap`
of quiet; it is what gets classified. An episode is closed `episode_gap` hops after its last
active hop: that hop is when its label can be decided, recorded in `decided_hop` so the
decision time does not depend on how the stream was chunked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Episode:
    """A closed stretch of activity on one channel, in absolute hop indices (inclusive)."""

    channel: int
    start_hop: int
    end_hop: int
    bursts: list[tuple[int, int]]
    decided_hop: int


@dataclass
class _Open:
    start: int
    last: int
    bursts: list[list[int]] = field(default_factory=list)


def runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (inclusive) indices of runs of True in a 1-D boolean array."""
    _, starts, ends = row_runs(flags[None, :])
    return starts, ends


def row_runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and end (inclusive) column of every run of True in a 2-D boolean array,
    by row and then by start: one edge search for all rows."""
    padded = np.zeros((flags.shape[0], flags.shape[1] + 2), dtype=bool)
    padded[:, 1:-1] = flags
    row, pos = np.nonzero(padded[:, 1:] != padded[:, :-1])
    return row[0::2], pos[0::2], pos[1::2] - 1


class EpisodeSegmenter:
    """Streaming episode builder for all channels."""

    def __init__(self, n_channels: int, *, burst_gap: int, episode_gap: int,
                 max_episode: int) -> None:
        self.burst_gap = burst_gap
        self.episode_gap = episode_gap
        self.max_episode = max_episode
        self._open: list[_Open | None] = [None] * n_channels

    def open_starts(self) -> list[tuple[int, int]]:
        """(channel, start_hop) of every episode still open."""
        return [(c, o.start) for c, o in enumerate(self._open) if o is not None]

    def open_spans(self) -> list[tuple[int, int, int]]:
        """(channel, start_hop, last active hop) of every episode still open."""
        return [(c, o.start, o.last) for c, o in enumerate(self._open) if o is not None]

    def step(self, active: np.ndarray, first_hop: int) -> list[Episode]:
        """Consume flags for hops [first_hop, first_hop + n); return episodes that closed."""
        closed: list[Episode] = []
        n, n_channels = active.shape
        # The runs of every channel from one edge search (row-major: by channel, then hop),
        # and Python only for channels with a run or an open episode: at rest most have
        # neither (per-channel searches were a fifth of the live path's main thread at 128
        # channels, profiled).
        run_chan, run_start, run_end = row_runs(active.T)
        run_start, run_end = run_start + first_hop, run_end + first_hop
        bounds = np.searchsorted(run_chan, np.arange(n_channels + 1))
        for ch in range(n_channels):
            lo, hi = int(bounds[ch]), int(bounds[ch + 1])
            if lo == hi and self._open[ch] is None:
                continue
            for rs, re in zip(run_start[lo:hi].tolist(), run_end[lo:hi].tolist(), strict=True):
                self._add_run(ch, rs, re, closed)
            op = self._open[ch]
            if op is not None and first_hop + n - 1 - op.last >= self.episode_gap:
                closed.append(self._close(ch))
        return closed

    def close_all(self, last_hop: int) -> list[Episode]:
        """End of stream or a gap: close everything, decided at `last_hop`."""
        closed = []
        for ch, op in enumerate(self._open):
            if op is not None:
                ep = self._close(ch)
                ep.decided_hop = max(op.last, last_hop)
                closed.append(ep)
        return closed

    def _add_run(self, ch: int, rs: int, re: int, closed: list[Episode]) -> None:
        op = self._open[ch]
        if op is not None and rs - op.last - 1 >= self.episode_gap:
            closed.append(self._close(ch))
            op = None
        if op is None:
            op = self._open[ch] = _Open(start=rs, last=rs)
        if op.bursts and rs - op.bursts[-1][1] - 1 < self.burst_gap:
            op.bursts[-1][1] = re
        else:
            op.bursts.append([rs, re])
        op.last = re
        # Split over-long episodes at fixed multiples of max_episode from their start, so the
        # cut does not depend on where block boundaries fell.
        while op.last - op.start + 1 > self.max_episode:
            cut = op.start + self.max_episode - 1
            bursts = [[a, min(b, cut)] for a, b in op.bursts if a <= cut]
            rest = [[max(a, cut + 1), b] for a, b in op.bursts if b > cut]
            closed.append(Episode(channel=ch, start_hop=op.start, end_hop=cut,
                                  bursts=[(a, b) for a, b in bursts], decided_hop=cut))
            op = self._open[ch] = _Open(start=cut + 1, last=op.last, bursts=rest)

    def _close(self, ch: int) -> Episode:
        op = self._open[ch]
        assert op is not None
        self._open[ch] = None
        return Episode(channel=ch, start_hop=op.start, end_hop=op.last,
                       bursts=[(a, b) for a, b in op.bursts],
                       decided_hop=op.last + self.episode_gap)
