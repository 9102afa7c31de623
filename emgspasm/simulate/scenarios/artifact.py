"""`artifact` events: motion, electrode pop, mains burst, ECG, clipping, lead-off (docs/labels.md).

Subtypes and channels (drawn with ARTIFACT_WEIGHTS); each amplitude is floored at a multiple
of the noise RMS (params.*_MIN_*_NOISE) so the truth stays detectable at low SNR:
- motion: 0.2–2 s sum of 1–15 Hz sinusoids under a Hann window, 0.3–10 mV peak (≥ 20 × noise),
  on 1–all channels with per-channel gain/polarity, plus a broadband leakage burst (1–10 %).
- pop: one channel, step of 0.2–5 mV with a 0–2 ms edge, exponential decay τ 20–200 ms.
- mains: all channels (common mode, gains 0.7–1.3), 1–5 s of 50/60 Hz + odd harmonics, 0.1–5 mV.
- ecg: ≥ 2 channels (common shape, gains 0.3–1, random polarity), P-QRS-T at 50–110 bpm with
  1–5 % RR variability for 3–15 s, R amplitude 50–500 µV.
- clipping: one channel; a saturating transient (1.5–3.5 × the rail) with a broadband burst is
  clipped at ±rail for 0.2–2 s. The rail is ≥ 2 × the channel's MVC RMS.
- leadoff: one channel held flat (no noise) for 0.5–3 s, at 0 µV or at the rail.

Truth: start/end = the artifact's extent (motion/mains/clipping: the window; pop: edge → edge +
5 τ; ECG: first P onset → last T end; lead-off: the flat segment); channels = those affected.
All artifacts are scheduled in rest periods of every channel group they touch.
"""

from __future__ import annotations

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import artifacts as A
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, log_uniform, uniform
from emgspasm.simulate.context import Plan, PostOp, SimContext
from emgspasm.simulate.lanes import Lanes

LABEL = "artifact"


def _choose_channels(rng: np.random.Generator, ctx: SimContext, lanes: Lanes, sub: str):
    n = ctx.n_channels
    if sub == "mains":
        return list(range(n))
    if sub in ("motion", "ecg"):
        k = integer(rng, (min(2, n) if sub == "ecg" else 1, n))
        return sorted(int(c) for c in rng.choice(n, k, replace=False))
    return [int(rng.choice(lanes.pick(rng)))]


def _signed_gains(rng: np.random.Generator, bounds: tuple[float, float], k: int) -> np.ndarray:
    """Per-channel gains with random polarity, the strongest channel at exactly 1."""
    gains = rng.uniform(*bounds, k)
    return gains / gains.max() * rng.choice([-1.0, 1.0], k)


