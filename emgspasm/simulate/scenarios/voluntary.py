"""`voluntary`: trapezoid contractions with orderly recruitment (SPEC labels table).

Excitation: ramp up 0.1–1 s, hold, ramp down 0.1–1 s at 5–80 % MVC (× a small low-pass drive
fluctuation); Fuglevand rate law with renewal ISI CV 0.1–0.2 on the agonist. The antagonist (pair
partner) gets 0–15 % of a smoothed copy of the agonist's excitation – co-activation is not a truth
event. 30 % of the time several contractions follow each other (repetitions, 0.5–3 s apart);
each repetition is its own truth event.

Truth: start/end = first/last agonist discharge of each contraction; channels = [agonist].
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


def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    group = lanes.pick(rng)
    start = lanes.start_for(list(group))
    max_span = end_limit - start
    if max_span < P.VOL_DURATION_S[0]:
        return None
    agonist = int(rng.choice(group))
    antagonist = next((c for c in group if c != agonist), None)
    pool = ctx.pools[agonist]
    # Detectability floor: raise the level until the expected RMS is MIN_BURST_RMS_SNR × noise.
    floor = min(pool.level_for_rms(P.MIN_BURST_RMS_SNR * ctx.noise_uv[agonist]), P.VOL_LEVEL_MVC[1])
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


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    agonist = ctx.names.index(p["agonist"])
    n_ctrl = int(np.ceil(plan.span_s * CTRL_FS)) + 1
    t = np.arange(n_ctrl) / CTRL_FS
    e = np.zeros(n_ctrl)
    for rep in p["contractions"]:
        e += trapezoid(
            t, rep["onset_s"], rep["ramp_up_s"], rep["hold_s"], rep["ramp_down_s"], rep["level_mvc"]
        )
    wobble = fluctuation(rng, n_ctrl, CTRL_FS, p["drive_fluctuation"], p["drive_fluctuation_hz"])
    e = np.clip(e * (1.0 + wobble), 0.0, 1.0)

    pool = ctx.pools[agonist]
    n_units = pool.recruited(float(e.max()))
    times, units = renewal_trains(rng, plan.start_s, pool.voluntary_rates(e, n_units), p["isi_cv"])
    ctx.add_discharges(event, LABEL, "agonist", agonist, times, units)

    if p["antagonist"] is not None and p["coactivation"] > 0.0:
        antagonist = ctx.names.index(p["antagonist"])
        e_ant = p["coactivation"] * smooth(e, CTRL_FS, p["coactivation_smooth_s"])
        a_pool = ctx.pools[antagonist]
        n_ant = a_pool.recruited(float(e_ant.max()))
        if n_ant:
            rates = a_pool.voluntary_rates(e_ant, n_ant)
            a_times, a_units = renewal_trains(rng, plan.start_s, rates, p["antagonist_isi_cv"])
            ctx.add_discharges(event, LABEL, "antagonist", antagonist, a_times, a_units)

    truth: list[Event] = []
    for i, rep in enumerate(p["contractions"]):
        t0 = plan.start_s + rep["onset_s"]
        inside = times[(times >= t0) & (times <= t0 + rep["duration_s"])]
        if inside.size == 0:
            continue
        expected = float(pool.expected_rms(rep["level_mvc"])[0]) * ctx.gain
        truth.append(
            Event(
                start_s=float(inside.min()),
                end_s=float(inside.max()),
                label=LABEL,
                channels=[p["agonist"]],
                extra={
                    "level_mvc": rep["level_mvc"],
                    "isi_cv": p["isi_cv"],
                    "expected_rms_uv": expected,
                    "repetition": i,
                    "n_repetitions": len(p["contractions"]),
                    "sim_event": event,
                },
            )
        )
    return truth
