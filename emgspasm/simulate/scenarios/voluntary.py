"""`voluntary`: trapezoid contractions with orderly recruitment (docs/labels.md#the-five-labels).

Excitation: ramp up 0.1–1 s, hold, ramp down 0.1–1 s at 5–80 % MVC (× a small low-pass drive
fluctuation); Fuglevand rate law with renewal ISI CV 0.1–0.2 on the agonist. The antagonist (pair
partner) gets 0–15 % of a smoothed copy of the agonist's excitation – co-activation is not a truth
event. 30 % of the time several contractions follow each other (repetitions, 0.5–3 s apart);
each repetition is its own truth event.

The wide variety (training) adds the kinds other generators and real users produce, with
WIDE_VOLUNTARY_KINDS weights: `postural` holds of 20–120 s at 2–15 % MVC with a slow drift (the
hard negatives for rigidity; 35 % co-contract the antagonist at 0.4–1 × the level, and then the
event lists both channels), `strong` efforts of 2–8 s at 50–100 % MVC (the hard negatives for
cramp) and `gait`: 0.25–0.4 s bursts at a 0.8–1.2 Hz cadence alternating between agonist and
antagonist, each burst its own event on its own channel.

Truth: start/end = first/last discharge of each contraction on its channel; channels = [agonist]
(both for a co-contraction).
"""

from __future__ import annotations

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, log_uniform, uniform
from emgspasm.simulate.context import Plan, SimContext
from emgspasm.simulate.excitation import fluctuation, smooth, trapezoid
from emgspasm.simulate.lanes import Lanes
from emgspasm.simulate.spike_trains import CTRL_FS, renewal_trains

LABEL = "voluntary"


def _contraction(rng: np.random.Generator, duration: float, level: float) -> dict[str, float]:
    up, down = uniform(rng, P.VOL_RAMP_S), uniform(rng, P.VOL_RAMP_S)
    if up + down > duration:  # short bursts: ramps shrink, no hold
        up, down = up * duration / (up + down), down * duration / (up + down)
    return {
        "duration_s": duration,
        "ramp_up_s": up,
        "hold_s": max(0.0, duration - up - down),
        "ramp_down_s": down,
        "level_mvc": level,
    }


# Every scenario's plan has this signature and opening (shape only); the window is Lanes.window.
def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    group, start, max_span = lanes.window(rng, end_limit)
    if max_span < P.VOL_DURATION_S[0]:
        return None
    agonist = int(rng.choice(group))
    antagonist = next((c for c in group if c != agonist), None)
    pool = ctx.pools[agonist]
    # Detectability floor: raise the level until the expected RMS is MIN_BURST_RMS_SNR × noise.
    floor = min(pool.level_for_rms(P.MIN_BURST_RMS_SNR * ctx.noise_uv[agonist]), P.VOL_LEVEL_MVC[1])
    kind = _kind(rng, ctx.wide, antagonist is not None)
    if kind != "standard":
        return _wide_plan(rng, ctx, group, start, max_span, agonist, antagonist, floor, kind)
    base_level = uniform(rng, P.VOL_LEVEL_MVC)

    if rng.random() < P.P_VOL_REPETITIONS:
        n_reps = integer(rng, P.VOL_N_REPETITIONS)
        durations = [log_uniform(rng, P.VOL_REP_DURATION_S) for _ in range(n_reps)]
        rests = [uniform(rng, P.VOL_REP_REST_S) for _ in range(n_reps - 1)]
    else:
        long = rng.random() < P.P_VOL_LONG
        durations = [log_uniform(rng, P.VOL_LONG_DURATION_S if long else P.VOL_DURATION_S)]
        rests = []
    spreads = [uniform(rng, P.VOL_REP_LEVEL_SPREAD) for _ in durations]
    # Fit into the time left: drop trailing repetitions, then shorten the last contraction.
    while len(durations) > 1 and sum(durations) + sum(rests) > max_span:
        durations.pop()
        rests.pop()
    durations[-1] = min(durations[-1], max_span - sum(durations[:-1]) - sum(rests))
    if durations[-1] < P.VOL_DURATION_S[0]:
        return None

    reps, t = [], 0.0
    for i, dur in enumerate(durations):
        level = float(np.clip(base_level * spreads[i], floor, max(floor, P.VOL_LEVEL_MVC[1])))
        rep = _contraction(rng, dur, level)
        rep["onset_s"] = t
        reps.append(rep)
        t += dur + (rests[i] if i < len(rests) else 0.0)
    params = {
        "kind": "standard",
        "agonist": ctx.names[agonist],
        "antagonist": None if antagonist is None else ctx.names[antagonist],
        "contractions": reps,
        "base_level_mvc": base_level,
        "level_floor_mvc": floor,
        "isi_cv": uniform(rng, P.VOL_ISI_CV),
        "coactivation": uniform(rng, P.VOL_COACTIVATION),
        "coactivation_smooth_s": uniform(rng, P.VOL_COACT_SMOOTH_S),
        "drive_fluctuation": uniform(rng, P.DRIVE_FLUCTUATION),
        "drive_fluctuation_hz": uniform(rng, P.DRIVE_FLUCTUATION_HZ),
        "antagonist_isi_cv": uniform(rng, P.VOL_ISI_CV),
    }
    return Plan(LABEL, list(group), start, t, params)


