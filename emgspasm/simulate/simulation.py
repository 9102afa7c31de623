"""`simulate()`: one physiologically grounded recording with its ground truth.

Order of synthesis (all in µV before gain, channels × samples):
1. session draws – gain, mains frequency, noise regime / SNR, per-channel MVC RMS;
2. a motor-unit pool per channel (motor_units.py) and its fasciculating units;
3. noise levels resolved against the SNR definition (below);
4. events scheduled and rendered (session.py, scenarios/) into the EMG and artifact buffers;
5. pair crosstalk on the EMG, then background (noise, hum, wander) and additive artifacts;
6. clipping and lead-off applied; finally everything × gain.

SNR definition (docs/signal.md#recording-conditions: 5–40 dB): snr_db = 20·log10(RMS_ref /
RMS_noise) per channel, where
RMS_ref is the Campbell-theorem RMS of that channel's pool at a steady voluntary excitation of
REF_CONTRACTION_MVC (20 % MVC) and RMS_noise the RMS of its background noise (white + coloured;
mains hum and baseline wander excluded). Gain cancels. Resolution of the arguments:
- noise_uv and snr_db given: noise is noise_uv; the pools are rescaled so RMS_ref matches snr_db.
- only noise_uv: noise is noise_uv (every channel); SNR follows from each pool.
- only snr_db: each channel's noise is RMS_ref / 10^(snr_db/20).
- neither: with P_CLEAN_NOISE_REGIME a "clean" session (noise 1–8 µV × a per-channel 0.8–1.25)
  else an "snr" session (snr_db drawn 5–40 dB).
Every value is drawn from the seed even when an argument overrides it, so passing e.g. `gain`
changes only the gain, not the rest of the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgspasm.events import Event
from emgspasm.recording import Recording
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, jsonable, log_uniform
from emgspasm.simulate.context import Fasciculator, SimContext, SpikeRecord
from emgspasm.simulate.crosstalk import apply_crosstalk, draw_crosstalk
from emgspasm.simulate.ecg_background import ecg_background
from emgspasm.simulate.montage import channel_groups, channel_names, default_pairs
from emgspasm.simulate.motor_units import MotorUnitPool, draw_pool, rescale_pool
from emgspasm.simulate.noise import background
from emgspasm.simulate.quantise import maybe_quantise
from emgspasm.simulate.session import schedule

VARIETIES: tuple[str, ...] = ("standard", "wide")
"""`standard`: the ranges the held-out `test` split has always used; `wide`: those plus strong
hum, continuous ECG, 8-bit armband quantisation, neighbour crosstalk, postural/strong/gait
voluntary kinds, shallow cramps and single-channel rigidity (what training should cover)."""

SCENARIOS: tuple[str, ...] = (
    "mixed",
    "rest",
    "voluntary",
    "cramp",
    "twitch",
    "rigidity",
    "artifact",
)
MIN_FS = 100.0
"""Below this a 10 ms MUAP is not representable at all; the lowest device rate is 200 Hz."""


@dataclass
class Simulation:
    """A simulated recording, its ground truth and every drawn parameter (JSON-able).

    `params` amplitudes (noise_uv, mvc_rms_uv, ref_rms_uv, pool/artifact µV values) are before
    `params["gain"]`; truth extras (peak_uv, expected_rms_uv, rail_uv, value_uv) are in the
    recording's µV. `params["events"]` holds one record per scheduled event (its `id` is the
    truth events' `sim_event`). `spikes` (not part of equality/repr) holds the discharge times
    the generator placed, per event/channel/role, so physiology can be checked against the
    generator's own trains.
    """

    recording: Recording
    truth: list[Event]
    params: dict[str, Any]
    spikes: list[SpikeRecord] = field(default_factory=list, repr=False, compare=False)


def _validate(duration_s: float, fs: float, n_channels: int, scenario: str) -> None:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {SCENARIOS}")
    if not duration_s > 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    if not fs >= MIN_FS:
        raise ValueError(f"fs must be at least {MIN_FS} Hz, got {fs}")
    if int(n_channels) != n_channels or n_channels < 1:
        raise ValueError(f"n_channels must be a positive integer, got {n_channels}")


def _resolve_noise(
    rng: np.random.Generator,
    pools: list[MotorUnitPool],
    snr_db: float | None,
    noise_uv: float | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    n_ch = len(pools)
    drawn_regime = "clean" if rng.random() < P.P_CLEAN_NOISE_REGIME else "snr"
    drawn_snr = float(rng.uniform(*P.SNR_DB))
    drawn_noise = log_uniform(rng, P.NOISE_UV)
    spread = log_uniform(rng, P.NOISE_CHANNEL_SPREAD, n_ch)
    ref = np.array([float(p.expected_rms(P.REF_CONTRACTION_MVC)[0]) for p in pools])
    if noise_uv is not None and snr_db is not None:
        regime, noise = "given_noise_and_snr", np.full(n_ch, float(noise_uv))
        target = noise * 10 ** (snr_db / 20)
        for pool, r, tgt in zip(pools, ref, target, strict=True):
            rescale_pool(pool, tgt / r)
        ref = target
    elif noise_uv is not None:
        regime, noise = "given_noise", np.full(n_ch, float(noise_uv))
    elif snr_db is not None:
        regime, noise = "given_snr", ref / 10 ** (snr_db / 20)
    elif drawn_regime == "clean":
        regime, noise = "clean", drawn_noise * spread
    else:
        regime, noise = "snr", ref / 10 ** (drawn_snr / 20)
    info = {
        "noise_regime": regime,
        "drawn_regime": drawn_regime,
        "drawn_snr_db": drawn_snr,
        "drawn_noise_uv": drawn_noise,
        "noise_channel_spread": spread,
        "ref_contraction_mvc": P.REF_CONTRACTION_MVC,
        "ref_rms_uv": ref,
        "noise_uv": noise,
        "snr_db_per_channel": 20 * np.log10(ref / noise),
    }
    return noise, info


def _fasciculators(
    rng: np.random.Generator, pool: MotorUnitPool, noise_uv: float
) -> list[Fasciculator]:
    k = integer(rng, P.FASCICULATING_UNITS)
    units = rng.choice(pool.n_units, k, replace=False)
    peaks = log_uniform(rng, P.TWITCH_PEAK_UV, k)
    floor = P.MIN_TWITCH_PEAK_SNR * noise_uv
    return [Fasciculator(int(u), float(max(a, floor))) for u, a in zip(units, peaks, strict=True)]


def simulate(
    duration_s: float = 120.0,
    fs: float = 1000.0,
    n_channels: int = 4,
    seed: int | None = 0,
    scenario: str = "mixed",
    *,
    snr_db: float | None = None,
    gain: float | None = None,
    mains_hz: float | None = None,
    noise_uv: float | None = None,
    variety: str = "standard",
) -> Simulation:
    """Simulate `duration_s` of `n_channels` surface EMG at `fs` with ground truth.

    Scenarios: "mixed" (all classes interleaved), "rest" (background only) or one class
    ("voluntary", "cramp", "twitch", "rigidity", "artifact"). Arguments left None are drawn
    from `seed` (see params.py for every range); same arguments → identical arrays.
    `noise_uv` is the background noise RMS before `gain`; `snr_db` follows the definition in
    this module's docstring. `variety` is one of `VARIETIES`. Channels are "ch1".."chN";
    (ch1, ch2), (ch3, ch4)… are agonist/antagonist pairs (`default_pairs`).

    >>> sim = simulate(10.0, fs=250.0, n_channels=2, seed=1, scenario="twitch")
    >>> sim.recording.samples.shape
    (2500, 2)
    """
    _validate(duration_s, fs, n_channels, scenario)
    if variety not in VARIETIES:
        raise ValueError(f"unknown variety {variety!r}; choose one of {VARIETIES}")
    wide = variety == "wide"
    n_channels = int(n_channels)
    fs = float(fs)
    ss = np.random.SeedSequence(seed)
    r_session, r_pools, r_noise_level, r_events, r_background, r_fasc = (
        np.random.default_rng(s) for s in ss.spawn(6)
    )
    drawn_gain = log_uniform(r_session, P.GAIN)
    drawn_mains = float(r_session.choice(P.MAINS_HZ))
    mvc = log_uniform(r_session, P.MVC_RMS_UV, n_channels)
    links = draw_crosstalk(r_session, n_channels, fs, wide)
    g = drawn_gain if gain is None else float(gain)
    mains = drawn_mains if mains_hz is None else float(mains_hz)

    pools = [draw_pool(r_pools, float(m), wide) for m in mvc]
    noise, noise_info = _resolve_noise(r_noise_level, pools, snr_db, noise_uv)
    fasc = [_fasciculators(r_fasc, pool, float(nz)) for pool, nz in zip(pools, noise, strict=True)]

    n = round(duration_s * fs)
    names = channel_names(n_channels)
    # This context's fields by keyword: alike in shape only to other records' construction.
    ctx = SimContext(
        fs=fs,
        n_samples=n,
        duration_s=n / fs,
        names=names,
        groups=channel_groups(n_channels),
        pools=pools,
        noise_uv=noise,
        gain=g,
        mains_hz=mains,
        fasciculators=fasc,
        wide=wide,
    )
    truth, records = schedule(r_events, ctx, scenario)

    bg, bg_info = background(r_background, n, fs, noise, mains, wide)
    x = apply_crosstalk(ctx.emg, fs, links) + bg + ctx.art
    if wide:
        # A stream of its own, so the standard variety's draws are untouched.
        r_wide = np.random.default_rng(ss.spawn(1)[0])
        heart, heart_info = ecg_background(r_wide, n, fs, noise)
        x += heart
        bg_info.update(heart_info)
    for op in ctx.post_ops:
        seg = x[op.channel, op.i0 : op.i1]
        if op.kind == "clip":
            np.clip(seg, -op.value, op.value, out=seg)
        else:
            seg[:] = op.value
    if wide:
        x, quant_info = maybe_quantise(r_wide, x, fs, noise)
        bg_info.update(quant_info)
    x *= g

    params = {
        "seed": seed if seed is not None else ss.entropy,
        "scenario": scenario,
        "variety": variety,
        "duration_s": n / fs,
        "fs": fs,
        "n_channels": n_channels,
        "channels": names,
        "pairs": [[names[a], names[b]] for a, b in default_pairs(n_channels)],
        "gain": g,
        "drawn_gain": drawn_gain,
        "mains_hz": mains,
        "drawn_mains_hz": drawn_mains,
        "snr_db": snr_db
        if snr_db is not None
        else (noise_info["drawn_snr_db"] if noise_info["noise_regime"] == "snr" else None),
        **noise_info,
        "crosstalk": [
            {**lk, "source": names[lk["source"]], "target": names[lk["target"]]} for lk in links
        ],
        "background": bg_info,
        "pools": [
            {"channel": nm, **pool.describe(), "fasciculators": [f.__dict__ for f in fc]}
            for nm, pool, fc in zip(names, pools, fasc, strict=True)
        ],
        "events": records,
    }
    recording = Recording(samples=x.T, fs=fs, channels=names)
    return Simulation(recording, truth, jsonable(params), ctx.spikes)
