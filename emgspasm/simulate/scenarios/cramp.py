"""`cramp`: abrupt, irregular, modulated, localised contraction (docs/labels.md; Minetto 2009).

Excitation: raised-cosine rise in 0.05–0.3 s to 20–100 % MVC, a common 0.8–2.5 Hz
waxing/waning modulation (excitation swings between level·(1 − depth) and level, depth 20–60 %)
plus a low-pass fluctuation, then a 0.2–2 s raised-cosine decay. Firing statistic differs from
voluntary: rates 5–7 → 22–25 pps with the gain solved so the recruited units' mean rate at the
mean excitation is 12–17 pps (lit. mean 14.5), overall ISI CV 0.35–0.6 (lit. ≈ 0.45; doublets
included, see `renewal_cv`) and 2–6 % doublets 5–10 ms apart. Only ONE channel: the pair
partner stays quiet apart from crosstalk.

The wide variety draws the depth from 3 % (saturated or shallow cramps wax and wane little), the
length log-uniformly up to 3 min, the fade up to 10 s, a slow wax/wane of up to 25 % and wider
discharge rates (params.py, "wide"): what other generators and real cramps do.

Optional precursor (30 %): the 1–4 lowest-threshold units fire sparsely over the preceding
2–8 s at ≤ PRECURSOR_MAX_MVC excitation. It is *not* part of the truth event.

Truth: start = first discharge at or after the abrupt rise begins, end = last discharge;
channels = [the cramping channel].
"""

from __future__ import annotations

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, log_uniform, uniform
from emgspasm.simulate.context import Plan, SimContext
from emgspasm.simulate.excitation import cosine_step, fluctuation
from emgspasm.simulate.lanes import Lanes
from emgspasm.simulate.motor_units import MotorUnitPool
from emgspasm.simulate.spike_trains import CTRL_FS, add_doublets, renewal_trains

LABEL = "cramp"
_GAIN_GRID = np.logspace(0.0, 4.0, 400)


def cramp_rates(
    pool: MotorUnitPool, e: np.ndarray, min_rate: float, max_rate: float, gain: float
) -> np.ndarray:
    """Cramp rate law: min(max_rate, min_rate + gain·(E − threshold)) once recruited."""
    n = pool.recruited(float(e.max()))
    th = pool.thresholds[:n, None]
    rates = np.minimum(max_rate, min_rate + gain * (e[None, :] - th))
    rates[e[None, :] < th] = 0.0
    return rates


def solve_gain(thresholds: np.ndarray, e: float, min_rate: float, max_rate: float, mean: float):
    """Rate gain (pps per unit excitation) giving `mean` pps over the units recruited at `e`."""
    active = thresholds[thresholds <= e]
    if active.size == 0:
        return float(_GAIN_GRID[0])
    rates = np.minimum(max_rate, min_rate + _GAIN_GRID[:, None] * (e - active[None, :]))
    curve = rates.mean(axis=1)
    return float(np.interp(mean, curve, _GAIN_GRID))


def renewal_cv(target_cv: float, doublet_fraction: float) -> float:
    """Renewal CV that gives an overall ISI CV of `target_cv` once doublets are added.

    Splitting a fraction q of ISIs with a short doublet interval turns CV² into
    CV² + q·(1 + CV²), so the renewal CV is √((target² − q)/(1 + q)) – floored at
    CRAMP_MIN_RENEWAL_CV so the firing stays irregular even with doublets ignored.
    """
    q = doublet_fraction
    cv2 = (target_cv**2 - q) / (1.0 + q)
    return float(max(np.sqrt(max(cv2, 0.0)), P.CRAMP_MIN_RENEWAL_CV))