def _kind(rng: np.random.Generator, wide: bool, paired: bool) -> str:
    if not wide:
        return "standard"
    kinds = list(P.WIDE_VOLUNTARY_KINDS)
    weights = np.array([P.WIDE_VOLUNTARY_KINDS[k] for k in kinds])
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    return "standard" if kind == "gait" and not paired else kind


def _wide_plan(rng: np.random.Generator, ctx: SimContext, group: tuple[int, ...], start: float,
               max_span: float, agonist: int, antagonist: int | None, floor: float,
               kind: str) -> Plan | None:
    """A postural hold, a strong effort or a gait bout (see the module docstring)."""
    own: list[dict[str, float]] = []
    other: list[dict[str, float]] = []
    drift = {"drift": 0.0, "drift_hz": 0.0, "drift_phase": 0.0}
    if kind == "gait":
        bout = min(uniform(rng, P.GAIT_BOUT_S), max_span)
        stride = 1.0 / uniform(rng, P.GAIT_CADENCE_HZ)
        lag = uniform(rng, P.GAIT_PHASE) * stride
        level = max(uniform(rng, P.GAIT_LEVEL_MVC), floor)
        for t0 in np.arange(0.0, bout - stride, stride):
            for reps, onset in ((own, t0), (other, t0 + lag)):
                burst = _contraction(rng, uniform(rng, P.GAIT_BURST_S), level)
                burst["onset_s"] = float(onset)
                reps.append(burst)
        if not own:
            return None
        span = bout
    else:
        lo_hi = P.POSTURAL_S if kind == "postural" else P.STRONG_S
        duration = min(log_uniform(rng, lo_hi), max_span)
        if duration < lo_hi[0] * 0.5:
            return None
        levels = P.POSTURAL_LEVEL_MVC if kind == "postural" else P.STRONG_LEVEL_MVC
        rep = _contraction(rng, duration, max(uniform(rng, levels), floor))
        rep["onset_s"] = 0.0
        own.append(rep)
        if kind == "postural":
            drift = {"drift": uniform(rng, P.POSTURAL_DRIFT),
                     "drift_hz": uniform(rng, P.POSTURAL_DRIFT_HZ),
                     "drift_phase": uniform(rng, (0.0, 2 * np.pi))}
            if antagonist is not None and rng.random() < P.P_POSTURAL_COCONTRACTION:
                share = uniform(rng, P.POSTURAL_COCONTRACTION)
                other.append({**rep, "level_mvc": rep["level_mvc"] * share})
        span = duration
    params = {
        "kind": kind,
        "agonist": ctx.names[agonist],
        "antagonist": None if antagonist is None else ctx.names[antagonist],
        "contractions": own,
        "antagonist_contractions": other,
        **drift,
        "isi_cv": uniform(rng, P.VOL_ISI_CV),
        "antagonist_isi_cv": uniform(rng, P.VOL_ISI_CV),
        "coactivation": uniform(rng, P.VOL_COACTIVATION) if kind == "strong" else 0.0,
        "coactivation_smooth_s": uniform(rng, P.VOL_COACT_SMOOTH_S),
        "drive_fluctuation": uniform(rng, P.DRIVE_FLUCTUATION),
        "drive_fluctuation_hz": uniform(rng, P.DRIVE_FLUCTUATION_HZ),
    }
    return Plan(LABEL, list(group), start, span, params)


