"""Armband-style quantisation: the 8-bit counts of a Myo, in the wide variety.

Why: the Myo sends signed 8-bit counts whose rest noise is about one count, so a resting
channel takes a handful of values and a fasciculation is a few steps tall. A classifier trained
only on 16/24-bit signals has never seen that staircase. At armband rates (≤ 260 Hz) half the
wide sessions are quantised with a step of 0.6–1.6 × the quietest channel's noise RMS and
clipped at ±128 steps, the way the armband rails.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emgspasm.simulate import params as P
from emgspasm.simulate._util import uniform


def maybe_quantise(rng: np.random.Generator, x: np.ndarray, fs: float,
                   noise_uv: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """x (channels, samples) in µV, quantised in place or left as it is; what was drawn."""
    if fs > P.WIDE_QUANTISED_MAX_FS or rng.random() >= P.P_WIDE_QUANTISED:
        return x, {"lsb_uv": None}
    lsb = uniform(rng, P.WIDE_LSB_REL_NOISE) * float(noise_uv.min())
    levels = P.WIDE_QUANTISED_LEVELS
    np.clip(np.round(x / lsb), -levels, levels - 1, out=x)
    x *= lsb
    return x, {"lsb_uv": lsb}
