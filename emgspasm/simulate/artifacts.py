"""Artifact waveforms: what is not muscle (docs/labels.md#the-five-labels, `artifact` row).

Each function returns samples on the time axis `t` (seconds from the artifact's start) for one
unit-scaled waveform; scenarios/artifact.py draws the parameters, scales them per channel and
writes them into the recording. Why these six: docs/labels.md lists the signatures the detector must
reject – energy mainly < 20 Hz (motion), step + exponential decay (electrode pop), 50/60 Hz and
harmonics, periodic QRS at 1–2 Hz (ECG), identical on all channels (common mode), clipping and
flat line (lead-off).
"""

from __future__ import annotations

import numpy as np

from emgspasm.simulate import params as P
from emgspasm.simulate.excitation import cosine_step


def motion(t: np.ndarray, duration: float, freqs: np.ndarray, weights: np.ndarray, phases):
    """Low-frequency transient: a few 1–15 Hz sinusoids under a Hann window, unit peak."""
    wave = (weights[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None])).sum(0)
    window = np.sin(np.pi * np.clip(t / duration, 0.0, 1.0)) ** 2
    out = wave * window
    peak = float(np.abs(out).max())
    return out / peak if peak > 0 else out


def pop(t: np.ndarray, edge_s: float, tau_s: float) -> np.ndarray:
    """Electrode pop: a (near-)instant step to 1, then exponential recovery with `tau_s`.

    The decay is offset so it reaches exactly 0 at edge + POP_EXTENT_TAUS·τ (the truth extent)
    instead of leaving a small step where the artifact ends.
    """
    rise = np.clip(t / edge_s, 0.0, 1.0) if edge_s > 0 else (t >= 0).astype(float)
    floor = np.exp(-P.POP_EXTENT_TAUS)
    decay = np.clip((np.exp(-(t - edge_s) / tau_s) - floor) / (1.0 - floor), 0.0, 1.0)
    return np.where(t < edge_s, rise, decay) * (t >= 0)


def mains(
    t: np.ndarray, mains_hz: float, fs: float, harmonic_rel: np.ndarray, phases: np.ndarray
) -> np.ndarray:
    """Fundamental + odd harmonics (3rd, 5th, …), skipping those above the anti-alias limit."""
    out = np.sin(2 * np.pi * mains_hz * t + phases[0])
    for k, (rel, ph) in enumerate(zip(harmonic_rel, phases[1:], strict=False)):
        f = (2 * k + 3) * mains_hz
        if f < P.HARMONIC_NYQUIST_FRACTION * fs:
            out = out + rel * np.sin(2 * np.pi * f * t + ph)
    return out


def burst_envelope(t: np.ndarray, duration: float, edge_s: float) -> np.ndarray:
    """1 inside [0, duration] with raised-cosine edges of `edge_s`, 0 outside."""
    return cosine_step(t / edge_s) * cosine_step((duration - t) / edge_s)


ECG_WAVES = ("P", "Q", "R", "S", "T")


def ecg_template(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random P-QRS-T shape as Gaussian bumps (McSharry et al. 2003 style), R peak = 1.

    Returns centre (s, relative to R), width (SD, s) and amplitude for the five waves.
    """
    centre = np.array(
        [
            -rng.uniform(0.15, 0.20),
            -rng.uniform(0.02, 0.035),
            0.0,
            rng.uniform(0.02, 0.035),
            rng.uniform(0.20, 0.30),
        ]
    )
    width = np.array(
        [
            rng.uniform(0.02, 0.03),
            rng.uniform(0.006, 0.01),
            rng.uniform(0.008, 0.014),
            rng.uniform(0.008, 0.014),
            rng.uniform(0.035, 0.06),
        ]
    )
    amp = np.array(
        [
            rng.uniform(0.1, 0.25),
            -rng.uniform(0.05, 0.2),
            1.0,
            -rng.uniform(0.1, 0.4),
            rng.uniform(0.15, 0.4),
        ]
    )
    return {"centre_s": centre, "width_s": width, "amplitude": amp}


def ecg_extent(template: dict[str, np.ndarray]) -> tuple[float, float]:
    """Start/end of one beat relative to its R peak (P onset − 3 SD, T end + 3 SD)."""
    c, w = template["centre_s"], template["width_s"]
    return float(c[0] - 3.0 * w[0]), float(c[-1] + 3.0 * w[-1])


def ecg(t: np.ndarray, beats: np.ndarray, template: dict[str, np.ndarray]) -> np.ndarray:
    """Sum of beats at R-peak times `beats` (s, same axis as `t`), evaluated vectorised."""
    c, w, a = template["centre_s"], template["width_s"], template["amplitude"]
    out = np.zeros_like(t)
    lo, hi = ecg_extent(template)
    if t.size < 2:
        return out
    dt = t[1] - t[0]
    for b in beats:  # one beat at a time: a handful per second, each vectorised over samples
        i0 = max(0, int(np.floor((b + lo - 0.05 - t[0]) / dt)))
        i1 = min(t.size, int(np.ceil((b + hi + 0.05 - t[0]) / dt)) + 1)
        x = t[i0:i1, None] - b - c[None, :]
        out[i0:i1] += (a * np.exp(-0.5 * (x / w) ** 2)).sum(axis=1)
    return out


def plateau(t: np.ndarray, hold_s: float, edge_s: float) -> np.ndarray:
    """Saturating transient: raised-cosine edges around a flat top of `hold_s` (clipping)."""
    return burst_envelope(t, hold_s + 2 * edge_s, edge_s)
