"""`Pipeline`: the one path from samples to events, for live streams, replays and batch files.

    samples --FrontEnd--> hop envelopes, window features
            --NoiseFloor + ActivityDetector--> active hops
            --EpisodeSegmenter--> closed episodes
            --episode_features + EpisodeModel--> labelled episodes
            --EventAssembler--> events

`push(block)` accepts any number of samples (≥ 1) and returns the events completed by them;
`flush()` ends the stream. Internally everything runs on whole hops of a grid anchored at the
first sample, so any chunking of the same input gives the same events (tested by property
tests), and each event's `decided_at_s` names the moment its label was decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emgspasm.alerts import Alert
from emgspasm.detect.activity import ActivityDetector
from emgspasm.detect.assembly import EventAssembler, LabelledEpisode
from emgspasm.detect.classifier import NONE_LABEL, EpisodeModel, load_model
from emgspasm.detect.config import DetectorConfig, DetectorGeometry
from emgspasm.detect.decision import decide, hidden_labels
from emgspasm.detect.episode_features import (
    FEATURE_NAMES,
    WINDOW_FEATURES,
    core_span,
    episode_features,
    refine_bounds,
)
from emgspasm.detect.feasibility import event_label, feasible_mask
from emgspasm.detect.front_end import FrontEnd
from emgspasm.detect.noise_floor import NoiseFloor
from emgspasm.detect.segmenter import Episode, EpisodeSegmenter
from emgspasm.detect.table import RowTable
from emgspasm.detect.valleys import RAIL_FEATURES, at_rail, split_at_valleys
from emgspasm.detect.window_table import WindowTable
from emgspasm.events import Event

ALERT_SPACING_GROWTH = 10
"""Past `ALERT_SPACING_GROWTH` steps, checkpoints are a tenth of the episode's age apart."""


