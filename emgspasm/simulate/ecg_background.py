"""Continuous ECG crosstalk: background on trunk and proximal channels, never an event.

Why: on trunk, shoulder and thigh electrodes the heart's QRS complexes pass the 20 Hz high-pass
as short spikes once a second, for the whole recording. docs/labels.md counts them as background: a
detector must neither turn each beat into an event nor let beats hide a fasciculation between
them. The standard variety has ECG only as 3–15 s artifact episodes; the wide variety (training)
adds this continuous form to 1–2 channels of 40 % of sessions, with the artifact module's P-QRS-T
template, 50–110 bpm, heart-rate variability, and an R peak of 3–30 × the channel's noise RMS.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emgspasm.simulate import artifacts as A
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, log_uniform, uniform


def ecg_background(rng: np.random.Generator, n: int, fs: float,
                   noise_uv: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """(n_channels, n) continuous ECG crosstalk in µV (pre-gain; zero on most channels)."""
    n_ch = noise_uv.size
    out = np.zeros((n_ch, n))
    if rng.random() >= P.P_WIDE_ECG:
        return out, {"ecg_channels": []}
    k = min(integer(rng, P.WIDE_ECG_CHANNELS), n_ch)
    chans = np.sort(rng.choice(n_ch, k, replace=False))
    template = A.ecg_template(rng)
    rr = 60.0 / uniform(rng, P.ECG_BPM)
    hrv = uniform(rng, P.ECG_HRV_CV)
    duration = n / fs
    intervals = rr * (1.0 + hrv * rng.standard_normal(int(duration / (0.5 * rr)) + 2))
    beats = np.cumsum(np.maximum(intervals, 0.3 * rr)) - rng.uniform(0.0, rr)
    beats = beats[beats < duration + 0.5]
    wave = A.ecg(np.arange(n) / fs, beats, template)
    rel = log_uniform(rng, P.WIDE_ECG_QRS_REL_NOISE, k)
    sign = rng.choice([-1.0, 1.0], k)
    for c, r, sg in zip(chans, rel, sign, strict=True):
        out[c] = sg * r * noise_uv[c] * wave
    return out, {"ecg_channels": chans.tolist(), "ecg_rr_s": rr, "ecg_hrv_cv": hrv,
                 "ecg_rel_noise": rel}
