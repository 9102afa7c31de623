"""Streaming mains-hum canceller: subtract a hum estimate that never learns from transients.

Why not a notch: an IIR notch rings after every large MUAP (Q=30 at 50 Hz: 6 % of the spike's
amplitude 150 ms later), which stretches an isolated fasciculation into a "contraction", so the
activity path could not use one and continuous hum raised its detection floor. Here the hum is
*predicted* and subtracted: the prediction for a block comes only from earlier blocks, and a
block that holds anything but hum and background noise is not learned from at all, so a spike
cannot leave a tail behind.

Method (all on a grid of `block_s` blocks anchored at the first sample after start/restart):

1. Each complete block is least-squares fitted, per channel, with cos/sin at k·f0 (k = 1 ..
   `max_harmonic`, inside the pass band) for every candidate mains frequency f0 (50 and 60 Hz
   by default: which one is present is decided from the signal, step 5). The fit gives complex
   phasors in a frame that rotates at the nominal frequency, and the block's *out-of-model*
   power (mean square minus the fitted part): hum does not raise it, transients and EMG do.
2. Gate: a block is learned from (per channel) only if its out-of-model power is at most
   `1 + gate_z·sqrt(2/dof)` times the noise floor, dof = 2·B·T − 2K the block's independent
   values (B the pass band). The floor is the `floor_quantile` of per-second medians of the
   out-of-model power over `floor_memory_s` (minimum statistics, like the detector's own
   floor), so it is the background noise and follows the channel's contact, never a µV
   constant. A spike of 60x the noise RMS puts far more than that into its block, so the block
   is skipped whole; what an accepted block may still carry is bounded by the threshold itself
   (its excess energy ≤ (κ−1)·floor·L), which is what keeps ringing below the floor.
3. Frequency: the fundamental's phasors `frequency_lag_s` apart rotate by 2π·Δf·lag; their
   amplitude-weighted product, averaged over accepted pairs and channels (`frequency_smoothing_s`),
   gives the offset Δf from nominal (unambiguous within ±1/(2·lag) = ±0.5 Hz; the grid stays
   within ±0.1 Hz). The phasors are then followed in a frame rotating at f0 + Δf.
4. Each harmonic's phasor is averaged over accepted blocks (running mean at first, then an
   exponential average of time constant `smoothing_s`), scaled by a Wiener gain |c|²/(|c|²+v)
   (v the variance of the average, measured from the innovations), so a harmonic that is not
   there is not subtracted as noise.
5. The candidate with the most coherent excess power is subtracted (switching only when another
   has `switch_ratio` times more), synthesised for the *next* block at f0 + Δf. No delay.

Everything block-wise runs once per completed block (10 per second by default, with a few small
numpy calls each), never per sample; any chunking of the input gives bit-identical output
because every block is computed from the same samples in the same way.

Measured (see tests/dsp/test_mains.py; noise σ = band-passed noise RMS): with hum 5x and 10x σ
(odd harmonics 10-50 %, even 2-10 %, 0.05 Hz off nominal, amplitude drifting ±30 % over a
minute) the residual hum from 3 s on is 0.10-0.20 σ at 200-2000 Hz, 50 or 60 Hz (found from the
signal, frequency tracked to < 0.002 Hz); with no hum the added RMS is ~0.09 σ (< 1 % power).
After an isolated 10 ms MUAP of 60x or 200x σ the canceller adds 0.04-0.19 σ peak in the next
50-300 ms, the same for either size: the spike's block is rejected whole, and what remains is
only the missing update. During 100x σ EMG it adds < 3e-5 of the EMG power (blocks rejected,
estimate held). Cost: ~1.7 ms per second of 8-channel 2 kHz signal in 10 s pushes, mostly the
fixed ~0.3 ms of numpy calls per push and per block, not arithmetic on samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import signal

from emgspasm.dsp.filters import DEFAULT_BAND_HZ, pass_band

__all__ = ["MAINS_MAX_HARMONIC", "MainsCanceller"]

MAINS_MAX_HARMONIC: int = 7
"""Harmonics cancelled up to this multiple (350/420 Hz): surface hum carries odd harmonics of
10-50 % of the fundamental well up to the 7th; the fit costs a few columns each."""

BLOCK_S: float = 0.1
"""Fit block: 5-6 cycles of mains, so 50 and 60 Hz (10 Hz = 1/T apart) and their harmonics are
separable, and short enough that a rejected block (a spike) costs little learning."""

SMOOTHING_S: float = 0.5
"""Time constant of the phasor average: hum amplitude drifts over 20-100 s, so 0.5 s follows
it while averaging the noise of 5 blocks (added noise without hum ~1 %)."""

FREQUENCY_LAG_S: float = 1.0
"""Phasors this far apart measure the frequency offset: long for precision, short enough that
±0.5 Hz (five times the grid's tolerance) is unambiguous."""

FREQUENCY_SMOOTHING_S: float = 2.0
"""Time constant of the frequency estimate's average (grid frequency moves over minutes)."""

GATE_Z: float = 4.0
"""A block is learned from if its out-of-model power is within this many standard deviations
(of a block's noise power, relative spread sqrt(2/dof)) above the floor."""

FLOOR_PERIOD_S: float = 1.0
FLOOR_MEMORY_S: float = 180.0
FLOOR_QUANTILE: float = 0.1
"""The gate's floor: the 10th percentile of per-second medians of out-of-model power over the
last 180 s, so a cramp shorter than ~160 s never becomes "background" that is learned from."""

SETTLE_S: float = 0.2
"""Nothing is learned from the band-pass start-up transient (from silence at start/restart)."""

SWITCH_RATIO: float = 2.0
"""The subtracted candidate changes only when another carries this many times its power."""

MAX_OFFSET_HZ: float = 0.2
"""The tracked frequency stays within this of nominal: twice the grid's ±0.1 Hz tolerance."""

SYNTH_STEP_HZ: float = 0.01
"""The next block's hum is synthesised at the tracked frequency rounded to this grid (so the
few synthesis matrices are built once and cached): the rounding error of ≤ 0.005 Hz turns the
7th harmonic by ≤ 2π·7·0.005 Hz·0.05 s = 0.011 rad at a block's edge, < 1 % of that harmonic.
The estimation itself uses the unrounded frequency."""


class _Family:
    """One candidate mains frequency: its harmonics and carried estimator state."""

    def __init__(self, f0: float, harmonics: np.ndarray, n_channels: int, lag: int,
                 memory: int, period: int) -> None:
        self.f0 = f0
        self.k = harmonics.astype(np.float64)
        n_k = harmonics.size
        # Phasor average per channel: an exponential average started from zero (lfilter
        # state `zi`), divided by 1 - (1-α)^count: the mean of all so far at first, then an
        # exponential average -- no bias towards zero while it fills.
        self.zi_mean = np.zeros((n_channels, 1, n_k), dtype=np.complex128)
        self.zi_var = np.zeros((n_channels, 1, n_k))
        self.count = np.zeros(n_channels, dtype=np.int64)
        self.mean = np.zeros((n_k, n_channels), dtype=np.complex128)
        self.var = np.zeros((n_k, n_channels))  # average squared innovation
        self.q = 0j  # averaged lagged product of the fundamental's phasors
        self.q_count = 0
        self.ring = np.zeros((lag, n_channels), dtype=np.complex128)
        self.ring_ok = np.zeros((lag, n_channels), dtype=bool)
        self.delta = 0.0  # frequency offset (Hz) in use for the current block
        self.psi = 0.0  # tracked-frame phase (rad, fundamental) at the current block's middle
        self.period_p = np.full((period, n_channels), np.nan)
        self.period_ok = np.zeros(period, dtype=bool)
        self.history = np.zeros((memory, n_channels))
        self.n_history = 0
        self.floor = np.full(n_channels, np.inf)
        self.score = 0.0


class MainsCanceller:
    """Subtract predicted mains hum from consecutive blocks of ``(n, n_channels)`` samples.

    Causal and delay-free (the hum subtracted from a block is predicted from earlier blocks
    only), chunk-invariant (any split, 1-sample blocks included, gives bit-identical output),
    and its state is explicit: :meth:`restart` returns to the state at a recording's start.
    Every complete block of a push is processed at once (array operations over blocks);
    the only Python loops are over a push's blocks on scalars and over its channels.

    Parameters
    ----------
    fs : sampling rate in Hz.
    n_channels : columns of every block.
    mains_hz : candidate mains frequencies; the one present is found from the signal.
    band_hz : nominal EMG pass band of the input (its upper edge follows Nyquist as in
        :func:`emgspasm.dsp.pass_band`): harmonics above it are not fitted, and its width sets
        the gate's degrees of freedom.
    Other keywords: see the module constants of the same name (upper case).
    """

    def __init__(self, fs: float, n_channels: int, mains_hz: Sequence[float] = (50.0, 60.0), *,
                 band_hz: tuple[float, float] = DEFAULT_BAND_HZ,
                 max_harmonic: int = MAINS_MAX_HARMONIC, block_s: float = BLOCK_S,
                 smoothing_s: float = SMOOTHING_S, frequency_lag_s: float = FREQUENCY_LAG_S,
                 frequency_smoothing_s: float = FREQUENCY_SMOOTHING_S, gate_z: float = GATE_Z,
                 floor_period_s: float = FLOOR_PERIOD_S, floor_memory_s: float = FLOOR_MEMORY_S,
                 floor_quantile: float = FLOOR_QUANTILE, settle_s: float = SETTLE_S,
                 switch_ratio: float = SWITCH_RATIO,
                 max_offset_hz: float = MAX_OFFSET_HZ,
                 synth_step_hz: float = SYNTH_STEP_HZ) -> None:
        self.fs = float(fs)
        self.n_channels = int(n_channels)
        low, high = pass_band(self.fs, band=band_hz)
        self.block = max(8, round(block_s * self.fs))
        L = self.block
        self.block_s = L / self.fs
        self.alpha = min(1.0, self.block_s / smoothing_s)
        self.alpha_q = min(1.0, self.block_s / frequency_smoothing_s)
        self.lag = max(1, round(frequency_lag_s / self.block_s))
        # The lagged product is unambiguous within ±1/(2·lag); never beyond it.
        self.max_offset_hz = min(float(max_offset_hz), 0.5 / (self.lag * self.block_s))
        self.period = max(1, round(floor_period_s / self.block_s))
        self.memory = max(1, round(floor_memory_s / (self.period * self.block_s)))
        self.floor_quantile = float(floor_quantile)
        self.settle = round(settle_s * self.fs)
        self.switch_ratio = float(switch_ratio)
        self.synth_step = float(synth_step_hz)
        self._m = np.arange(L) - (L - 1) / 2.0  # sample offsets from the block's middle
        self._harmonics: list[tuple[float, np.ndarray]] = []
        pinv_rows, self._gram = [], []
        for f0 in mains_hz:
            k = np.arange(1, int(max_harmonic) + 1)
            k = k[k * float(f0) <= high]
            if k.size == 0:
                continue
            a = self._regressors(float(f0), k, 0.0)
            pinv_rows.append(np.linalg.pinv(a))
            self._gram.append(a.T @ a)
            self._harmonics.append((float(f0), k))
        n_k = max((k.size for _, k in self._harmonics), default=0)
        dof = max(2.0, 2.0 * (high - low) * self.block_s - 2.0 * n_k)
        self.gate = 1.0 + float(gate_z) * math.sqrt(2.0 / dof)
        self._pinv = np.ascontiguousarray(np.concatenate(pinv_rows)) if pinv_rows else None
        self._rows = np.cumsum([0] + [2 * k.size for _, k in self._harmonics])
        self._synth: dict[tuple[int, int], np.ndarray] = {}
        self.families: list[_Family] = []
        self.restart()

    # -- public -------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """False when no candidate has a harmonic in the pass band (then a pass-through)."""
        return bool(self._harmonics)

    @property
    def mains_hz(self) -> float | None:
        """The candidate currently subtracted (None without candidates)."""
        return self.families[self._choice].f0 if self.families else None

    @property
    def frequency_hz(self) -> float | None:
        """Tracked fundamental frequency of the subtracted candidate."""
        fam = self.families[self._choice] if self.families else None
        return None if fam is None else fam.f0 + fam.delta

    def restart(self) -> None:
        """As at a recording's start: grid, estimates, floor and frequency from nothing."""
        n_ch = self.n_channels
        self._n = 0  # samples since the start of the grid
        self._fill = 0
        self._blocks = 0
        self._buf = np.zeros((self.block, n_ch))
        self._pred = np.zeros((self.block, n_ch))
        self._choice = 0
        self.families = [_Family(f0, k, n_ch, self.lag, self.memory, self.period)
                         for f0, k in self._harmonics]

    def process(self, x: np.ndarray) -> np.ndarray:
        """Cancel hum in one block of shape ``(n, n_channels)`` (any ``n >= 0``)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_channels:
            raise ValueError(f"block must have shape (n, {self.n_channels}), got {x.shape}")
        if not self.families:
            return x.copy()
        L, n, fill = self.block, x.shape[0], self._fill
        nb = (fill + n) // L  # grid blocks completed by this push
        if nb == 0:
            out = x - self._pred[fill:fill + n]
            self._buf[fill:fill + n] = x
            self._fill += n
            return out
        head, n_ch = L - fill, self.n_channels
        if fill == 0:  # the push starts a block: one copy, C-ordered (a view of a transposed
            # push would change the order of the sums below, and so their last bits)
            blocks = np.ascontiguousarray(x[:nb * L].reshape(nb, L, n_ch))
        else:
            blocks = np.empty((nb, L, n_ch))
            blocks[0, :fill] = self._buf[:fill]
            blocks[0, fill:] = x[:head]
            blocks[1:] = x[head:head + (nb - 1) * L].reshape(nb - 1, L, n_ch)
        preds = self._blocks_done(blocks)  # predictions for the block after each one
        rest = n - head - (nb - 1) * L
        out = np.empty_like(x)  # x minus the hum in force at each sample, piece by piece
        out[:head] = x[:head] - self._pred[fill:]
        mid = slice(head, head + (nb - 1) * L)
        out[mid] = (x[mid].reshape(nb - 1, L, n_ch) - preds[:-1]).reshape(-1, n_ch)
        out[n - rest:] = x[n - rest:] - preds[-1][:rest]
        self._pred = preds[-1]
        self._buf[:rest] = x[n - rest:]
        self._fill = rest
        return out

    # -- internals ----------------------------------------------------------------------
    def _regressors(self, f0: float, k: np.ndarray, delta: float) -> np.ndarray:
        """(L, 2K) cos | sin of k·2π(f0+delta)·m/fs, m counted from the block's middle."""
        phase = np.outer(self._m, 2.0 * np.pi * (f0 + delta) * k / self.fs)
        return np.concatenate([np.cos(phase), np.sin(phase)], axis=1)

    def _nominal_phase(self, f: _Family, starts: np.ndarray) -> np.ndarray:
        """(blocks, K) phase (rad) of each harmonic at nominal frequency at each block's
        middle, from sample 0 of the grid, reduced mod one cycle."""
        mid2 = (2 * starts + self.block - 1).astype(np.float64)  # twice the middle's index
        cycles = np.fmod(np.outer(mid2, f.k * f.f0), 2.0 * self.fs) / (2.0 * self.fs)
        return 2.0 * np.pi * cycles

    def _blocks_done(self, x: np.ndarray) -> np.ndarray:
        """Learn from complete grid blocks x (blocks, L, channels); return the hum predicted
        for the block following each of them."""
        nb, L = x.shape[0], self.block
        first = self._blocks
        starts = self._n + L * np.arange(nb, dtype=np.int64)
        self._n += nb * L
        self._blocks += nb
        coefs = np.matmul(self._pinv, x)  # one gemm per block: same arithmetic at any nb
        total_ms = np.mean(x * x, axis=1)
        settled = starts >= self.settle
        nxt = starts + L
        for i, f in enumerate(self.families):
            a = coefs[:, self._rows[i]:self._rows[i + 1]]
            n_k = f.k.size
            fitted = np.sum(a * np.matmul(self._gram[i], a), axis=1) / L
            p = np.maximum(total_ms - fitted, np.finfo(float).tiny)
            accept = self._gate(f, first, p, settled)
            c_nom = (a[:, :n_k] - 1j * a[:, n_k:]) * np.exp(
                -1j * self._nominal_phase(f, starts))[:, :, None]
            delta, psi = self._track(f, first, c_nom[:, 0], accept)
            # Into the frame rotating at f0 + delta; undo the fit's amplitude loss when the
            # true frequency is off nominal (mean of exp(j·k·Δω·m) over the block).
            dw = 2.0 * np.pi * np.outer(delta[:-1], f.k) / self.fs
            c_trk = c_nom * (np.exp(-1j * np.outer(psi[:-1], f.k)) / _dirichlet(dw, L))[
                :, :, None]
            mean, var, count = self._average(f, c_trk, accept)
            v = var * np.maximum(self.alpha / (2.0 - self.alpha),
                                 1.0 / np.maximum(count, 1))[:, None, :]
            power = np.abs(mean) ** 2
            f.gain_blocks = power / np.maximum(power + v, np.finfo(float).tiny)
            f.score_blocks = np.sum(np.maximum(power - v, 0.0), axis=(1, 2))
            f.mean_blocks, f.count_blocks = mean, count
            f.delta_next, f.psi_next = delta[1:], psi[1:]
        return self._predict(nxt)

    def _gate(self, f: _Family, first: int, p: np.ndarray, settled: np.ndarray) -> np.ndarray:
        """Accept each block (per channel) if its out-of-model power is near the floor; keep the
        floor's books: per-period medians, their low quantile over the memory, updated once per
        period, so blocks in a period are judged against earlier periods only."""
        slot0 = first % self.period
        if f.n_history and settled.all() and f.period_ok[:slot0].all():
            return self._gate_settled(f, slot0, p)
        accept = np.zeros(p.shape, dtype=bool)
        j = 0
        while j < p.shape[0]:  # once per floor period touched
            b = first + j
            slot = b % self.period
            m = min(self.period - slot, p.shape[0] - j)
            rows = slice(slot, slot + m)
            f.period_p[rows] = np.where(settled[j:j + m, None], p[j:j + m], np.nan)
            f.period_ok[rows] = settled[j:j + m]
            if f.n_history:
                floor = f.floor[None, :]
            else:  # first period: the lowest settled block so far (this one included)
                floor = np.fmin.accumulate(f.period_p[:slot + m], axis=0)[slot:]
                floor = np.where(np.isnan(floor), np.inf, floor)
            accept[j:j + m] = settled[j:j + m, None] & (p[j:j + m] <= self.gate * floor)
            if slot + m == self.period:
                if f.period_ok.any():  # all but the settling periods
                    f.history[f.n_history % self.memory] = np.median(
                        f.period_p[f.period_ok], axis=0)
                    f.n_history += 1
                    kept = f.history[:min(f.n_history, self.memory)]
                    rank = int(self.floor_quantile * (kept.shape[0] - 1))  # lower order stat.
                    f.floor = np.partition(kept, rank, axis=0)[rank]
                f.period_p[:] = np.nan
                f.period_ok[:] = False
            j += m
        return accept

    def _gate_settled(self, f: _Family, slot0: int, p: np.ndarray) -> np.ndarray:
        """`_gate` once the floor exists and every block is settled (all but the first
        period after a start): every period the push completes at once -- one median over
        (periods, blocks, channels), one partition over the sliding windows of the remembered
        medians. Selections and a two-value mean, so the numbers of one period at a time."""
        period, memory, nb = self.period, self.memory, p.shape[0]
        rows = np.concatenate([f.period_p[:slot0], p])
        done = rows.shape[0] // period  # periods completed by this push
        floors = np.empty((done + 1, p.shape[1]))
        floors[0] = f.floor
        if done:
            med = np.median(rows[:done * period].reshape(done, period, -1), axis=1)
            n_old = f.n_history
            kept = min(n_old, memory)
            ring = f.history[:kept]
            if n_old > memory:  # the ring's oldest row is the next one to be overwritten
                ring = np.roll(ring, -(n_old % memory), axis=0)
            hist = np.concatenate([ring, med])  # oldest first
            size = np.minimum(kept + 1 + np.arange(done), memory)
            for j in np.flatnonzero(size < memory):  # only while the memory fills
                part = hist[:kept + j + 1]
                rank = int(self.floor_quantile * (part.shape[0] - 1))
                floors[j + 1] = np.partition(part, rank, axis=0)[rank]
            full = np.flatnonzero(size == memory)
            if full.size:
                rank = int(self.floor_quantile * (memory - 1))
                win = np.lib.stride_tricks.sliding_window_view(hist, memory, axis=0)
                floors[full + 1] = np.partition(win[kept + full + 1 - memory], rank,
                                                axis=-1)[..., rank]
            last = med[-memory:]
            slots = (n_old + done - last.shape[0] + np.arange(last.shape[0])) % memory
            f.history[slots] = last
            f.n_history = n_old + done
            f.floor = floors[-1]
            f.period_p[:] = np.nan
            f.period_ok[:] = False
        rest = rows.shape[0] - done * period
        f.period_p[:rest] = rows[done * period:]
        f.period_ok[:rest] = True
        which = (slot0 + np.arange(nb)) // period  # 0: the floor from before this push
        return p <= self.gate * floors[which]

    def _track(self, f: _Family, first: int, c1: np.ndarray,
               accept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frequency offset and frame phase in use for each block and the one after the last
        ((blocks + 1,) each), from the lagged product of the fundamental's phasors."""
        nb, lag = c1.shape[0], self.lag
        order = (np.arange(first, first + lag)) % lag  # ring slots, oldest first
        old = np.concatenate([f.ring[order], c1])
        old_ok = np.concatenate([f.ring_ok[order], accept])
        ok = accept & old_ok[:nb]
        prods = np.sum(np.where(ok, c1 * np.conj(old[:nb]), 0.0), axis=1)
        valid = (np.arange(first, first + nb) >= lag) & ok.any(axis=1)
        keep = min(lag, nb)
        tail = (np.arange(first + nb - keep, first + nb)) % lag
        f.ring[tail], f.ring_ok[tail] = old[-keep:], old_ok[-keep:]
        delta = np.empty(nb + 1)
        psi = np.empty(nb + 1)
        delta[0], psi[0] = f.delta, f.psi
        span = 2.0 * np.pi * lag * self.block_s
        for j in range(nb):  # scalar recursion, a few µs per block
            if valid[j]:
                f.q_count += 1
                f.q += max(self.alpha_q, 1.0 / f.q_count) * (complex(prods[j]) - f.q)
            d = math.atan2(f.q.imag, f.q.real) / span if f.q_count and f.q else 0.0
            d = min(max(d, -self.max_offset_hz), self.max_offset_hz)
            f.psi += math.pi * self.block_s * (f.delta + d)
            f.delta = d
            delta[j + 1], psi[j + 1] = d, f.psi
        return delta, psi

    def _average(self, f: _Family, c_trk: np.ndarray,
                 accept: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Phasor average and innovation variance after each block ((blocks, K, C)), over
        accepted blocks only: per channel, an exponential average over that channel's accepted
        blocks. All channels go through one `lfilter` on a (rows, channels, K) array: each
        channel's accepted blocks are packed to the front of its column (the rows after them
        are filler, and the filter is causal, so they never touch a channel's own outputs),
        and the state carried to the next push is read at the channel's last accepted row --
        for this first-order filter the state after a row is exactly ``-(y·(α-1))``, the same
        number `lfilter` itself returns as its final state (each lane's arithmetic is
        independent of the others, so the values are those of one call per channel)."""
        a = self.alpha
        nb, _, n_ch = c_trk.shape
        n0 = f.count
        m = np.count_nonzero(accept, axis=0)
        cum = np.cumsum(accept, axis=0)  # accepted blocks so far, per channel
        count = n0 + cum
        rows = int(m.max()) if nb else 0
        if rows == 0:
            return (np.repeat(f.mean[None], nb, axis=0), np.repeat(f.var[None], nb, axis=0),
                    count)
        ch = np.arange(n_ch)
        order = np.argsort(~accept, axis=0, kind="stable")[:rows]  # accepted rows first
        x = c_trk.transpose(0, 2, 1)[order, ch]  # (rows, C, K): each channel's accepted
        y, _ = signal.lfilter([a], [1.0, a - 1.0], x, axis=0,
                              zi=f.zi_mean.transpose(1, 0, 2))
        n = n0 + np.arange(1, rows + 1)[:, None]  # (rows, C)
        avg = y / -np.expm1(n * math.log1p(-a) if a < 1 else -np.inf * n)[:, :, None]
        old_mean = np.ascontiguousarray(f.mean.T)  # (C, K)
        prev = np.concatenate([old_mean[None], avg[:-1]])
        innov = np.abs(x - prev) ** 2
        # The first block a channel ever accepts has nothing to be an innovation against:
        # its variance sequence starts one row later (`skip`), and that block keeps 0.
        skip = (n0 == 0).astype(np.int64)
        iv = np.minimum(np.arange(rows)[:, None] + skip, rows - 1)
        yv, _ = signal.lfilter([a], [1.0, a - 1.0], innov[iv, ch], axis=0,
                               zi=f.zi_var.transpose(1, 0, 2))
        nv = n0 + skip + np.arange(rows)[:, None]
        v = yv / -np.expm1(nv * math.log1p(-a) if a < 1 else -np.inf * nv)[:, :, None]
        old_var = np.ascontiguousarray(f.var.T)
        means = np.concatenate([old_mean[None], avg])  # row 0: the state before this push
        varis = np.concatenate([old_var[None], v])
        mean = np.ascontiguousarray(means[cum, ch].transpose(0, 2, 1))
        var = np.ascontiguousarray(varis[np.maximum(cum - skip, 0), ch].transpose(0, 2, 1))
        got = np.flatnonzero(m)
        last = m[got] - 1
        f.zi_mean[got, 0] = -(y[last, got] * (a - 1.0))
        f.mean[:, got] = avg[last, got].T
        vgot = got[m[got] > skip[got]]
        if vgot.size:
            vlast = m[vgot] - skip[vgot] - 1
            f.zi_var[vgot, 0] = -(yv[vlast, vgot] * (a - 1.0))
            f.var[:, vgot] = v[vlast, vgot].T
        f.count = n0 + m
        return mean, var, count

    def _predict(self, starts: np.ndarray) -> np.ndarray:
        """(blocks, L, C) hum for the blocks starting at `starts`, each from the state after
        the block before it: the candidate with most coherent power, at its tracked frequency."""
        nb = starts.shape[0]
        choice = np.empty(nb, dtype=np.int64)
        scores = [f.score_blocks for f in self.families]
        for j in range(nb):  # scalar hysteresis, a few µs per block
            best = max(range(len(scores)), key=lambda i: scores[i][j])
            if scores[best][j] > self.switch_ratio * scores[self._choice][j]:
                self._choice = best
            choice[j] = self._choice
        out = np.zeros((nb, self.block, self.n_channels))
        for i, f in enumerate(self.families):
            mine = np.flatnonzero((choice == i) & f.count_blocks.any(axis=1))
            if not mine.size:
                continue
            phase = np.outer(f.psi_next[mine], f.k) + self._nominal_phase(f, starts[mine])
            d = (f.gain_blocks[mine] * f.mean_blocks[mine]) * np.exp(1j * phase)[:, :, None]
            coef = np.concatenate([d.real, -d.imag], axis=1)
            steps = np.round(f.delta_next[mine] / self.synth_step).astype(np.int64)
            for q in np.unique(steps):  # usually one value per push once locked
                key = (i, int(q))
                synth = self._synth.get(key)
                if synth is None:  # at most 2·max_offset/step + 1 per candidate
                    synth = self._synth[key] = self._regressors(f.f0, f.k,
                                                                int(q) * self.synth_step)
                out[mine[steps == q]] = np.matmul(synth, coef[steps == q])
        return out


def _dirichlet(dw: np.ndarray, n: int) -> np.ndarray:
    """Mean of exp(j·dw·m) over n samples centred on 0 (real): sin(n·dw/2) / (n·sin(dw/2))."""
    half = dw / 2.0
    small = np.abs(half) < 1e-12
    safe = np.where(small, 1.0, half)
    return np.where(small, 1.0, np.sin(n * safe) / (n * np.sin(safe)))
