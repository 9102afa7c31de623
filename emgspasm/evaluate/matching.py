"""Matching: which predicted event is the detection of which true event (docs/scoring.md).

The rules (one-to-one, best first; IoU or centre distance; channel Jaccard) are set out in
`emgspasm.evaluate`. Candidate pairs are found with sorted arrays and ``searchsorted`` (no
all-pairs Python loop), so a recording with thousands of twitches scores in milliseconds; only
the greedy pass over the (few) candidate pairs is sequential, as greedy assignment inherently is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from emgspasm.events import Event

IOU_MIN = 0.2
"""Minimum intersection-over-union for interval labels [Warby 2014]."""

CHANNEL_JACCARD_MIN = 0.5
"""Minimum Jaccard index |A∩B| / |A∪B| of two channel sets for a pair to match (docs/scoring.md).
At 0.5 a one-channel truth matches a prediction that adds one neighbour (1/2) but not two
(1/3), and a pair co-contraction matches a prediction on either of its channels alone (1/2)."""

TWITCH_TOL_S = 0.025
"""Centre tolerance for point-like labels (docs/scoring.md: ±25 ms)."""

TWITCH_TIGHT_TOL_S = 0.010
"""The stricter centre tolerance also reported for twitches (docs/scoring.md: ±10 ms)."""

POINT_LABELS: frozenset[str] = frozenset({"twitch"})
"""Labels matched by centre distance instead of IoU: events too short for IoU to be fair."""

EPS = 1e-9
"""Slack of every comparison, so a tolerance of 0.025 s or an IoU of exactly 0.2 is not lost
to floating-point rounding of the times."""

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)
"""Set bits per byte: channel sets are packed bits, so |A∩B| is a popcount of A & B (a table,
not ``np.bitwise_count``, which needs numpy 2)."""


@dataclass
class EventTable:
    """Events as parallel arrays; channels as packed bit rows so a pair's channel Jaccard is an
    AND, an OR and two popcounts."""

    start: np.ndarray
    end: np.ndarray
    labels: np.ndarray  # object array of str
    bits: np.ndarray  # (n, n_bytes) uint8
    decided: np.ndarray  # NaN where the event has no decided_at_s

    @property
    def centre(self) -> np.ndarray:
        return 0.5 * (self.start + self.end)

    def __len__(self) -> int:
        return int(self.start.size)


def vocabulary(*groups: Iterable[Event]) -> dict[str, int]:
    """Channel name -> bit position, over every channel any of the events names."""
    vocab: dict[str, int] = {}
    for events in groups:
        for ev in events:
            for ch in ev.channels:
                vocab.setdefault(ch, len(vocab))
    return vocab


def event_table(events: Sequence[Event], vocab: Mapping[str, int], *,
                what: str = "event") -> EventTable:
    """The events as an `EventTable` over the channel vocabulary `vocab` (see `vocabulary`)."""
    n = len(events)
    start = np.fromiter((e.start_s for e in events), dtype=np.float64, count=n)
    end = np.fromiter((e.end_s for e in events), dtype=np.float64, count=n)
    bad = np.flatnonzero(~(end >= start))  # also catches NaN
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{what} {i} has end_s < start_s (or NaN): {events[i].to_dict()}")
    decided = np.fromiter((_first_streamed(e) for e in events), dtype=np.float64, count=n)
    labels = np.empty(n, dtype=object)
    labels[:] = [e.label for e in events]
    onehot = np.zeros((n, max(len(vocab), 1)), dtype=bool)
    lens = [len(e.channels) for e in events]
    rows = np.repeat(np.arange(n), lens)
    cols = np.fromiter((vocab[c] for e in events for c in e.channels), dtype=np.intp)
    onehot[rows, cols] = True
    return EventTable(start, end, labels, np.packbits(onehot, axis=1), decided)


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (row, position) pairs with lo[row] <= position < hi[row], without a Python loop."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    rows = np.repeat(np.arange(lo.size), counts)
    first = np.cumsum(counts) - counts
    pos = np.repeat(lo, counts) + (np.arange(total) - np.repeat(first, counts))
    return rows, pos


def candidates(
    t: EventTable,
    t_idx: np.ndarray,
    p: EventTable,
    p_idx: np.ndarray,
    *,
    point: bool,
    iou_min: float,
    tol_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (truth index, pred index, quality) that satisfy the time and the channel rule.

    Quality is IoU for intervals and ``1 - distance / tol`` for points: higher is better in both,
    so one greedy pass serves both rules. Indices are into the full tables.
    """
    empty = (np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64))
    if t_idx.size == 0 or p_idx.size == 0:
        return empty
    if point:
        pc_all = p.centre[p_idx]
        order = np.argsort(pc_all, kind="stable")
        pc = pc_all[order]
        tc = t.centre[t_idx]
        lo = np.searchsorted(pc, tc - tol_s - EPS, side="left")
        hi = np.searchsorted(pc, tc + tol_s + EPS, side="right")
        rows, pos = _expand(lo, hi)
        dist = np.abs(pc[pos] - tc[rows])
        keep = dist <= tol_s + EPS
        quality = 1.0 - dist / tol_s if tol_s > 0 else np.ones_like(dist)
    else:
        ps_all = p.start[p_idx]
        order = np.argsort(ps_all, kind="stable")
        ps = ps_all[order]
        pe = p.end[p_idx][order]
        ts, te = t.start[t_idx], t.end[t_idx]
        # IoU >= m needs dp <= dt / m, so a partner starts no earlier than ts - dt / m: this bounds
        # the search window per truth event without assuming anything about other predictions.
        if iou_min > 0:
            reach = (te - ts) / iou_min
        else:
            reach = np.full(ts.shape, float(np.max(pe - ps)))
        lo = np.searchsorted(ps, ts - reach - EPS, side="left")
        hi = np.searchsorted(ps, te, side="right")
        rows, pos = _expand(lo, hi)
        a0, a1 = ts[rows], te[rows]
        b0, b1 = ps[pos], pe[pos]
        inter = np.minimum(a1, b1) - np.maximum(a0, b0)
        union = (a1 - a0) + (b1 - b0) - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = np.where(union > 0, inter / union, np.where(inter >= 0, 1.0, 0.0))
        quality = iou
        keep = (iou > 0) & (iou >= iou_min - EPS)
    rows, pos, quality = rows[keep], pos[keep], quality[keep]
    ti = t_idx[rows]
    pj = p_idx[order[pos]]
    agree = channel_jaccard(t.bits[ti], p.bits[pj]) >= CHANNEL_JACCARD_MIN - EPS
    return ti[agree], pj[agree], quality[agree]


