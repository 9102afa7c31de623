"""Surface motor-unit action potential (MUAP) shapes and their placement in a signal.

Why Hermite–Rodriguez (HR) functions: the first- and second-order HR functions are the standard
analytic model of biphasic and triphasic surface MUAPs (Lo Conte et al. 1994). A random signed
mixture of the two, with different time scales before and after the peak (asymmetry) and a
random polarity, gives varied but plausible shapes; each is scaled so its duration (span where
|MUAP| ≥ 5 % of its peak) is 10–20 ms (docs/signal.md#the-simulator).

Why continuous time: MUAPs are evaluated at the exact (sub-sample) discharge instants, so the
waveform is the continuous shape sampled at `fs` – correct at 4 kHz and, at 200 Hz, simply
coarsely sampled (docs/signal.md: never special-case low rates). Placement is vectorised over spikes
(index arithmetic + `np.bincount`), no per-sample Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from emgspasm.simulate import params as P
from emgspasm.simulate._util import log_uniform

EXTENT_LEVEL = 0.05
"""A MUAP's duration/extent is where |shape| ≥ this fraction of its peak."""
SUPPORT_LEVEL = 1e-3
"""Each placed MUAP is evaluated where |shape| ≥ this fraction of its peak (rest is < 0.1 %)."""
TABLE_RATE_HZ = 128_000.0
"""Placement reads each MUAP from a table sampled at this rate: the continuous shape to within
1/(2·128 kHz) ≈ 4 µs in time (≲ 0.5 % of the peak), several times faster than evaluating
exp per sample."""
_HR1_PEAK = float(np.sqrt(0.5) * np.exp(-0.5))  # peak of x·exp(-x²)
_GRID_POINTS = 6001
_MAX_CHUNK_ELEMENTS = 2_000_000


def _shape(t: np.ndarray, lam_l, lam_r, w1, w2) -> np.ndarray:
    x = np.where(t < 0.0, t / lam_l, t / lam_r)
    return (w1 * x + w2 * (1.0 - 2.0 * x * x)) * np.exp(-x * x)


