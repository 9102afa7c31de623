"""Background present on every recording: noise, a small mains hum, baseline wander.

Why: docs/signal.md#the-surface-emg-signal – a clean resting baseline of a few µV RMS, mains 50/60
Hz
with harmonics, and slow drift – none of which is an event. The noise is white plus a
low-pass-coloured part (amplifier/electrode noise is not perfectly white); both parts are scaled
so the channel's background noise RMS is exactly `noise_uv` (the denominator of snr_db). The
hum (harmonics above the device's anti-alias limit omitted) and the < 1 Hz wander are extra and
are removed by a notch and the 20 Hz high-pass; they are not counted in the SNR.

The wide variety (training) draws hum as wearables see it: up to 10 × the noise RMS, harmonics
2–7 (odd ones strong), a mains frequency up to 0.1 Hz off nominal and an amplitude that drifts
slowly (log-normal), so the detector learns nothing from a clean mains line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import signal

from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, log_uniform


def _wide_hum(rng: np.random.Generator, t: np.ndarray, mains_hz: float,
              nyq_cap: float) -> tuple[np.ndarray, dict[str, Any]]:
    """Unit-RMS-fundamental hum with harmonics, a frequency offset and a slow amplitude drift
    (common to all channels: hum is nearly common mode)."""
    f0 = mains_hz + float(rng.uniform(*P.WIDE_HUM_OFFSET_HZ))
    hum = np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi))
    rel = {}
    for k in P.WIDE_HUM_HARMONICS:
        if k * f0 >= nyq_cap:
            continue
        span = P.WIDE_HUM_ODD_REL if k % 2 else P.WIDE_HUM_EVEN_REL
        rel[k] = float(rng.uniform(*span)) / (k // 2 if k % 2 else 1)
        hum += rel[k] * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    tau = float(rng.uniform(*P.WIDE_HUM_DRIFT_S))
    knots = np.arange(0.0, t[-1] + 2 * tau if t.size else tau, tau)
    drift = np.exp(np.interp(t, knots, rng.normal(0.0, P.WIDE_HUM_DRIFT_SD, knots.size)))
    return hum * drift, {"hum_hz": f0, "hum_harmonics": rel, "hum_drift_s": tau}


def background(
    rng: np.random.Generator, n: int, fs: float, noise_uv: np.ndarray, mains_hz: float,
    wide: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Return (n_channels, n) background in µV (pre-gain) and the parameters drawn."""
    n_ch = noise_uv.size
    t = np.arange(n) / fs
    out = np.empty((n_ch, n))
    colour_frac = rng.uniform(*P.NOISE_COLOUR_FRACTION, n_ch)
    nyq_cap = P.HARMONIC_NYQUIST_FRACTION * fs
    cutoffs = np.minimum(log_uniform(rng, P.NOISE_COLOUR_CUTOFF_HZ, n_ch), nyq_cap)
    hum_rel = rng.uniform(*P.HUM_REL_NOISE, n_ch)
    hum_harm = rng.uniform(*P.HUM_HARMONIC_REL, 2)
    hum_phase = rng.uniform(0, 2 * np.pi, 3)  # common phases: hum is (nearly) common mode
    wide_info: dict[str, Any] = {}
    if wide:
        hum_rel = log_uniform(rng, P.WIDE_HUM_REL_NOISE, n_ch)
        wide_hum, wide_info = _wide_hum(rng, t, mains_hz, nyq_cap)
    wander: list[dict[str, Any]] = []
    for c in range(n_ch):
        white = rng.standard_normal(n)
        coloured = signal.sosfilt(
            signal.butter(1, cutoffs[c], fs=fs, output="sos"), rng.standard_normal(n)
        )
        sd = float(coloured.std()) if n > 1 else 0.0
        coloured = coloured / sd if sd > 0 else coloured
        out[c] = noise_uv[c] * (
            np.sqrt(1 - colour_frac[c]) * white + np.sqrt(colour_frac[c]) * coloured
        )

        if wide:
            hum = wide_hum
        else:
            hum = np.sin(2 * np.pi * mains_hz * t + hum_phase[0])
            for k, harmonic in enumerate((3, 5)):
                if harmonic * mains_hz < nyq_cap:
                    hum += hum_harm[k] * np.sin(
                        2 * np.pi * harmonic * mains_hz * t + hum_phase[k + 1])
        out[c] += hum_rel[c] * noise_uv[c] * np.sqrt(2.0) * hum

        k_w = integer(rng, P.WANDER_COMPONENTS)
        w = {
            "amplitude_uv": log_uniform(rng, P.WIDE_WANDER_UV if wide else P.WANDER_UV, k_w),
            "freq_hz": rng.uniform(*P.WANDER_HZ, k_w),
            "phase": rng.uniform(0, 2 * np.pi, k_w),
        }
        for a, f, ph in zip(w["amplitude_uv"], w["freq_hz"], w["phase"], strict=True):
            out[c] += a * np.sin(2 * np.pi * f * t + ph)
        wander.append(w)
    drawn = {
        "colour_fraction": colour_frac,
        "colour_cutoff_hz": cutoffs,
        "hum_rms_rel_noise": hum_rel,
        "hum_harmonic_rel": hum_harm,
        "hum_phase": hum_phase,
        "wander": wander,
        **wide_info,
    }
    return out, drawn