# Every scenario's plan has this signature and opening (shape only); the window is Lanes.window.
def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    group, start, max_span = lanes.window(rng, end_limit)
    if max_span < P.CRAMP_DURATION_S[0]:
        return None
    channel = int(rng.choice(group))
    pool = ctx.pools[channel]
    long = mixed and rng.random() < P.P_CRAMP_LONG_IN_MIXED
    if ctx.wide:
        duration = log_uniform(rng, P.WIDE_CRAMP_DURATION_S)
    else:
        duration = uniform(rng, P.CRAMP_DURATION_S if (long or not mixed)
                           else P.CRAMP_MIXED_DURATION_S)
    precursor = uniform(rng, P.CRAMP_PRECURSOR_S) if rng.random() < P.P_CRAMP_PRECURSOR else 0.0
    if precursor and precursor + P.CRAMP_DURATION_S[0] > max_span:
        precursor = 0.0
    duration = min(duration, max_span - precursor)
    # Precursor recruits only the lowest units and stays below PRECURSOR_MAX_MVC.
    n_pre = min(integer(rng, P.CRAMP_PRECURSOR_UNITS), max(1, pool.recruited(P.PRECURSOR_MAX_MVC)))
    th = pool.thresholds
    pre_level = min(0.5 * float(th[n_pre - 1] + th[n_pre]), P.PRECURSOR_MAX_MVC)  # k units

    level = uniform(rng, P.CRAMP_LEVEL_MVC)
    depth = uniform(rng, P.WIDE_CRAMP_MOD_DEPTH if ctx.wide else P.CRAMP_MOD_DEPTH)
    min_rate = uniform(rng, P.CRAMP_MIN_RATE_PPS)
    max_rate = uniform(rng, P.WIDE_CRAMP_MAX_RATE_PPS if ctx.wide else P.CRAMP_MAX_RATE_PPS)
    mean_rate = uniform(rng, P.WIDE_CRAMP_MEAN_RATE_PPS if ctx.wide else P.CRAMP_MEAN_RATE_PPS)
    target_cv = uniform(rng, P.CRAMP_ISI_CV)
    doublets = uniform(rng, P.CRAMP_DOUBLET_FRACTION)
    gain = solve_gain(pool.thresholds, level * (1 - depth / 2), min_rate, max_rate, mean_rate)
    params = {
        "channel": ctx.names[channel],
        "duration_s": duration,
        "rise_s": uniform(rng, P.CRAMP_RISE_S),
        "decay_s": min(uniform(rng, P.WIDE_CRAMP_DECAY_S if ctx.wide else P.CRAMP_DECAY_S),
                       duration / 3.0),
        "level_mvc": level,
        "mod_hz": uniform(rng, P.CRAMP_MOD_HZ),
        "mod_depth": depth,
        "mod_phase": uniform(rng, (0.0, 2 * np.pi)),
        "fluctuation": uniform(rng, P.WIDE_CRAMP_FLUCTUATION if ctx.wide else P.CRAMP_FLUCTUATION),
        "fluctuation_hz": uniform(rng, P.DRIVE_FLUCTUATION_HZ),
        "isi_cv": target_cv,
        "renewal_cv": renewal_cv(target_cv, doublets),
        "doublet_fraction": doublets,
        "min_rate_pps": min_rate,
        "max_rate_pps": max_rate,
        "target_mean_rate_pps": mean_rate,
        "rate_gain_pps_per_mvc": gain,
        "precursor_s": precursor,
        "precursor_units": n_pre if precursor else 0,
        "precursor_level_mvc": pre_level if precursor else 0.0,
    }
    return Plan(LABEL, list(group), start, precursor + duration, params)


def excitation(p: dict, rng: np.random.Generator, n_ctrl: int) -> np.ndarray:
    """The cramp's excitation on the control grid (relative to the plan start)."""
    t = np.arange(n_ctrl) / CTRL_FS
    pre = p["precursor_s"]
    tm = t - pre
    wave = 1.0 - p["mod_depth"] * 0.5 * (
        1.0 - np.sin(2 * np.pi * p["mod_hz"] * tm + p["mod_phase"])
    )
    wobble = fluctuation(rng, n_ctrl, CTRL_FS, p["fluctuation"], p["fluctuation_hz"])
    rise = cosine_step(tm / p["rise_s"])
    fall = cosine_step((p["duration_s"] - tm) / p["decay_s"])
    base = p["precursor_level_mvc"] * (1.0 - rise) if pre else 0.0
    e = p["level_mvc"] * rise * fall * wave * (1.0 + wobble)
    if pre:
        e = e + base * np.clip(t / pre, 0.0, 1.0) * (tm < p["rise_s"])
    e[tm >= p["duration_s"]] = 0.0
    return np.clip(e, 0.0, 1.0)


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    channel = ctx.names.index(p["channel"])
    pool = ctx.pools[channel]
    n_ctrl = int(np.ceil(plan.span_s * CTRL_FS)) + 1
    e = excitation(p, rng, n_ctrl)
    rates = cramp_rates(pool, e, p["min_rate_pps"], p["max_rate_pps"], p["rate_gain_pps_per_mvc"])
    times, units = renewal_trains(rng, plan.start_s, rates, p["renewal_cv"])
    times, units, n_doublets = add_doublets(
        rng, times, units, p["doublet_fraction"], P.CRAMP_DOUBLET_ISI_S
    )
    onset = plan.start_s + p["precursor_s"]
    main = times >= onset
    if p["precursor_s"]:
        ctx.add_discharges(event, LABEL, "precursor", channel, times[~main], units[~main])
    ctx.add_discharges(event, LABEL, "cramp", channel, times[main], units[main])
    if not main.any():
        return []
    return [
        Event(
            start_s=float(times[main].min()),
            end_s=float(times[main].max()),
            label=LABEL,
            channels=[p["channel"]],
            extra={
                "level_mvc": p["level_mvc"],
                "isi_cv": p["isi_cv"],
                "mod_hz": p["mod_hz"],
                "doublets": n_doublets,
                "precursor_s": p["precursor_s"],
                "sim_event": event,
            },
        )
    ]
