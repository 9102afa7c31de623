"""The motor-unit pool of one channel (Fuglevand, Winter & Patla 1993).

Why: docs/signal.md#the-simulator grounds every EMG class in one pool per muscle – recruitment
thresholds
spread exponentially over ~30-fold, firing from 8 Hz at recruitment rising linearly with
excitation to 35 Hz (25 Hz for the last unit), MUAP amplitudes spread 50–100-fold by rank.
Voluntary, cramp, twitch and rigidity are different excitation patterns / firing statistics on
the same pool, so the same muscle's MUAP shapes recur across classes as they would in a person.

Amplitude calibration uses Campbell's theorem: for independent trains of rate r_i the variance
of the summed MUAP trains is Σ r_i · ∫ muap_i(t)² dt. The pool is scaled so this RMS at full
excitation equals the channel's drawn MVC RMS (0.5–3 mV before gain); the same formula defines
the SNR reference (params.REF_CONTRACTION_MVC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, uniform
from emgspasm.simulate.muap import MuapBank, draw_bank

_LEVEL_GRID = np.linspace(0.0, 1.0, 401)


@dataclass
class MotorUnitPool:
    """One channel's pool. Thresholds are excitations as a fraction of MVC, ascending."""

    thresholds: np.ndarray
    peak_rates: np.ndarray
    min_rate: float
    rate_gain: float
    amplitudes: np.ndarray
    muaps: MuapBank
    draws: dict[str, Any] = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return int(self.thresholds.shape[0])

    def voluntary_rates(self, excitation: np.ndarray, n_units: int | None = None) -> np.ndarray:
        """Fuglevand rate law, shape (n_units, len(excitation)), 0 where not recruited.

        rate_i = min(peak_i, min_rate + rate_gain · (E − threshold_i)) for E ≥ threshold_i.
        Only the first `n_units` (lowest thresholds) are returned when given.
        """
        th = self.thresholds[:n_units, None]
        e = np.asarray(excitation, dtype=np.float64)[None, :]
        rates = np.minimum(
            self.peak_rates[:n_units, None], self.min_rate + self.rate_gain * (e - th)
        )
        rates[e < th] = 0.0
        return rates

    def expected_rms(self, excitation: float | np.ndarray) -> np.ndarray:
        """Campbell-theorem RMS (µV, before gain) of the pool at steady voluntary excitation."""
        e = np.atleast_1d(np.asarray(excitation, dtype=np.float64))
        power = self.amplitudes**2 * self.muaps.energy
        return np.sqrt(power @ self.voluntary_rates(e))

    def level_for_rms(self, rms_uv: float) -> float:
        """Smallest steady voluntary excitation whose expected RMS reaches `rms_uv` (≤ 1)."""
        curve = self.expected_rms(_LEVEL_GRID)
        if rms_uv >= curve[-1]:
            return 1.0
        return float(_LEVEL_GRID[np.argmax(curve >= rms_uv)])

    def recruited(self, excitation: float) -> int:
        """How many units (lowest first) are recruited at `excitation`."""
        return int(np.searchsorted(self.thresholds, excitation, side="right"))

    def describe(self) -> dict[str, Any]:
        """Every drawn value (scalars and per-unit arrays) for `Simulation.params`."""
        units = {"threshold_mvc": self.thresholds, "peak_rate_hz": self.peak_rates}
        units["amplitude_uv"] = self.amplitudes
        units.update(self.muaps.describe())
        return {**self.draws, "units": units}


def draw_pool(rng: np.random.Generator, mvc_rms_uv: float, wide: bool = False) -> MotorUnitPool:
    """Draw a pool (P.N_MOTOR_UNITS … P.MVC_RMS_UV ranges) scaled to `mvc_rms_uv` at 100 % MVC;
    `wide` draws MUAP durations from P.WIDE_MUAP_DURATION_MS."""
    n = integer(rng, P.N_MOTOR_UNITS)
    rr = uniform(rng, P.RECRUITMENT_RANGE)
    last = uniform(rng, P.LAST_RECRUIT_MVC)
    min_rate = uniform(rng, P.MIN_RATE_HZ)
    pfr_first = uniform(rng, P.PEAK_RATE_FIRST_HZ)
    pfr_last = uniform(rng, P.PEAK_RATE_LAST_HZ)
    amp_spread = uniform(rng, P.MUAP_AMP_SPREAD)

    rank = np.arange(n) / (n - 1)
    thresholds = last * np.exp(np.log(rr) * (rank - 1.0))
    # The last unit reaches its peak rate exactly at full excitation (Fuglevand's gain rule).
    rate_gain = (pfr_last - min_rate) / (1.0 - last)
    span = thresholds[-1] - thresholds[0]
    peak_rates = pfr_first - (pfr_first - pfr_last) * (thresholds - thresholds[0]) / span
    amplitudes = np.exp(np.log(amp_spread) * rank) * np.exp(
        rng.normal(0.0, P.MUAP_AMP_JITTER_SIGMA, n)
    )
    bank = draw_bank(rng, n, P.WIDE_MUAP_DURATION_MS if wide else P.MUAP_DURATION_MS)
    # This pool's fields by keyword: alike in shape only to other records' construction.
    pool = MotorUnitPool(
        thresholds=thresholds,
        peak_rates=peak_rates,
        min_rate=min_rate,
        rate_gain=rate_gain,
        amplitudes=amplitudes,
        muaps=bank,
        draws={
            "n_units": n,
            "recruitment_range": rr,
            "last_recruit_mvc": last,
            "min_rate_hz": min_rate,
            "peak_rate_first_hz": pfr_first,
            "peak_rate_last_hz": pfr_last,
            "rate_gain_hz_per_mvc": rate_gain,
            "amp_spread": amp_spread,
        },
    )
    pool.amplitudes *= mvc_rms_uv / float(pool.expected_rms(1.0)[0])
    pool.draws["mvc_rms_uv"] = float(mvc_rms_uv)
    return pool


def rescale_pool(pool: MotorUnitPool, factor: float) -> None:
    """Scale all MUAP amplitudes (used when snr_db and noise_uv are both fixed)."""
    pool.amplitudes *= factor
    pool.draws["mvc_rms_uv"] = float(pool.expected_rms(1.0)[0])
