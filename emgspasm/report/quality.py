"""Signal-quality verdicts per channel, in plain language, from a `RecordingProfile`.

Numbers alone (a floor of 37 µV, 0.4 % clipped) leave a reader asking "is that bad?". Each
figure here is compared with a named threshold whose reason is written down, and a channel that
crosses one gets a sentence saying what it means for the labels and what to check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emgspasm.report.profile import RecordingProfile

NOISE_FLOOR_HIGH_UV = 20.0
"""A clean resting surface-EMG baseline is a few µV RMS (docs/signal.md; De Luca 2010). Above 20 µV
in
the quietest seconds the electrode contact is poor, the impedance high, or the muscle never
rests; twitches and weak rigidity, tens of µV at the surface, may then be missed."""

MAINS_SHARE_OF_FLOOR = 0.7
"""Mains is flagged when its level reaches 0.7 of the noise floor, i.e. hum carries about half
the power of the quiet signal (0.7² ≈ 0.5). The pipeline's notches keep hum out of the
features, but the activity threshold sits on the band-passed floor, hum included."""

CLIP_FLAG_FRACTION = 1e-3
"""More than 0.1 % of samples on a rail: strong contractions saturate the amplifier, which
flattens their peaks and adds harmonics, distorting the amplitude and spectral features the
labels rest on."""

FLAT_FLAG_FRACTION = 1e-2
"""More than 1 % of the time flat: a lead-off or a stuck amplifier; those stretches hold no EMG,
and the detector may call their edges artifacts."""


@dataclass(frozen=True)
class ChannelQuality:
    """One row of the quality table: the figures and the plain-language flags they raise."""

    channel: str
    noise_floor_uv: float
    mains_uv: float
    clip_fraction: float  # NaN: not assessable (too few quantisation levels)
    flat_fraction: float
    flags: tuple[str, ...]


def assess_quality(profile: RecordingProfile) -> list[ChannelQuality]:
    """Quality figures and flags for each channel of `profile`."""
    rows = []
    for c, name in enumerate(profile.channels):
        floor = float(profile.noise_floor_uv[c])
        mains = float(profile.mains_uv[c])
        clip = float(profile.clip_fraction[c])
        flat = float(profile.flat_fraction[c])
        rows.append(ChannelQuality(name, floor, mains, clip, flat,
                                   _flags(floor, mains, clip, flat)))
    return rows


def _flags(floor: float, mains: float, clip: float, flat: float) -> tuple[str, ...]:
    flags = []
    if not np.isfinite(floor):
        flags.append("no full second of signal: the noise floor is unknown")
    elif floor > NOISE_FLOOR_HIGH_UV:
        flags.append(
            f"noisy: the quietest seconds are at {floor:.3g} µV RMS, where clean rest is a few "
            f"µV (above {NOISE_FLOOR_HIGH_UV:g} µV: poor contact, high impedance, or a muscle "
            "that never rests); small twitches may be missed"
        )
    if np.isfinite(mains) and np.isfinite(floor) and mains >= MAINS_SHARE_OF_FLOOR * floor:
        flags.append(
            f"mains hum ({mains:.3g} µV) makes up about half or more of the quiet signal: check "
            "the reference and ground electrodes and the cables; hum raises the detection "
            "threshold"
        )
    if np.isfinite(clip) and clip > CLIP_FLAG_FRACTION:
        flags.append(
            f"clipping: {clip:.1%} of samples sit on the amplifier's rail; strong contractions "
            "are distorted (lower the gain or widen the input range)"
        )
    if flat > FLAT_FLAG_FRACTION:
        flags.append(
            f"flat line for {flat:.1%} of the recording: an electrode off or the amplifier "
            "stuck; no EMG was recorded there"
        )
    return tuple(flags)


def gap_summary(profile: RecordingProfile) -> tuple[int, float]:
    """(number of gaps, seconds missing)."""
    return len(profile.gaps), profile.n_missing / profile.fs
