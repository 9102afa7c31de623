"""Streaming ECG-crosstalk remover for the activity envelopes: tracked heartbeats never open
episodes, and a fasciculation between two beats stays isolated.

Why envelopes, not the signal: a causal detector knows a beat's alignment only some
milliseconds into the QRS, so sample-causal template subtraction leaves the QRS head (and the
whole P wave, 150-200 ms before R) in the signal, and with RR variability of 2-6 % a beat time
*predicted* from the rhythm is off by 20-60 ms -- more than a QRS is wide. But the front end
emits envelopes once per hop, at the hop's end, so the hop's value may use every sample up to
that end without delaying anything: at each hop end the learned template is fitted (fixed shape;
its position searched only within the window the tracked rhythm allows, then refined to a
fraction of a sample with an amplitude within `FIT_SCALE`) to the last `FIT_S` of signal, and
the hop's mean square and peak are taken on the residual. A twitch is not "fitted away": the
template's shape is fixed and its amplitude bounded, so at best it removes what really is a
beat.

Measured (2 kHz, white noise σ, ECG of the simulator's P-QRS-T template, R peak 5-60 σ, 70 bpm,
4 % RR variability; hops from 8 s on, values relative to an ECG-free channel's medians): the
wide-band path is what ECG trips first (an R of 3 σ already made 300 of 3000 hops active, 15 σ
made 2/3 of them active, P and T waves included), so the band-passed level/peak *and* the
wide-band level are corrected, each with its own template. 99th percentile of the band level
without/with removal: 1.65/1.25, 3.8/1.27, 7.3/1.28, 14.5/1.35 at R = 5, 15, 30, 60 σ (1.25 on
the ECG-free channel); largest hop peak 2.7/2.1, 4.1/2.3, 7.0/2.4, 12.9/2.5 (noise alone 2.1);
wide-band level 2.7/1.19, 7.4/1.22, 14.7/1.36, 29/2.2. Through the whole Pipeline (40 s, R 15 σ,
10 twitches of 15 σ midway between beats; tests/dsp/test_ecg.py): episodes that are not a
twitch 31 -> 4 (the 4 beats before the lock, all in the first 4 s), 46 -> 4 with 5 σ mains hum
as well; twitches found as short isolated episodes 10/10 in both. Channels without a locked
beat train: bit-identical. Cost (8 channels, 2 kHz, 10 s pushes): +1.2 ms per second of signal
without ECG, +13 ms per second per ECG channel (Python per hop of a locked channel, ~45 µs
each: a batched fit over the hops between two beats would remove most of it).

Why not sample-domain subtraction: tried on paper first -- the unsubtracted head before a causal
alignment is the P wave and the QRS upstroke, which alone exceed the spike and wide-band
thresholds for R ≥ 10 σ; the envelope-level fit above has no head.

Method, per channel:
1. QRS detection on a 8-30 Hz band-pass of the wide-band signal (where the QRS energy is),
   notched at the candidate mains fundamentals: a crossing of `DETECT_Z` noise floors starts a
   candidate, read at its largest positive and at its largest negative q in the next
   `QRS_WINDOW_S`. Candidates are `REFRACTORY_S` apart.
2. Lock: the last `LOCK_BEATS` candidates, read at one lobe (the larger where both qualify),
   have RR intervals in [`RR_MIN_S`, `RR_MAX_S`] (an interval spanning a beat the detector
   missed counts as two, up to `MAX_SKIPPED`), RR coefficient of variation below
   `RR_CV_MAX`, amplitudes within `AMP_RATIO_MAX`, band-passed shapes correlating with
   their mean by `SHAPE_MIN` and a QRS's spectrum (`QRS_BAND_RATIO_MAX`, which a motor unit's
   lacks). Only a locked channel is touched: others come out bit-identical.
3. Locked: the next R is searched in last + RR ± `SEARCH_SD`·sd(RR) (at least
   `SEARCH_MIN_S`); accepted within [`ACCEPT_LO`, `ACCEPT_HI`] of the tracked amplitude.
   Templates (band and wide-band) are exponential averages (`TEMPLATE_ALPHA`) over beats whose
   residual after subtraction is within `GATE` of the noise (a twitch or a contraction in the
   beat is not learned). `MAX_MISSES` missed beats in a row unlock the channel.
Thresholds are multiples of each channel's own floor (minimum statistics of hop mean squares,
`FLOOR_QUANTILE` of each second, lowest over `FLOOR_MEMORY_S`), durations in seconds -> samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal, stats

from emgspasm.dsp.filters import NOTCH_NYQUIST_GUARD, StreamingFilter, notch_sections

__all__ = ["EcgCanceller"]

DETECT_Z: float = 4.0
"""A QRS candidate starts where the 8-30 Hz signal exceeds this many noise RMS (Gaussian noise
does so about once per 3 million samples)."""
QRS_BAND_HZ: tuple[float, float] = (8.0, 30.0)
QRS_WINDOW_S: float = 0.06
REFRACTORY_S: float = 0.25
RR_MIN_S: float = 0.5
RR_MAX_S: float = 1.6
"""Heart periods a lock accepts: 37.5-120 bpm. A resting heart beats at 40-50 bpm in many
healthy people (in sleep, in athletes, on beta blockers); with 1.3 s (46 bpm) a 45 bpm heart
never locked and every beat became an episode."""
RR_CV_MAX: float = 0.12
LOCK_BEATS: int = 4
AMP_RATIO_MAX: float = 1.6
QRS_BAND_RATIO_MAX: float = 2.5
"""A train locks only if its candidates' EMG-band (20-450 Hz) peak is at most this many times
their 8-30 Hz peak (median over the train): a QRS's energy lies below ~30 Hz, a motor unit's
above ~50 Hz. Without it, a fasciculating unit or a rhythmic burst with a repeated shape locked
like a heart and was subtracted (measured on the independent generator's lab profile: locks on
ECG channels 0.7-1.3, one 3.3; on channels without ECG 1.8-15; twitch F1 there 0.76 -> 0.79)."""
SHAPE_MIN: float = 0.7
SEARCH_SD: float = 4.0
SEARCH_MIN_S: float = 0.06
ACCEPT_LO: float = 0.6
ACCEPT_HI: float = 1.6
TEMPLATE_ALPHA: float = 0.2
GATE: float = 3.0
"""A beat is learned from if the residual energy over its template span is at most this many
times the noise energy there (a contraction in the beat raises it) ..."""
GATE_FALSE_REJECT: float = 0.01
"""... and no residual sample stands out of Gaussian noise by more than the extreme-value
bound at which a clean beat is rejected this often: sqrt(2 ln(L / GATE_FALSE_REJECT)) noise RMS
for a span of L samples (4.8 at 1 kHz over the 0.85 s wide-band span). An energy gate alone
let a 15x-noise twitch between two beats into the wide-band template (measured: its ghost then
tripped the wide-band detector 0.4 s after every later beat)."""
MAX_SKIPPED: int = 1
"""Beats a lock may skip between two of its candidates (`_beat_intervals`)."""
MAX_MISSES: int = 3
"""Beats missing in a row (in a window not masked by other activity) that unlock a channel."""
REFINE_S: float = 0.006
"""A found R is re-aligned within ± this by least squares of the band template on the band
signal: the 8-30 Hz peak moves by a few samples with noise and with hum (which that band keeps
in part), and a 2-sample misalignment of a 20x-noise QRS leaves a residual that lifts the
level (measured under 5x hum: one-hop episodes at R + 80 ms on 4 of 44 beats before this)."""
QRS_HALF_S: float = 0.03
"""An R is taken once this much signal after it is seen (the peak is then known to be one)."""
BAND_SPAN_S: tuple[float, float] = (-0.06, 0.10)
BROAD_SPAN_S: tuple[float, float] = (-0.30, 0.55)
BROAD_TEMPLATE_LOWPASS_HZ: float = 40.0
"""The wide-band template is low-passed (zero phase: it is a stored shape, not a stream) below
mains: the wide-band path is not hum-cancelled, an average of 5-10 beats keeps a third of the
hum, and a template carrying hum let the position search cancel *hum* (measured: the wide-band
floor fell from 3.6 to 1.5 noise RMS under 5x hum and every hop became active). P and T waves
lie below 15 Hz; the QRS content above 40 Hz is what the band path handles."""
FIT_S: float = 0.03
SEARCH_STEP_S: float = 0.001
BROAD_SEARCH_STEP_S: float = 0.002
"""Position grid of the hop-end template fit: 1 ms for the band template (a QRS after the
20 Hz high-pass moves ~a tenth of its peak per ms), 2 ms for the wide-band one, fitted before
the QRS to the P wave alone (20-30 ms wide; after the QRS the beat's found position is used)."""
FIT_GAIN_Z: float = 4.0
"""The template is subtracted from a hop only if that reduces the fit window's energy by more
than FIT_GAIN_Z² noise variances (a matched filter's detection at FIT_GAIN_Z sigma)."""
FIT_SCALE: tuple[float, float] = (0.7, 1.4)
"""Range of the amplitude a beat's template is fitted with in a fit window (beat amplitude
moves with breathing and posture by 10-30 %)."""
FIT_MAX_SHIFT: float = 1.0
"""Largest sub-sample shift (samples) a beat's template is fitted with. A beat falls anywhere
between two samples, and the template is placed at whole samples: at 200-250 Hz that is up to
2.5 ms off, and a QRS of 60x the noise left the band level's 99th percentile at 2.4x the floor
(1.5x with the fit; tests/dsp/test_ecg.py)."""
FLOOR_PERIOD_S: float = 1.0
FLOOR_MEMORY_S: float = 60.0
FLOOR_HISTORY_QUANTILE: float = 0.1
"""Noise floor per channel and signal: each second's median hop mean square, turned into a
variance by the chi-square median of its degrees of freedom (2·B·hop: the 8-30 Hz QRS band has
under one per hop, so a low quantile of hop values would sit far below the noise), then this
quantile of the remembered seconds."""
HISTORY_S: float = 1.6


_CHI2_1_MEDIAN: float = float(stats.chi2.median(1))


def _lower_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(x, q, axis=0, method="lower")`` as one partition: the "lower" quantile is
    the order statistic at ``floor(q * (n - 1))``, a selection with no arithmetic on values,
    so the same numbers; `np.quantile` costs ~15x more in Python overhead on these small
    arrays (once per second of signal per floor)."""
    rank = math.floor(q * (x.shape[0] - 1))
    return np.partition(x, rank, axis=0)[rank]


@dataclass
class _Chan:
    locked: bool = False
    cands: list[tuple[tuple[int, float, np.ndarray], ...]] = field(default_factory=list)
    """Recent QRS candidates, each as its (R sample, q value, band segment) at the
    positive and at the negative lobe."""
    cluster: int = -1  # first crossing of a candidate being completed
    search_from: int = 0
    last: int = 0
    rr: float = 0.0
    rr_var: float = 0.0
    amp: float = 0.0
    misses: int = 0
    band_t: np.ndarray | None = None
    broad_t: np.ndarray | None = None
    band_d: np.ndarray | None = None  # per-sample derivatives of the templates (the
    broad_d: np.ndarray | None = None  # sub-sample part of the fit, `_fitted`)
    broad_raw: np.ndarray | None = None  # the wide-band average before its low-pass
    beats: list[int] = field(default_factory=list)  # confirmed R's still overlapping
    pending: list[tuple[int, str]] = field(default_factory=list)


def _beat_intervals(r: np.ndarray) -> np.ndarray:
    """The RR intervals of candidate R times `r` (s), each interval divided by the number of
    beats it spans when a beat between two candidates was missed (a gap of up to
    `MAX_SKIPPED` + 1 times the shortest interval; a longer one returns no intervals): a weak
    heart's QRS crosses the detection threshold on most beats, not all, and requiring four
    crossings in a row kept such a channel from locking for minutes (seen on the independent
    generator: its beats then became an `artifact` episode every one to three seconds)."""
    rr = np.diff(r)
    if rr.size == 0:
        return rr
    k = np.rint(rr / rr.min())
    return rr / k if k.max() <= MAX_SKIPPED + 1 else rr[:0]


class _History:
    """The last samples of one signal (rows × channels), appended to push by push in amortised
    O(new samples): a buffer with room for twice what it holds, shifted down only when full.
    Joining with `np.concatenate` instead copied everything kept (1.6 s) at every push: with
    10-20 ms live pushes at 128 channels, 50-100 copies of the history a second per signal
    (profiled: 0.95 s of a 10 s live session's main thread, more than the whole pipeline's
    filtering)."""

    def __init__(self, n_channels: int) -> None:
        self._data = np.zeros((0, n_channels))
        self._lo = self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    def view(self) -> np.ndarray:
        return self._data[self._lo:self._hi]

    def extend(self, new: np.ndarray) -> np.ndarray:
        """Append `new`; the held samples followed by it, as a view valid until the next
        call."""
        held, k = self._hi - self._lo, new.shape[0]
        if self._hi + k > self._data.shape[0]:
            if 2 * (held + k) > self._data.shape[0]:
                data = np.empty((2 * (held + k), new.shape[1]), dtype=new.dtype)
            else:
                data = self._data  # room enough once shifted down (numpy handles the overlap)
            data[:held] = self._data[self._lo:self._hi]
            self._data, self._lo, self._hi = data, 0, held
        self._data[self._hi:self._hi + k] = new
        self._hi += k
        return self.view()

    def keep_last(self, keep: int) -> None:
        self._lo = max(self._lo, self._hi - keep)

    def replace(self, rows: np.ndarray) -> None:
        self._lo = self._hi = 0
        self.extend(rows)


class _Joined(dict):
    """Each signal's held samples followed by this push's, joined when first read: a push in
    which no channel looks back at a signal (no candidate, no lock) never copies it whole."""

    def __init__(self, held: dict[str, _History], new: dict[str, np.ndarray]) -> None:
        super().__init__()
        self._held, self._new = held, new

    def __missing__(self, kind: str) -> np.ndarray:
        value = self[kind] = self._held[kind].extend(self._new[kind])
        return value

    def retire(self, keep: int) -> None:
        """Keep the last `keep` samples of every signal for the next push."""
        for kind, hist in self._held.items():
            new = self._new[kind]
            if kind not in self and new.shape[0] >= keep:
                hist.replace(new[new.shape[0] - keep:])
                continue
            if kind not in self:
                hist.extend(new)
            hist.keep_last(keep)


class EcgCanceller:
    """Correct per-hop envelopes (band mean square and peak, wide-band mean square) for tracked
    heartbeats; feed whole hops of the band-passed and wide-band signals."""

    def __init__(self, fs: float, n_channels: int, hop: int,
                 mains_hz: tuple[float, ...] = ()) -> None:
        self.fs = float(fs)
        self.n_channels = int(n_channels)
        self.hop = int(hop)
        s = self._s
        self.qrs_window, self.refractory = s(QRS_WINDOW_S), s(REFRACTORY_S)
        self.qrs_half = s(QRS_HALF_S)
        self.band_span = (s(BAND_SPAN_S[0]), s(BAND_SPAN_S[1]))
        self.broad_span = (s(BROAD_SPAN_S[0]), s(BROAD_SPAN_S[1]))
        self.fit = max(self.hop, s(FIT_S))
        self.history = s(HISTORY_S)
        self.stride = max(1, round(self.fs * SEARCH_STEP_S))
        self.broad_stride = max(1, round(self.fs * BROAD_SEARCH_STEP_S))
        high = min(QRS_BAND_HZ[1], 0.45 * self.fs)
        # Notched at each candidate mains fundamental: a 4-pole 30 Hz edge passes a third of
        # 50 Hz hum, and hum at a few times the noise then set the candidates' floor above
        # the QRS of a weak heart (measured on the independent generator: no channel ever
        # locked, every beat became an episode). The QRS band itself loses nothing.
        fundamentals = [f for f in mains_hz if f < NOTCH_NYQUIST_GUARD * 0.5 * self.fs]
        self._qsos = np.concatenate([
            signal.butter(2, (QRS_BAND_HZ[0], high), "bandpass", fs=self.fs, output="sos"),
            notch_sections(self.fs, fundamentals)])
        self._lp = signal.butter(4, min(BROAD_TEMPLATE_LOWPASS_HZ, 0.4 * self.fs), "lowpass",
                                 fs=self.fs, output="sos")
        self.period = max(1, round(FLOOR_PERIOD_S * self.fs / self.hop))
        self.memory = max(1, round(FLOOR_MEMORY_S / FLOOR_PERIOD_S))
        hop_s = self.hop / self.fs
        bands = ((QRS_BAND_HZ[0], high), (20.0, min(450.0, 0.45 * self.fs)),
                 (2.0, 0.5 * self.fs))
        dof = np.array([max(2.0 * (b - a) * hop_s, 0.5) for a, b in bands])
        self._median_ratio = (stats.chi2.median(dof) / dof)[:, None]
        self.restart()

    def _s(self, seconds: float) -> int:
        return round(seconds * self.fs)

    @property
    def locked(self) -> np.ndarray:
        """Per channel: is a beat train being tracked (and removed)?"""
        return np.array([c.locked for c in self._ch])

    def restart(self) -> None:
        """After a gap: nothing tracked, floors and filter from silence."""
        n = self.n_channels
        self._q = StreamingFilter(self._qsos, n)
        self._n = 0
        self._buf = {k: _History(n) for k in ("q", "band", "broad")}
        self._period_ms: list[np.ndarray] = []  # (hops, 3, channels) pieces of a period
        self._hist = np.zeros((0, 3, n))  # per-period floors remembered, oldest first
        self._floor = np.full((3, n), np.inf)  # q, band, broad mean-square floors
        self._ch = [_Chan() for _ in range(n)]

    # -- public -------------------------------------------------------------------------
    def process(self, band: np.ndarray, broad: np.ndarray, ms: np.ndarray, peak: np.ndarray,
                msb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Whole hops of band-passed and wide-band samples with their per-hop mean squares and
        peaks; returns those envelopes corrected where a locked channel has a beat."""
        hop = self.hop
        n_hops = band.shape[0] // hop
        if n_hops == 0:  # an empty block: nothing to do (the filter state is unchanged)
            return ms.copy(), peak.copy(), msb.copy()
        q = self._q.process(broad)
        start = self._n
        base = start - len(self._buf["q"])
        new = {"q": q, "band": band, "broad": broad}
        sig = _Joined(self._buf, new)
        sq = np.ascontiguousarray(q.T) ** 2  # (channels, samples)
        msq = np.mean(sq.reshape(q.shape[1], n_hops, hop), axis=-1).T
        floors = self._floors(np.stack([msq, ms, msb]))  # (3, hops, channels)
        ms, peak, msb = ms.copy(), peak.copy(), msb.copy()
        thr = DETECT_Z ** 2 * floors[0]
        hot = np.max(sq.reshape(q.shape[1], n_hops, hop), axis=-1).T > thr
        for c, ch in enumerate(self._ch):
            # A channel that tracks nothing (not locked, no candidate, no beat to learn from)
            # has nothing to do until its next hot hop: jump there instead of testing every
            # hop in Python (the test was 1 s of a 1-hour 8-channel analysis without ECG).
            hot_hops = np.flatnonzero(hot[:, c])
            h = 0
            while h < n_hops:
                if not (ch.locked or ch.cluster >= 0 or ch.pending):
                    k = int(np.searchsorted(hot_hops, h))
                    if k == hot_hops.size:
                        break
                    h = int(hot_hops[k])
                e = start + (h + 1) * hop  # absolute end of this hop
                fl = floors[:, h, c]
                if ch.locked:
                    self._correct(ch, c, sig, base, e, fl, ms, peak, msb, h)
                self._track(ch, c, sig, base, e, fl, bool(hot[h, c]))
                h += 1
        self._n = start + band.shape[0]
        sig.retire(self.history)
        return ms, peak, msb

    # -- internals ----------------------------------------------------------------------
    def _floors(self, ms: np.ndarray) -> np.ndarray:
        """Floor in force at each hop (3, hops, channels): known before the hop's period.

        All floor periods a push completes are reduced at once: one median over
        (periods, hops, 3, channels) and one partition over the sliding windows of the
        remembered medians -- selections and a mean of the two middle values, so the same
        numbers as one period at a time."""
        by_hop = ms.transpose(1, 0, 2)  # (hops, 3, channels): one row per hop, as collected
        n, period = ms.shape[1], self.period
        held = sum(p.shape[0] for p in self._period_ms)
        done = (held + n) // period  # periods completed in this push
        if done == 0:
            self._period_ms.append(by_hop)
            return np.repeat(self._floor[:, None, :], n, axis=1)
        used = done * period - held  # this push's hops in the completed periods
        rows = np.concatenate([*self._period_ms, by_hop[:used]])
        med = np.median(rows.reshape(done, period, *rows.shape[1:]), axis=1) \
            / self._median_ratio  # (periods, 3, channels)
        hist = np.concatenate([self._hist, med])
        old, memory = self._hist.shape[0], self.memory
        floors = np.empty((done + 1, *med.shape[1:]))
        floors[0] = self._floor
        size = np.minimum(old + 1 + np.arange(done), memory)  # remembered after each period
        for j in np.flatnonzero(size < memory):  # only while the memory fills
            floors[j + 1] = _lower_quantile(hist[:old + j + 1], FLOOR_HISTORY_QUANTILE)
        full = np.flatnonzero(size == memory)
        if full.size:
            rank = math.floor(FLOOR_HISTORY_QUANTILE * (memory - 1))
            win = np.lib.stride_tricks.sliding_window_view(hist, memory, axis=0)
            floors[full + 1] = np.partition(win[old + full + 1 - memory], rank,
                                            axis=-1)[..., rank]
        self._hist = hist[max(0, hist.shape[0] - memory):]
        self._floor = floors[-1]
        self._period_ms = [by_hop[used:]] if used < n else []
        which = (held + np.arange(n)) // period  # 0: the floor from before this push
        return np.ascontiguousarray(floors[which].transpose(1, 0, 2))

    def _seg(self, sig: dict, base: int, kind: str, c: int, r: int,
             span: tuple[int, int], e: int) -> np.ndarray:
        # Only `history` samples before the hop's end count as held, however much of the
        # current block is in `sig`: what is seen must not depend on the block sizes.
        if r + span[0] < max(base, e - self.history):  # no longer held: an empty segment
            return sig[kind][:0, c]
        return sig[kind][r + span[0] - base:r + span[1] - base, c]

    def _track(self, ch: _Chan, c: int, sig: dict, base: int, e: int, fl: np.ndarray,
               hot: bool) -> None:
        # Templates learn from beats once their span has been seen.
        for r, kind in list(ch.pending):
            span = self.band_span if kind == "band" else self.broad_span
            if e < r + span[1]:
                continue
            ch.pending.remove((r, kind))
            seg = self._seg(sig, base, kind, c, r, span, e)
            if seg.shape[0] != span[1] - span[0] or not ch.locked:
                continue
            attr = "band_t" if kind == "band" else "broad_raw"
            t = getattr(ch, attr)
            var = fl[1] if kind == "band" else fl[2]
            if t is None:
                self._set(ch, attr, seg.copy())
                continue
            res = seg - (t if kind == "band" else ch.broad_t)
            z = math.sqrt(2.0 * math.log(seg.shape[0] / GATE_FALSE_REJECT))
            if np.sum(res * res) <= GATE * var * seg.shape[0] \
                    and np.max(np.abs(res)) <= z * math.sqrt(var):
                self._set(ch, attr, t + TEMPLATE_ALPHA * (seg - t))
        if ch.locked:
            self._confirm(ch, c, sig, base, e, fl)
            return
        q = sig["q"]
        if ch.cluster < 0 and hot:
            lo = max(e - self.hop, ch.search_from)
            seg = q[lo - base:e - base, c] ** 2
            idx = np.flatnonzero(seg > DETECT_Z ** 2 * fl[0])
            if idx.size:
                ch.cluster = lo + int(idx[0])
        need = ch.cluster + self.qrs_window + self.band_span[1]
        if ch.cluster < 0 or e < need:
            return
        w = q[ch.cluster - base:ch.cluster + self.qrs_window - base, c]
        # Both lobes: after a high-pass a QRS is biphasic with lobes of similar size, so which
        # one is the larger can flip from beat to beat with noise and hum (seen on the
        # independent generator: R read at +18/-20 alternately); the train is read at one lobe.
        lobes = []
        for r in (ch.cluster + int(np.argmax(w)), ch.cluster + int(np.argmin(w))):
            lobes.append((r, float(q[r - base, c]),
                          self._seg(sig, base, "band", c, r, self.band_span, e).copy()))
        ch.cluster = -1
        ch.search_from = max(x[0] for x in lobes) + self.refractory
        ch.cands = [*ch.cands, (lobes[0], lobes[1])][-LOCK_BEATS:]
        self._try_lock(ch)

    def _set(self, ch: _Chan, attr: str, value: np.ndarray) -> None:
        setattr(ch, attr, value)
        if attr == "band_t":
            ch.band_d = np.gradient(value)
        elif attr == "broad_raw":
            ch.broad_t = signal.sosfiltfilt(self._lp, value)
            ch.broad_d = np.gradient(ch.broad_t)

    def _try_lock(self, ch: _Chan) -> None:
        if len(ch.cands) < LOCK_BEATS:
            return
        trains = [(beats, rr) for beats in ([x[lobe] for x in ch.cands] for lobe in (0, 1))
                  if (rr := self._train_rr(beats)) is not None]
        if not trains:
            return
        # Read at the larger lobe where both make a train: its timing is the least noisy.
        beats, rr = max(trains, key=lambda t: float(np.mean([abs(x[1]) for x in t[0]])))
        ch.locked = True
        self._set(ch, "band_t", np.mean([x[2] for x in beats], axis=0))
        ch.broad_t, ch.broad_raw = None, None
        ch.last = int(beats[-1][0])
        ch.rr, ch.rr_var = float(rr.mean()) * self.fs, float(np.var(rr)) * self.fs ** 2
        ch.amp, ch.misses = float(np.mean([x[1] for x in beats])), 0
        ch.beats = [int(x[0]) for x in beats]
        ch.pending = [(int(x[0]), "broad") for x in beats]

    def _train_rr(self, beats: list[tuple[int, float, np.ndarray]]) -> np.ndarray | None:
        """The RR intervals (s) of these candidate R's (sample, q value, band segment) if they
        make a heartbeat train -- RR in range and steady, one polarity, similar amplitudes and
        shapes, QRS-like in spectrum (`QRS_BAND_RATIO_MAX`) -- else None."""
        rr = _beat_intervals(np.array([x[0] for x in beats], dtype=float) / self.fs)
        a = np.array([x[1] for x in beats])
        segs = [x[2] for x in beats]
        if (rr.size == 0 or rr.min() < RR_MIN_S or rr.max() > RR_MAX_S
                or np.std(rr) > RR_CV_MAX * rr.mean()
                or not (np.all(a > 0) or np.all(a < 0))
                or np.abs(a).max() > AMP_RATIO_MAX * np.abs(a).min()
                or any(s.shape != segs[0].shape for s in segs)
                or np.median([np.max(np.abs(s), initial=0.0) for s in segs] / np.abs(a))
                > QRS_BAND_RATIO_MAX):
            return None
        mean = np.mean(segs, axis=0)
        for s in segs:
            den = math.sqrt(float(np.sum(s * s) * np.sum(mean * mean))) or 1.0
            if float(np.sum(s * mean)) / den < SHAPE_MIN:
                return None
        return rr

    def _window(self, ch: _Chan) -> tuple[int, int]:
        m = max(SEARCH_SD * math.sqrt(ch.rr_var), SEARCH_MIN_S * self.fs)
        return int(ch.last + ch.rr - m), int(ch.last + ch.rr + m)

    def _confirm(self, ch: _Chan, c: int, sig: dict, base: int, e: int, fl: np.ndarray) -> None:
        ws, we = self._window(ch)
        avail = e - self.qrs_half
        if avail <= ws:
            return
        q = sig["q"][:, c]
        ws = max(ws, e - self.history)
        sgn = 1.0 if ch.amp > 0 else -1.0
        stop = min(we, avail)
        w = sgn * q[ws - base:stop + 1 - base]
        if w.size == 0:
            return
        # A window under strong activity (8-30 Hz power well above the floor) shows no beat
        # that can be trusted: neither learn from it nor count it as missing -- hold the lock
        # and the rhythm, as the mains canceller holds its estimate under EMG. The median
        # ignores the window's own QRS (a fifth of it at most); a Gaussian sample's square has
        # median 0.455 of its variance.
        masked = avail >= we and w.size >= 2 * self.qrs_window and \
            float(np.median(w * w)) > GATE * _CHI2_1_MEDIAN * fl[0]
        j = int(np.argmax(w))
        found = not masked and ACCEPT_LO * abs(ch.amp) <= w[j] <= ACCEPT_HI * abs(ch.amp) \
            and (ws + j < stop or stop == we) and RR_MIN_S * self.fs <= ws + j - ch.last \
            <= RR_MAX_S * self.fs
        if found:
            r = self._refine(ch, c, sig, base, ws + j, e)
            d = r - ch.last
            ch.rr_var += TEMPLATE_ALPHA * ((d - ch.rr) ** 2 - ch.rr_var)
            ch.rr += TEMPLATE_ALPHA * (d - ch.rr)
            ch.amp += TEMPLATE_ALPHA * (float(q[r - base]) - ch.amp)
            ch.last, ch.misses = r, 0
            ch.beats = [*ch.beats[-2:], r]
            ch.pending += [(r, "band"), (r, "broad")]
        elif avail >= we:
            ch.misses += 0 if masked else 1
            ch.last = int(ch.last + ch.rr)
            if ch.misses >= MAX_MISSES:
                ch.locked, ch.cands, ch.beats, ch.pending = False, [], [], []
                ch.search_from = e

    def _refine(self, ch: _Chan, c: int, sig: dict, base: int, r: int, e: int) -> int:
        t = ch.band_t
        k = self._s(REFINE_S)
        lo, stop = self.band_span[0], min(self.band_span[1], e - (r + k) - 1)
        if t is None or k < 1 or r + lo - k < max(base, e - self.history) or stop <= lo:
            return r
        offs = np.arange(-k, k + 1)
        pos = r + offs[:, None] + np.arange(lo, stop)[None, :]  # (shifts, samples)
        y = sig["band"][pos - base, c]
        sse = np.sum((y - t[None, :stop - lo]) ** 2, axis=1)
        return r + int(offs[int(np.argmin(sse))])

    def _correct(self, ch: _Chan, c: int, sig: dict, base: int, e: int, fl: np.ndarray,
                 ms: np.ndarray, peak: np.ndarray, msb: np.ndarray, h: int) -> None:
        """Fit the templates at this hop's end; take the hop's envelopes on the residual."""
        ws, we = self._window(ch)
        for kind, t, dt, span, var, stride in (
                ("band", ch.band_t, ch.band_d, self.band_span, fl[1], self.stride),
                ("broad", ch.broad_t, ch.broad_d, self.broad_span, fl[2], self.broad_stride)):
            if t is None or not np.isfinite(var):
                continue
            f0 = e - self.fit
            if f0 < max(base, e - self.history):
                continue
            known = [r for r in ch.beats if r + span[0] < e and r + span[1] > f0]
            # The coming beat is searched for until it is confirmed (by `we` + `qrs_half`);
            # from then on it is a known beat, subtracted where it was found.
            cand = ws + span[0] < e and min(we + span[1], we + self.qrs_half + self.hop) > f0
            if not known and not cand:
                continue
            y = sig[kind][f0 - base:e - base, c].copy()
            pos = np.arange(f0, e)
            for r in known:
                k = pos - r - span[0]
                ok = (k >= 0) & (k < t.shape[0])
                y[ok] -= _fitted(y[ok], t[k[ok]], dt[k[ok]], var)
            if cand:
                lo, hi = max(ws, f0 - span[1] + 1), min(we, e - span[0] - 1)
                taus = np.arange(lo, hi + 1, stride)
                if taus.size:
                    # SSE(τ) = Σy² - 2·<y, T_τ> + |T_τ|² over the fit window, the template
                    # zero outside its span: one correlation against the zero-padded template.
                    nf = y.shape[0]
                    tp = np.concatenate([np.zeros(nf - 1), t, np.zeros(nf - 1)])
                    corr = np.correlate(tp, y, "valid")
                    c2 = np.concatenate([[0.0], np.cumsum(tp * tp)])
                    v = f0 - taus - span[0] + nf - 1
                    gain = 2.0 * corr[v] - (c2[v + nf] - c2[v])
                    b = int(np.argmax(gain))
                    if gain[b] > FIT_GAIN_Z ** 2 * var:
                        u = int(v[b]) - (nf - 1)  # template index at the window's start
                        # the search grid is `stride` samples: half of it may be left
                        y = y - _fitted(y, _zero_padded(t, u, nf), _zero_padded(dt, u, nf), var,
                                        max(FIT_MAX_SHIFT, stride / 2))
            tail = y[y.shape[0] - self.hop:]
            if kind == "band":
                ms[h, c] = np.mean(tail * tail)
                peak[h, c] = np.max(np.abs(tail))
            else:
                msb[h, c] = np.mean(tail * tail)


def _zero_padded(x: np.ndarray, start: int, n: int) -> np.ndarray:
    """`x[start:start + n]`, zero where that runs off either end of `x`."""
    out = np.zeros(n)
    lo, hi = max(start, 0), min(start + n, x.shape[0])
    if hi > lo:
        out[lo - start:hi - start] = x[lo:hi]
    return out


def _fitted(y: np.ndarray, t: np.ndarray, d: np.ndarray, var: float,
            max_shift: float = FIT_MAX_SHIFT) -> np.ndarray:
    """Template `t` (derivative `d`, per sample) as fitted to the window `y`: amplitude within
    FIT_SCALE and a shift within `max_shift` samples, by least squares on [t, d] (the
    first-order expansion of a shifted template). Where the template carries too little energy
    in the window to be measured against noise of variance `var` (FIT_GAIN_Z), or the two
    columns cannot be told apart, it is taken as it is. Shape stays fixed, so a twitch in the
    window is not fitted away; at most the amplitude bound's share of the beat is."""
    tt = float(t @ t)
    if tt <= FIT_GAIN_Z ** 2 * var:
        return t
    td, dd = float(t @ d), float(d @ d)
    det = tt * dd - td * td
    if det <= 1e-9 * tt * dd:
        return t
    ty, dy = float(t @ y), float(d @ y)
    a = min(max((dd * ty - td * dy) / det, FIT_SCALE[0]), FIT_SCALE[1])
    shift = min(max((tt * dy - td * ty) / det / a, -max_shift), max_shift)
    return a * (t + shift * d)