def _checkpoints(start: int, head: int, step: int, first: int, last: int) -> list[int]:
    """Hops in [first, last] at which an episode that began at `start` is classified in
    progress: `head` hops after its start, then every `step` hops, the spacing growing to a
    tenth of the episode's age once that is longer. Each checkpoint re-reads the whole episode
    so far, so evenly spaced ones would cost the square of an episode's length (a 10-minute
    contraction: 1200 of them); growing ones cost a constant multiple of it, and a label that
    becomes decidable late in a long episode is still announced within a tenth of its age."""
    hops: list[int] = []
    offset = head
    while start + offset <= last:
        if start + offset >= first:
            hops.append(start + offset)
        offset += max(step, offset // ALERT_SPACING_GROWTH)
    return hops


NEIGHBOUR_SATELLITE_LABELS: tuple[str, ...] = ("voluntary", "cramp")
"""Labels a neighbour's crosstalk can carry (see `Pipeline._hosts`)."""


def _checked_pairs(pairs: Sequence[tuple[int, int]], n_channels: int,
                   what: str) -> list[tuple[int, int]]:
    """`pairs` as int tuples, each two distinct channels of `n_channels` (else ValueError
    naming the bad `what` pair: a montage typo must fail at start, not mid-session)."""
    out = [(int(a), int(b)) for a, b in pairs]
    for a, b in out:
        if not (0 <= a < n_channels and 0 <= b < n_channels) or a == b:
            raise ValueError(f"bad {what} pair {(a, b)} for {n_channels} channels")
    return out


def default_pairs(n_channels: int) -> list[tuple[int, int]]:
    """Consecutive channels are agonist/antagonist pairs: (0, 1), (2, 3), …"""
    return [(i, i + 1) for i in range(0, n_channels - 1, 2)]


class Pipeline:
    """Streaming detector and classifier for one multichannel recording.

    Parameters
    ----------
    fs : sampling rate in Hz (any rate from 200 Hz up).
    channels : channel names, in column order of the pushed samples.
    pairs : agonist/antagonist pairs as index tuples (default: consecutive channels).
    neighbours : index tuples of channels that see each other's crosstalk without being a
        pair (neighbouring armband sectors, two heads of one muscle; default: none). A
        burst whose neighbour carries `DetectorConfig.satellite_ratio` times its level at the
        same time is taken as that neighbour's crosstalk: it joins the neighbour's event and
        adds no event, and no channel, of its own.
    model : an `EpisodeModel`, a path to a model file, or None for the shipped default.
    collect : if True, classify nothing: log every episode's features in `episodes`
        (how `emgspasm train` builds its training set).
    alerts : announce sustained events while in progress (`take_alerts`; events then carry
        `alerted_at_s`). What a live stream wants; a batch analysis may skip it for speed.
    mains_hz, ecg_highpass_hz : filter options (see `emgspasm.dsp.design_emg_filter`).

    Examples
    --------
    >>> import numpy as np, emgspasm
    >>> p = emgspasm.Pipeline(fs=1000.0, channels=["ch1", "ch2"])
    >>> events = p.push(np.zeros((500, 2))) + p.flush()
    """

    def __init__(self, fs: float, channels: Sequence[str], *,
                 pairs: Sequence[tuple[int, int]] | None = None,
                 neighbours: Sequence[tuple[int, int]] = (),
                 config: DetectorConfig | None = None,
                 model: EpisodeModel | str | Path | None = None,
                 collect: bool = False,
                 alerts: bool = True,
                 mains_hz: tuple[float, ...] = (50.0, 60.0),
                 ecg_highpass_hz: float | None = None) -> None:
        self.fs = float(fs)
        self.channels = [str(c) for c in channels]
        n = len(self.channels)
        if n < 1:
            raise ValueError("need at least one channel")
        self.config = config or DetectorConfig()
        self.geo = DetectorGeometry.from_config(self.config, self.fs)
        self.pairs = _checked_pairs(pairs if pairs is not None else default_pairs(n), n,
                                    "channel")
        self._partner: dict[int, int] = {}
        for a, b in self.pairs:
            self._partner[a], self._partner[b] = b, a
        self.neighbours = _checked_pairs(neighbours, n, "neighbour")
        self._neighbours: dict[int, list[int]] = {}
        for a, b in self.neighbours:
            for x, y in ((a, b), (b, a)):
                if y not in self._neighbours.setdefault(x, []):
                    self._neighbours[x].append(y)
        self.collect = collect
        self.hidden = hidden_labels(self.fs, self.config)
        """Labels this recording cannot show at its rate, with the reason
        (docs/labels.md#saying-what-cannot-be-seen): they are never emitted, and callers tell the
        user once."""
        self.alerts = alerts and not collect
        self.model = None if collect else (
            model if isinstance(model, EpisodeModel) else load_model(model))
        self.episodes: list[dict] = []
        self._front = FrontEnd(self.fs, n, self.geo, self.config, mains_hz=mains_hz,
                               ecg_highpass_hz=ecg_highpass_hz)
        self._noise = NoiseFloor(2 * n, period=self.geo.noise_hops,
                                 memory=self.geo.noise_memory,
                                 quantile=self.config.noise_quantile,
                                 history_quantile=self.config.noise_history_quantile)
        self._activity = ActivityDetector(n, self.geo, self.config.flat_fraction)
        self._segmenter = EpisodeSegmenter(n, burst_gap=self.geo.burst_gap_hops,
                                           episode_gap=self.geo.episode_gap_hops,
                                           max_episode=self.geo.max_episode_hops)
        self._assembler = EventAssembler(
            self.channels, self.geo.hop_s, self._merge_gap_hops,
            lambda label, duration: event_label(label, duration, self.config),
            self._partner.get,
            lambda c: self._neighbours.get(c, ()),
            round(self.config.common_onset_s / self.geo.hop_s),
            satellite_labels=self.config.satellite_channel_labels,
            containment_wait_hops=round(self.config.containment_wait_s / self.geo.hop_s),
            fragment_max_hops=round(self.config.fragment_max_s / self.geo.hop_s),
            pair_overlap_min=self.config.pair_overlap_min)
        self._hops = RowTable()
        # Window features are computed only for the channels an episode reads them on.
        self._windows = WindowTable(self._front.pair_features, WINDOW_FEATURES, n)
        self._alerts: list[Alert] = []
        # (channel, start hop) of an episode in progress -> label -> hop it was announced at
        self._alerted: dict[tuple[int, int], dict[str, int]] = {}
        self._pending = np.zeros((0, n))
        self._next_hop = 0  # absolute index of the next hop to be processed
        self._skip = 0  # samples to drop after a gap to stay on the hop grid
        self._front_base = 0  # absolute hop index of the front end's hop 0 (moves at gaps)
        self.samples_in = 0
        self.samples_missing = 0
        self._last: np.ndarray | None = None  # the last sample that arrived (bridging starts there)
        self._hole = 0  # missing samples announced by an empty block, bridged at the next one
        self._held: list[tuple[int, int]] = []  # hop spans (first, last) lying in a bridged hole

    # -- public -------------------------------------------------------------------------
    def take_alerts(self) -> list[Alert]:
        """Alerts raised since the last call: sustained events announced while in progress
        (see `emgspasm.alerts`). Their events follow when they end, from `push`/`flush`."""
        alerts, self._alerts = self._alerts, []
        return alerts

    @property
    def time_s(self) -> float:
        """Stream time of the end of the last processed hop."""
        return self._next_hop * self.geo.hop_s

    def push(self, samples: np.ndarray, gap_before: int = 0) -> list[Event]:
        """Feed samples shaped (n, n_channels) in µV; return events completed by them.

        `gap_before` is the number of samples known to be missing just before this block
        (a dropped packet, an outage). A hole shorter than `DetectorConfig.bridge_gap_s` is bridged:
        lost packets must not split or relabel the events around them, so the filters run
        on through a straight line from the last sample to the next, the hole's hops hold
        the envelopes of the last one that arrived, and time stays exact. A longer hole could
        hide an event boundary: open episodes end there and the filters restart after it.
        The count is kept in `samples_missing` either way.
        """
        x = np.asarray(samples, dtype=np.float64)
        if x.ndim == 1 and len(self.channels) == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != len(self.channels):
            raise ValueError(f"expected samples shaped (n, {len(self.channels)}), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("samples contain NaN or inf; mark missing data as a gap instead")
        events: list[Event] = []
        self.samples_in += x.shape[0]
        arrived = x[-1].copy() if x.shape[0] else None
        hole, self._hole = self._hole + max(int(gap_before), 0), 0
        if hole >= self.geo.bridge_gap or (hole and self._last is None):
            events += self._gap(hole)
        elif hole and not x.shape[0]:
            self._hole = hole  # bridged when the sample after it arrives
        elif hole:
            x = self._bridge(hole, x)
        if arrived is not None:
            self._last = arrived
        if self._skip:
            drop = min(self._skip, x.shape[0])
            x, self._skip = x[drop:], self._skip - drop
        buf = np.concatenate([self._pending, x]) if self._pending.size else x
        n_hops = buf.shape[0] // self.geo.hop
        whole = n_hops * self.geo.hop
        self._pending = buf[whole:].copy()
        if n_hops:
            events += self._process(buf[:whole])
        return events

    def flush(self) -> list[Event]:
        """End of stream: close open episodes and emit everything still held."""
        self.samples_missing += self._hole  # a hole at the very end: nothing to bridge to
        self._hole = 0
        last = self._next_hop - 1
        self._classify(self._segmenter.close_all(last))
        events = self._assembler.release(last, [], final=True)
        self._trim()
        return events

    # -- internals ----------------------------------------------------------------------
    def _merge_gap_hops(self, label: str) -> int:
        return round(self.config.merge_gap_for(label) / self.geo.hop_s)

    def _process(self, block: np.ndarray) -> list[Event]:
        first = self._next_hop
        n_hops = block.shape[0] // self.geo.hop
        held = None
        if self._held:
            index = np.arange(first, first + n_hops)
            held = np.zeros(n_hops, dtype=bool)
            for a, b in self._held:
                held |= (index >= a) & (index <= b)
            self._held = [(a, b) for a, b in self._held if b >= first + n_hops]
        hopf, windows = self._front.process_rows(block, held)
        self._windows.add(windows.hop_index + self._front_base, windows.rows)
        n_ch = len(self.channels)
        floors = self._noise.observe(np.concatenate([hopf.level, hopf.broad_level], axis=1))
        floor, broad_floor = floors[:, :n_ch], floors[:, n_ch:]
        flags = self._activity.step(hopf.level, hopf.peak, hopf.broad_level, floor, broad_floor)
        self._hops.append(
            floor=floor, broad_floor=broad_floor,
            level=hopf.level, broad_level=hopf.broad_level, peak=hopf.peak,
            active=flags["active"], spike=flags["spike"], level_flag=flags["level"],
        )
        closed = self._segmenter.step(flags["active"], first)
        if self.alerts:
            self._announce_ongoing(closed, first, first + n_hops - 1)
        self._classify(closed)
        self._next_hop = first + n_hops
        events = self._assembler.release(self._next_hop - 1, self._segmenter.open_starts())
        self._settle_windows()
        self._trim()
        return events

    def _prepare_windows(self, episodes: Sequence[Episode]) -> None:
        """Compute, in one batch, the window features `episodes` will read: windows ending
        in [start, decision] on their channels and their partners' (a superset of what
        `at_rail` and `episode_features` read of them and of their pieces)."""
        if self._windows.stop == self._windows.start:
            return
        hop = self._windows.get("hop", self._windows.start, self._windows.stop)
        rows, cols = [], []
        for ep in episodes:
            lo, hi = np.searchsorted(hop, [ep.start_hop, ep.decided_hop + 1])
            for c in (ep.channel, self._partner.get(ep.channel)):
                if c is not None and hi > lo:
                    rows.append(np.arange(lo, hi) + self._windows.start)
                    cols.append(np.full(hi - lo, c))
        if rows:
            self._windows.ensure(np.concatenate(rows), np.concatenate(cols))

    def _settle_windows(self) -> None:
        """Window features of channels with an episode open (or whose partner has one) are
        computed now; other channels' are dropped once no episode can read them: one that
        opens later starts at a hop still to come and reads windows from its start on
        (`WindowTable`), and this keeps the same margin as `_trim`."""
        needed = np.zeros(len(self.channels), dtype=bool)
        for c, _ in self._segmenter.open_starts():
            needed[c] = True
            if c in self._partner:
                needed[self._partner[c]] = True
        self._windows.settle(needed, self._next_hop - self.geo.level_hops - 1
                             - self.geo.feature_hops)

    def _announce_ongoing(self, closed: list[Episode], first: int, last: int) -> None:
        """Classify sustained episodes in progress at their checkpoints among hops [first,
        last] on what they have shown up to each, and raise an alert for a sustained label.

        Checkpoints sit at fixed offsets from each episode's start (see `_checkpoints`) and see
        only hops up to themselves, so alerts and their decision times are the same however
        the stream was chunked.
        """
        cfg, hop_s = self.config, self.geo.hop_s
        min_hops = {"cramp": round(cfg.cramp_min_s / hop_s),
                    "rigidity": round(cfg.rigidity_min_s / hop_s)}
        step = max(1, round(cfg.alert_step_s / hop_s))
        head = min(min_hops.values()) - 1  # the first checkpoint's offset from the start
        # ... and the last one's, at most: before the horizon, and before the hop at which an
        # over-long episode is split (whether the split is seen at that hop or only when the
        # run crossing it arrives depends on the blocks, so no checkpoint may depend on it).
        horizon = min(round(cfg.alert_horizon_s / hop_s) - 1, self.geo.max_episode_hops - 2)
        spans = [(c, s, None) for c, s, _ in self._segmenter.open_spans()]
        spans += [(ep.channel, ep.start_hop, ep.decided_hop) for ep in closed]
        prefixes: list[Episode] = []
        for c, s, closes in spans:
            stop = min(last, s + horizon) if closes is None else min(last, s + horizon,
                                                                     closes - 1)
            for h in _checkpoints(s, head, step, first, stop):
                active = np.flatnonzero(self._hops.get("active", s, h + 1)[:, c])
                if not active.size:  # the rest of a split episode, not active again yet
                    continue
                prefixes.append(Episode(channel=c, start_hop=s, end_hop=s + int(active[-1]),
                                        bursts=[], decided_hop=h))
        if not prefixes:
            return
        assert self.model is not None
        feats = episode_features(prefixes, [self._partner.get(p.channel) for p in prefixes],
                                 self._hops, self._windows, self.geo, self.geo.burst_gap_hops)
        rhythm = feats[:, FEATURE_NAMES.index("rhythm_hz")]
        masks = np.vstack([feasible_mask(self.model.classes, (p.end_hop - p.start_hop + 1) *
                                         hop_s, (p.end_hop - p.start_hop + 1) * hop_s, r, cfg)
                           for p, r in zip(prefixes, rhythm, strict=True)])
        labels, confidence = decide(self.model, feats, masks, self.config, self.hidden)
        labels, confidence = self._implausible_as_artifact(prefixes, labels, confidence)
        hosts = self._hosts(prefixes, feats, labels)
        for p, label, conf, host in zip(prefixes, labels, confidence, hosts, strict=True):
            seen = self._alerted.setdefault((p.channel, p.start_hop), {})
            if (label not in min_hops or label in seen or host is not None
                    or conf < cfg.alert_min_confidence
                    or p.decided_hop - p.start_hop + 1 < min_hops[label]):
                continue
            seen[label] = p.decided_hop
            onset, _ = refine_bounds(p, self._hops, self.geo, cfg.onset_refine_sigma)
            self._alerts.append(Alert(label=label, channel=self.channels[p.channel],
                                      start_s=onset * hop_s,
                                      decided_at_s=(p.decided_hop + 1) * hop_s,
                                      confidence=float(conf)))

    def _implausible_as_artifact(self, episodes: Sequence[Episode], labels: list[str],
                                 confidence: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Episodes whose band-passed peak no muscle can produce (`max_plausible_uv`) are
        artifacts, with full confidence, whatever the classifier made of their shape (it saw
        a lone 1e5 µV sample as a twitch). Unless the recording cannot show artifacts at all
        (`hidden`): then nothing is said about them."""
        if "artifact" in self.hidden or not episodes:
            return labels, confidence
        ceiling = self.config.max_plausible_uv
        peaks = np.array([self._hops.get("peak", ep.start_hop, ep.end_hop + 1)[:, ep.channel]
                          .max(initial=0.0) for ep in episodes])
        implausible = peaks > ceiling
        if not implausible.any():
            return labels, confidence
        confidence = np.where(implausible, 1.0, confidence)
        return ["artifact" if bad else label
                for label, bad in zip(labels, implausible, strict=True)], confidence

    def _hosts(self, episodes: Sequence[Episode], feats: np.ndarray,
               labels: Sequence[str]) -> list[int | None]:
        """The channel each episode is crosstalk or co-activation of, or None: its partner if
        the partner carries `satellite_ratio` times its level over the episode; else, for a
        label in `NEIGHBOUR_SATELLITE_LABELS`, the told neighbour that does so throughout: the
        median over the episode's hops of the neighbour's level over its own (crosstalk is a
        steady fraction of its source; a brief burst next door during a long weak contraction
        is not its source). Such an episode's label is that channel's business. Artifacts are
        never a neighbour's (an electrode's motion is its own; common-mode ones join by
        onset), nor is rigidity (weak by nature: a louder hold next door would swallow it;
        measured on the independent generator's armband profile, rigidity recall fell from
        0.82 to 0.68 when it was)."""
        ratio = self.config.satellite_ratio
        log_ratio = feats[:, FEATURE_NAMES.index("partner_log_ratio")]
        has_partner = feats[:, FEATURE_NAMES.index("has_partner")] > 0
        by_partner = has_partner & (log_ratio >= np.log10(ratio))
        hosts: list[int | None] = []
        for ep, partner_carries, label in zip(episodes, by_partner, labels, strict=True):
            near = self._neighbours.get(ep.channel)
            if partner_carries or not near or label not in NEIGHBOUR_SATELLITE_LABELS:
                hosts.append(self._partner[ep.channel] if partner_carries else None)
                continue
            level = self._hops.get("level", ep.start_hop, ep.end_hop + 1)
            over = np.median(level[:, near] / np.maximum(level[:, [ep.channel]], 1e-12), axis=0)
            j = int(np.argmax(over))
            hosts.append(near[j] if over[j] >= ratio else None)
        return hosts

    def _classify(self, closed: list[Episode]) -> None:
        """Features for each closed episode (split at its deep valleys), then one classifier
        call for the batch."""
        if not closed:
            return
        quiet = max(1, round(self.config.episode_gap_s / self.geo.hop_s))
        self._prepare_windows(closed)
        rails = [WINDOW_FEATURES.index(k) for k in RAIL_FEATURES]
        closed = [piece for ep in closed for piece in (
            [ep] if at_rail(self._windows, rails, ep) else split_at_valleys(
                ep, self._hops.get("level", ep.start_hop, ep.end_hop + 1)[:, ep.channel],
                self.config.valley_fraction, quiet))]
        bounds = [refine_bounds(ep, self._hops, self.geo, self.config.onset_refine_sigma)
                  for ep in closed]
        feats = episode_features(closed, [self._partner.get(ep.channel) for ep in closed],
                                 self._hops, self._windows, self.geo, self.geo.burst_gap_hops)
        hop_s = self.geo.hop_s
        cores = [core_span(ep, self._hops, self.config.twitch_core_fraction) for ep in closed]
        if self.collect:
            self.episodes += [{"channel": ep.channel, "start_s": on * hop_s,
                               "end_s": (off + 1) * hop_s, "features": f}
                              for ep, (on, off), f in zip(closed, bounds, feats, strict=True)]
            return
        assert self.model is not None
        self._assembler.observe_closed([(ep.channel, ep.start_hop, ep.decided_hop)
                                        for ep in closed])
        rhythm = feats[:, FEATURE_NAMES.index("rhythm_hz")]
        masks = np.vstack([feasible_mask(self.model.classes, (b - a + 1) * hop_s,
                                         (off - on + 1) * hop_s, r, self.config)
                           for (a, b), (on, off), r in zip(cores, bounds, rhythm, strict=True)])
        labels, confidence = decide(self.model, feats, masks, self.config, self.hidden)
        labels, confidence = self._implausible_as_artifact(closed, labels, confidence)
        hosts = self._hosts(closed, feats, labels)
        alerted = [self._alerted.pop((ep.channel, ep.start_hop), {}) for ep in closed]
        labelled = []
        for ep, (on, off), core, label, conf, host, said in zip(
                closed, bounds, cores, labels, confidence, hosts, alerted, strict=True):
            if label == NONE_LABEL:
                continue
            if label == "twitch":
                on, off = core
            peak = self._hops.get("peak", ep.start_hop, ep.end_hop + 1)[:, ep.channel]
            labelled.append(LabelledEpisode(
                channel=ep.channel, start_hop=ep.start_hop, end_hop=ep.end_hop,
                onset_hop=on, offset_hop=off, label=label, confidence=float(conf),
                decided_hop=ep.decided_hop,
                extra={"peak_uv": float(peak.max()) if peak.size else 0.0},
                satellite=host is not None and label != "twitch",  # a fasciculation is its own
                host=host,
                alerted=said,
            ))
        self._assembler.add(labelled)

    def _trim(self) -> None:
        starts = [s for _, s in self._segmenter.open_starts()]
        keep_from = (min(starts) if starts else self._next_hop) - self.geo.level_hops - 1
        self._hops.trim_before(keep_from)
        if self._windows.stop == self._windows.start:
            return
        hop_idx = self._windows.get("hop", self._windows.start, self._windows.stop)
        old = int(np.searchsorted(hop_idx, keep_from - self.geo.feature_hops))
        self._windows.trim_before(self._windows.start + old)

    def _bridge(self, n_missing: int, x: np.ndarray) -> np.ndarray:
        """`x` preceded by a straight line from the last sample over the hole's length, and
        the hops the hole covers marked to be held (see `push`)."""
        assert self._last is not None
        self.samples_missing += n_missing
        ramp = np.arange(1, n_missing + 1)[:, None] / (n_missing + 1.0)
        fill = self._last + (x[0] - self._last) * ramp
        hop = self.geo.hop
        # absolute index of the first fill sample (after a long gap `_skip` samples of what
        # comes next are dropped to stay on the hop grid, and nothing is pending then)
        start = self._next_hop * hop + self._pending.shape[0] - self._skip
        stop = start + n_missing - 1
        if stop >= self._next_hop * hop:
            self._held.append((max(start, self._next_hop * hop) // hop, stop // hop))
        return np.concatenate([fill, x])

    def _gap(self, n_missing: int) -> list[Event]:
        """Close everything at the hole, restart filters, and move the hop grid past it."""
        last = self._next_hop - 1
        self._classify(self._segmenter.close_all(last))
        events = self._assembler.release(last, [], final=True)
        self.samples_missing += n_missing
        self._last = None
        self._held = []
        position = self._next_hop * self.geo.hop + self._pending.shape[0] + n_missing
        self._pending = self._pending[:0]
        next_hop = -(-position // self.geo.hop)
        self._skip = next_hop * self.geo.hop - position
        self._front.restart()
        self._activity.reset()
        self._front_base += next_hop - self._next_hop
        self._next_hop = next_hop
        self._hops.trim_before(self._hops.stop)
        self._hops.start = self._next_hop
        self._windows.trim_before(self._windows.stop)
        return events