def channel_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard index of packed channel bit rows; 0 where both sets are empty (an event
    on no channel says nothing about where it is, so it matches nothing)."""
    inter = _POPCOUNT[a & b].sum(axis=1, dtype=np.int64)
    union = _POPCOUNT[a | b].sum(axis=1, dtype=np.int64)
    return np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)


def greedy(ti: np.ndarray, pj: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one assignment, best quality first; ties go to the lower truth, then pred index."""
    if ti.size == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    order = np.lexsort((pj, ti, -quality))
    used_t: set[int] = set()
    used_p: set[int] = set()
    out_t: list[int] = []
    out_p: list[int] = []
    for i, j in zip(ti[order].tolist(), pj[order].tolist(), strict=True):
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        out_t.append(i)
        out_p.append(j)
    out = np.argsort(out_t, kind="stable")
    return np.asarray(out_t, np.intp)[out], np.asarray(out_p, np.intp)[out]


def match_label(
    t: EventTable, p: EventTable, label: str, *, iou_min: float, tol_s: float
) -> tuple[np.ndarray, np.ndarray]:
    t_idx = np.flatnonzero(t.labels == label)
    p_idx = np.flatnonzero(p.labels == label)
    ti, pj, q = candidates(
        t, t_idx, p, p_idx, point=label in POINT_LABELS, iou_min=iou_min, tol_s=tol_s
    )
    return greedy(ti, pj, q)


def match_events(
    truth: Sequence[Event],
    pred: Sequence[Event],
    *,
    label: str,
    iou_min: float = IOU_MIN,
    twitch_tol_s: float = TWITCH_TOL_S,
) -> list[tuple[int, int]]:
    """Match the ``label`` events of one recording one-to-one, best first.

    Returns ``(truth_index, pred_index)`` pairs, indices into the lists as given (events of
    other labels are ignored, not removed), sorted by truth index. Interval labels need IoU >=
    ``iou_min``; labels in `POINT_LABELS` (``twitch``) need centres within ``twitch_tol_s``;
    both need channel sets with Jaccard >= `CHANNEL_JACCARD_MIN`. Below, the two predictions
    with exact times fail the channel rule (Jaccard 0 and 1/3); the shifted one with Jaccard 1/2
    matches:

    >>> from emgspasm.events import Event
    >>> t = [Event(1.0, 2.0, "cramp", ["a"])]
    >>> p = [Event(1.0, 2.0, "cramp", ["b"]), Event(1.0, 2.0, "cramp", ["a", "b", "c"]),
    ...      Event(1.1, 2.1, "cramp", ["a", "b"])]
    >>> match_events(t, p, label="cramp")
    [(0, 2)]
    """
    vocab = vocabulary(truth, pred)
    t = event_table(truth, vocab, what="truth event")
    p = event_table(pred, vocab, what="predicted event")
    ti, pj = match_label(t, p, label, iou_min=iou_min, tol_s=twitch_tol_s)
    return list(zip(ti.tolist(), pj.tolist(), strict=True))


def _first_streamed(event: Event) -> float:
    """When the event's label was first streamed (NaN when it does not say)."""
    alerted = event.extra.get("alerted_at_s")
    if alerted is not None:
        return float(alerted)
    return np.nan if event.decided_at_s is None else float(event.decided_at_s)