def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    weights = np.asarray(P.ARTIFACT_WEIGHTS)
    sub = str(rng.choice(P.ARTIFACT_SUBTYPES, p=weights / weights.sum()))
    chans = _choose_channels(rng, ctx, lanes, sub)
    start = lanes.start_for(chans)
    names = [ctx.names[c] for c in chans]
    p: dict = {"subtype": sub, "affected": names}
    noise = float(ctx.noise_uv[chans].max())
    if sub == "motion":
        k = integer(rng, P.MOTION_COMPONENTS)
        p.update(
            duration_s=uniform(rng, P.MOTION_DURATION_S),
            freqs_hz=log_uniform(rng, P.MOTION_BAND_HZ, k),
            weights=rng.uniform(0.2, 1.0, k),
            phases=rng.uniform(0, 2 * np.pi, k),
            peak_uv=max(log_uniform(rng, P.MOTION_PEAK_UV), P.MOTION_MIN_PEAK_NOISE * noise),
            channel_gain=_signed_gains(rng, P.MOTION_CHANNEL_GAIN, len(chans)),
            leakage=uniform(rng, P.MOTION_LEAKAGE),
        )
        extent = p["duration_s"]
    elif sub == "pop":
        p.update(
            step_uv=max(log_uniform(rng, P.POP_STEP_UV), P.POP_MIN_STEP_NOISE * noise)
            * float(rng.choice([-1.0, 1.0])),
            tau_s=log_uniform(rng, P.POP_TAU_S),
            edge_s=uniform(rng, P.POP_EDGE_S),
        )
        extent = p["edge_s"] + P.POP_EXTENT_TAUS * p["tau_s"]
    elif sub == "mains":
        p.update(
            duration_s=uniform(rng, P.MAINS_BURST_S),
            amplitude_uv=max(log_uniform(rng, P.MAINS_BURST_UV), P.MAINS_BURST_MIN_NOISE * noise),
            harmonic_rel=rng.uniform(*P.MAINS_BURST_HARMONIC_REL, 2),
            phases=rng.uniform(0, 2 * np.pi, 3),
            edge_s=uniform(rng, P.MAINS_BURST_EDGE_S),
            channel_gain=rng.uniform(*P.MAINS_CHANNEL_GAIN, len(chans)),
        )
        extent = p["duration_s"]
    elif sub == "ecg":
        template = A.ecg_template(rng)
        lo, hi = A.ecg_extent(template)
        window = uniform(rng, P.ECG_DURATION_S)
        rr = 60.0 / uniform(rng, P.ECG_BPM)
        hrv = uniform(rng, P.ECG_HRV_CV)
        n_beats = int(window / rr) + 2
        intervals = rr * (1.0 + hrv * rng.standard_normal(n_beats))
        beats = -lo + np.concatenate([[0.0], np.cumsum(intervals)])  # first P onset at 0
        beats = beats[: max(1, int(np.sum(beats + hi <= window)))]
        p.update(
            template=template,
            beats_s=beats,
            bpm=60.0 / rr,
            hrv_cv=hrv,
            amplitude_uv=max(log_uniform(rng, P.ECG_AMP_UV), P.ECG_MIN_PEAK_NOISE * noise),
            channel_gain=_signed_gains(rng, P.ECG_CHANNEL_GAIN, len(chans)),
        )
        extent = float(beats[-1] + hi)
    elif sub == "clipping":
        mvc = ctx.pools[chans[0]].draws["mvc_rms_uv"]
        rail = max(log_uniform(rng, P.CLIP_RAIL_UV), P.CLIP_MIN_RAIL_MVC * mvc)
        p.update(
            hold_s=uniform(rng, P.CLIP_DURATION_S),
            edge_s=uniform(rng, P.CLIP_EDGE_S),
            rail_uv=rail,
            overdrive=uniform(rng, P.CLIP_OVERDRIVE),
            polarity=float(rng.choice([-1.0, 1.0])),
            burst_rel=uniform(rng, P.CLIP_BURST_REL),
        )
        extent = p["hold_s"] + 2 * p["edge_s"]
    else:  # leadoff
        at_rail = rng.random() < P.P_LEADOFF_AT_RAIL
        mvc = ctx.pools[chans[0]].draws["mvc_rms_uv"]
        rail = max(log_uniform(rng, P.CLIP_RAIL_UV), P.CLIP_MIN_RAIL_MVC * mvc)
        p.update(
            duration_s=uniform(rng, P.LEADOFF_DURATION_S),
            value_uv=float(rng.choice([-1.0, 1.0])) * rail if at_rail else 0.0,
        )
        extent = p["duration_s"]
    if start + extent > end_limit:
        return None
    p["extent_s"] = extent
    return Plan(LABEL, chans, start, extent, p)


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    sub = p["subtype"]
    chans = plan.channels
    i0 = ctx.index(plan.start_s)
    i1 = max(i0 + 1, ctx.index(plan.start_s + plan.span_s))
    i1 = min(i1, ctx.n_samples)
    t = np.arange(i0, i1) / ctx.fs - plan.start_s
    seg = ctx.art[:, i0:i1]
    if sub == "motion":
        wave = p["peak_uv"] * A.motion(t, p["duration_s"], p["freqs_hz"], p["weights"], p["phases"])
        window = np.sin(np.pi * np.clip(t / p["duration_s"], 0.0, 1.0)) ** 2
        for g, ch in zip(p["channel_gain"], chans, strict=True):
            leak = p["leakage"] * p["peak_uv"] * window * rng.standard_normal(t.size)
            seg[ch] += g * wave + leak
    elif sub == "pop":
        seg[chans[0]] += p["step_uv"] * A.pop(t, p["edge_s"], p["tau_s"])
    elif sub == "mains":
        wave = A.mains(t, ctx.mains_hz, ctx.fs, p["harmonic_rel"], p["phases"])
        wave = p["amplitude_uv"] * wave * A.burst_envelope(t, p["duration_s"], p["edge_s"])
        for g, ch in zip(p["channel_gain"], chans, strict=True):
            seg[ch] += g * wave
    elif sub == "ecg":
        wave = p["amplitude_uv"] * A.ecg(t, p["beats_s"], p["template"])
        for g, ch in zip(p["channel_gain"], chans, strict=True):
            seg[ch] += g * wave
    elif sub == "clipping":
        env = A.plateau(t, p["hold_s"], p["edge_s"])
        drive = p["polarity"] * p["overdrive"] * p["rail_uv"] * env
        burst = p["burst_rel"] * p["rail_uv"] * env * rng.standard_normal(t.size)
        seg[chans[0]] += drive + burst
        ctx.post_ops.append(PostOp("clip", chans[0], i0, i1, p["rail_uv"]))
    else:
        ctx.post_ops.append(PostOp("flat", chans[0], i0, i1, p["value_uv"]))
    extra = {"subtype": sub, "sim_event": event}
    if sub in ("clipping", "leadoff"):
        extra["rail_uv" if sub == "clipping" else "value_uv"] = (
            p["rail_uv" if sub == "clipping" else "value_uv"] * ctx.gain
        )
    return [
        Event(
            start_s=plan.start_s,
            end_s=plan.start_s + plan.span_s,
            label=LABEL,
            channels=[ctx.names[c] for c in chans],
            extra=extra,
        )
    ]