def _drive(rng: np.random.Generator, p: dict, reps: list[dict], n_ctrl: int) -> np.ndarray:
    """Excitation of a list of contractions on the control grid (relative to the plan start),
    with the drive's low-pass wobble and, for postural holds, its slow drift."""
    t = np.arange(n_ctrl) / CTRL_FS
    e = np.zeros(n_ctrl)
    for rep in reps:
        e += trapezoid(
            t, rep["onset_s"], rep["ramp_up_s"], rep["hold_s"], rep["ramp_down_s"], rep["level_mvc"]
        )
    wobble = fluctuation(rng, n_ctrl, CTRL_FS, p["drive_fluctuation"], p["drive_fluctuation_hz"])
    drift = p.get("drift", 0.0) * np.sin(2 * np.pi * p.get("drift_hz", 0.0) * t
                                         + p.get("drift_phase", 0.0))
    return np.clip(e * (1.0 + wobble) * (1.0 + drift), 0.0, 1.0)


def _fire(rng: np.random.Generator, ctx: SimContext, event: int, channel: int, role: str,
          start_s: float, e: np.ndarray, isi_cv: float) -> np.ndarray:
    """Discharges of a channel's pool under excitation `e`; returns their times."""
    pool = ctx.pools[channel]
    n_units = pool.recruited(float(e.max()))
    if not n_units:
        return np.zeros(0)
    times, units = renewal_trains(rng, start_s, pool.voluntary_rates(e, n_units), isi_cv)
    ctx.add_discharges(event, LABEL, role, channel, times, units)
    return times


def _truth(ctx: SimContext, plan: Plan, event: int, reps: list[dict], times: np.ndarray,
           channel: int, channels: list[str]) -> list[Event]:
    """One truth event per contraction: its first to last discharge on `channel`."""
    p = plan.params
    pool = ctx.pools[channel]
    out: list[Event] = []
    for i, rep in enumerate(reps):
        t0 = plan.start_s + rep["onset_s"]
        inside = times[(times >= t0) & (times <= t0 + rep["duration_s"])]
        if inside.size == 0:
            continue
        expected = float(pool.expected_rms(rep["level_mvc"])[0]) * ctx.gain
        out.append(
            Event(
                start_s=float(inside.min()),
                end_s=float(inside.max()),
                label=LABEL,
                channels=channels,
                extra={
                    "kind": p.get("kind", "standard"),
                    "level_mvc": rep["level_mvc"],
                    "isi_cv": p["isi_cv"],
                    "expected_rms_uv": expected,
                    "repetition": i,
                    "n_repetitions": len(reps),
                    "sim_event": event,
                },
            )
        )
    return out


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    agonist = ctx.names.index(p["agonist"])
    n_ctrl = int(np.ceil(plan.span_s * CTRL_FS)) + 1
    e = _drive(rng, p, p["contractions"], n_ctrl)
    times = _fire(rng, ctx, event, agonist, "agonist", plan.start_s, e, p["isi_cv"])
    other = p.get("antagonist_contractions") or []
    channels = [p["agonist"]]
    truth: list[Event] = []
    if p["antagonist"] is not None:
        antagonist = ctx.names.index(p["antagonist"])
        if other:  # an explicit drive: gait bursts or a co-contraction
            e_ant = _drive(rng, p, other, n_ctrl)
            a_times = _fire(rng, ctx, event, antagonist, "antagonist", plan.start_s, e_ant,
                            p["antagonist_isi_cv"])
            if p["kind"] == "gait":
                truth += _truth(ctx, plan, event, other, a_times, antagonist,
                                [p["antagonist"]])
            else:
                channels = [p["agonist"], p["antagonist"]]
        elif p["coactivation"] > 0.0:
            e_ant = p["coactivation"] * smooth(e, CTRL_FS, p["coactivation_smooth_s"])
            _fire(rng, ctx, event, antagonist, "antagonist", plan.start_s, e_ant,
                  p["antagonist_isi_cv"])
    truth += _truth(ctx, plan, event, p["contractions"], times, agonist, channels)
    return sorted(truth, key=lambda ev: ev.start_s)
