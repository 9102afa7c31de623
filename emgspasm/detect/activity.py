"""Which hops are active, per channel: double thresholds with hysteresis on the noise floor.

Four tests, any of which makes a hop active:
- sustained level: trailing 50 ms RMS above `level_on` floors, held until it falls below
  `level_off` (hysteresis stops a contraction near threshold from chattering);
- spike: a single sample above `peak_on` floors (a fasciculation is one MUAP: too brief to
  lift a 50 ms RMS, but its peak stands far out of Gaussian noise);
- wide band: the 1 Hz high-passed level above threshold (motion, mains, ECG the EMG band
  removes);
- flat: RMS below a tenth of the floor (lead-off, a stuck ADC).
The multipliers come from `DetectorGeometry` (a false-alarm budget), so they follow `fs`.
"""

from __future__ import annotations

import numpy as np

from emgspasm.detect.config import DetectorGeometry


def hysteresis(level: np.ndarray, on: np.ndarray, off: np.ndarray,
               state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized two-threshold latch over rows (time) with carried per-column state.

    Returns the per-row state and the state after the last row. Rows where neither threshold is
    crossed keep the previous state; no Python loop over time.
    """
    n = level.shape[0]
    code = np.where(level > on, 1, np.where(level < off, -1, 0))
    rows = np.arange(n)[:, None]
    last = np.maximum.accumulate(np.where(code != 0, rows, -1), axis=0)
    latched = np.take_along_axis(code, np.maximum(last, 0), axis=0) > 0
    out = np.where(last >= 0, latched, state[None, :])
    return out, (out[-1] if n else state).copy()


class ActivityDetector:
    """Streaming activity flags; thresholds are given per call as multiples of the floor."""

    def __init__(self, n_channels: int, geometry: DetectorGeometry, flat_fraction: float) -> None:
        self.geo = geometry
        self.flat_fraction = flat_fraction
        self._level_state = np.zeros(n_channels, dtype=bool)
        self._broad_state = np.zeros(n_channels, dtype=bool)

    def reset(self) -> None:
        self._level_state[:] = False
        self._broad_state[:] = False

    def step(self, level: np.ndarray, peak: np.ndarray, broad_level: np.ndarray,
             floor: np.ndarray, broad_floor: np.ndarray) -> dict[str, np.ndarray]:
        """Flags for a run of hops; `floor`/`broad_floor` per channel or per hop × channel.

        Hops whose floor is not known yet (the first update period) are never active."""
        g = self.geo
        known = np.isfinite(floor) & np.isfinite(broad_floor)
        f = np.where(known, floor, np.inf)
        bf = np.where(known, broad_floor, np.inf)
        lvl, self._level_state = hysteresis(level, g.level_on * f, g.level_off * f,
                                            self._level_state)
        brd, self._broad_state = hysteresis(broad_level, g.broad_on * bf, g.broad_off * bf,
                                            self._broad_state)
        spike = peak > g.peak_on * f
        flat = level < self.flat_fraction * np.where(known, floor, -np.inf)
        return {"level": lvl, "spike": spike, "broad": brd, "flat": flat,
                "active": lvl | spike | brd | flat}