@dataclass(frozen=True)
class MuapBank:
    """Unit-peak MUAP shapes of a pool; index = unit rank. Times in seconds.

    `extent_lo`/`extent_hi` bound the 5 % extent relative to the discharge instant (twitch truth
    uses them); `energy` is ∫ shape(t)² dt of the unit-peak shape (for the Campbell RMS).
    """

    lam_left: np.ndarray
    lam_right: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    extent_lo: np.ndarray
    extent_hi: np.ndarray
    energy: np.ndarray
    support_s: float

    def __len__(self) -> int:
        return int(self.w1.shape[0])

    @property
    def duration_s(self) -> np.ndarray:
        return self.extent_hi - self.extent_lo

    def evaluate(self, t: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Unit-peak shapes at times `t` (K, L) relative to each discharge of `units` (K,)."""
        u = np.asarray(units)[:, None]
        return _shape(t, self.lam_left[u], self.lam_right[u], self.w1[u], self.w2[u])

    @cached_property
    def table(self) -> np.ndarray:
        """Unit-peak shapes at TABLE_RATE_HZ over [-support, +support]; last column is 0."""
        m = int(np.ceil(2.0 * self.support_s * TABLE_RATE_HZ)) + 2
        t = -self.support_s + np.arange(m) / TABLE_RATE_HZ
        tab = _shape(
            t[None, :],
            self.lam_left[:, None],
            self.lam_right[:, None],
            self.w1[:, None],
            self.w2[:, None],
        )
        tab[:, -1] = 0.0
        return tab

    def describe(self) -> dict[str, np.ndarray]:
        """Per-unit drawn shape parameters (for `Simulation.params`)."""
        return {
            "duration_ms": self.duration_s * 1e3,
            "lam_left_ms": self.lam_left * 1e3,
            "lam_right_ms": self.lam_right * 1e3,
            "w_hr1": self.w1,
            "w_hr2": self.w2,
        }


def draw_bank(rng: np.random.Generator, n_units: int,
              duration_ms: tuple[float, float] = P.MUAP_DURATION_MS) -> MuapBank:
    """Draw `n_units` random HR-mixture shapes of `duration_ms` (default P.MUAP_DURATION_MS,
    10–20 ms; the wide variety passes P.WIDE_MUAP_DURATION_MS)."""
    mix = rng.uniform(*P.MUAP_HR2_WEIGHT, n_units)
    s1 = rng.choice([-1.0, 1.0], n_units)
    s2 = rng.choice([-1.0, 1.0], n_units)
    w1 = s1 * (1.0 - mix) / _HR1_PEAK
    w2 = s2 * mix
    asym = log_uniform(rng, P.MUAP_ASYMMETRY, n_units)
    lam_l = np.ones(n_units)
    lam_r = asym.copy()
    duration = rng.uniform(*duration_ms, n_units) * 1e-3

    # Measure peak, extent and energy on a fine common grid (unit time scale), then rescale.
    grid = np.linspace(-6.0, 6.0 * float(asym.max()), _GRID_POINTS)
    dg = grid[1] - grid[0]
    vals = _shape(grid[None, :], lam_l[:, None], lam_r[:, None], w1[:, None], w2[:, None])
    peak = np.abs(vals).max(axis=1)
    vals /= peak[:, None]
    w1, w2 = w1 / peak, w2 / peak
    mag = np.abs(vals)

    def _bounds(level: float) -> tuple[np.ndarray, np.ndarray]:
        above = mag >= level
        first = above.argmax(axis=1)
        last = above.shape[1] - 1 - above[:, ::-1].argmax(axis=1)
        return grid[first], grid[last]

    lo, hi = _bounds(EXTENT_LEVEL)
    s_lo, s_hi = _bounds(SUPPORT_LEVEL)
    energy = (vals * vals).sum(axis=1) * dg
    scale = duration / (hi - lo)
    support = float(np.max(np.maximum(-s_lo, s_hi) * scale))
    return MuapBank(
        lam_left=lam_l * scale,
        lam_right=lam_r * scale,
        w1=w1,
        w2=w2,
        extent_lo=lo * scale,
        extent_hi=hi * scale,
        energy=energy * scale,
        support_s=support,
    )


def place_muaps(
    out: np.ndarray,
    fs: float,
    times: np.ndarray,
    units: np.ndarray,
    amplitudes: np.ndarray,
    bank: MuapBank,
) -> None:
    """Add `amplitudes[k]` × MUAP of `units[k]` discharged at `times[k]` (s) into `out` (1-D).

    Vectorised: each spike's window of samples is built by index arithmetic, the continuous
    shape is read there from the bank's 128 kHz table (nearest table point to the exact
    sub-sample time), and all windows are summed with `np.bincount` (chunked to bound memory).
    Sample i of `out` is at time i / fs.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.size == 0:
        return
    units = np.asarray(units, dtype=np.intp)
    amplitudes = np.broadcast_to(np.asarray(amplitudes, dtype=np.float64), times.shape)
    n = out.shape[0]
    table = bank.table
    m = table.shape[1]
    flat_table = table.ravel()
    width = int(np.ceil(2.0 * bank.support_s * fs)) + 2
    offsets = np.arange(width)
    table_steps = offsets * (TABLE_RATE_HZ / fs)
    chunk = max(1, _MAX_CHUNK_ELEMENTS // width)
    for a in range(0, times.size, chunk):
        t = times[a : a + chunk]
        first = np.ceil((t - bank.support_s) * fs).astype(np.int64)
        idx = first[:, None] + offsets
        # table position of sample `first` for each spike, then whole-sample steps from there
        phase = (first / fs - t + bank.support_s) * TABLE_RATE_HZ
        pos = np.rint(phase[:, None] + table_steps).astype(np.intp)
        np.minimum(pos, m - 1, out=pos)
        pos += (units[a : a + chunk] * m)[:, None]
        vals = flat_table[pos] * amplitudes[a : a + chunk, None]
        keep = (idx >= 0) & (idx < n)
        if not keep.all():
            idx, vals = idx[keep], vals[keep]
        else:
            idx, vals = idx.ravel(), vals.ravel()
        if idx.size == 0:
            continue
        lo = int(idx.min())
        summed = np.bincount(idx - lo, weights=vals)
        out[lo : lo + summed.size] += summed
