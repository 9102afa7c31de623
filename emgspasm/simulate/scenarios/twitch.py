"""`twitch` (fasciculation): isolated single-MU potentials at rest (docs/labels.md#the-five-labels).

A twitch episode (5–30 s; mixed sessions 5–20 s) on one channel holds irregular discharges of
that channel's 1–3 fasciculating units (their MUAP shapes repeat; amplitude jitter 5 %), at
0.1–2 /s as a dead-time Poisson process so every twitch has ≥ TWITCH_QUIET_S (250 ms) of quiet
before and after it – also against any other event, because the episode reserves its pair and
sits ≥ 1 s from other events. 10 % of twitches are doublets 30–35 ms apart (one truth event,
`subtype: "doublet"`). Peak amplitude 20–400 µV, never below MIN_TWITCH_PEAK_SNR × noise RMS.

Truth: one event per twitch; start/end = the MUAP's 5 % extent (first discharge + extent_lo,
last discharge + extent_hi), i.e. centre ± half its duration; channels = [the channel].
"""

from __future__ import annotations

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import params as P
from emgspasm.simulate._util import uniform
from emgspasm.simulate.context import Plan, SimContext
from emgspasm.simulate.lanes import Lanes

LABEL = "twitch"


def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    group, start, max_span = lanes.window(rng, end_limit)
    episode = P.TWITCH_MIXED_EPISODE_S if mixed else P.TWITCH_EPISODE_S
    if max_span < episode[0]:
        return None
    channel = int(rng.choice(group))
    duration = min(uniform(rng, episode), max_span)
    params = {
        "channel": ctx.names[channel],
        "duration_s": duration,
        "rate_hz": uniform(rng, P.TWITCH_RATE_HZ),
        "doublet_probability": P.P_TWITCH_DOUBLET,
    }
    return Plan(LABEL, list(group), start, duration, params)


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    channel = ctx.names.index(p["channel"])
    bank = ctx.pools[channel].muaps
    fasc = ctx.fasciculators[channel]
    f_units = np.array([f.unit for f in fasc])
    f_peaks = np.array([f.peak_uv for f in fasc])
    lo = float(bank.extent_lo[f_units].min())
    hi = float(bank.extent_hi[f_units].max())
    dbl_max = P.TWITCH_DOUBLET_S[1]
    # Dead time between first discharges: quiet + the longest twitch (doublet + MUAP extent).
    dead = P.TWITCH_QUIET_S + dbl_max + (hi - lo)
    t_first = plan.start_s + P.TWITCH_QUIET_S - lo
    t_last = plan.start_s + p["duration_s"] - P.TWITCH_QUIET_S - dbl_max - hi
    if t_last <= t_first:
        return []
    mean_gap = max(1.0 / p["rate_hz"] - dead, 0.05)
    n_max = int((t_last - t_first) / dead) + 2
    gaps = dead + rng.exponential(mean_gap, n_max)
    gaps[0] = rng.exponential(1.0 / p["rate_hz"])
    t1 = t_first + np.cumsum(gaps)
    t1 = t1[t1 <= t_last]
    if t1.size == 0:  # an episode always holds at least one twitch
        t1 = np.array([rng.uniform(t_first, t_last)])
    k = t1.size
    which = rng.integers(0, len(fasc), k)
    units = f_units[which]
    doublet = rng.random(k) < P.P_TWITCH_DOUBLET
    t2 = t1 + rng.uniform(*P.TWITCH_DOUBLET_S, k)
    floor = P.MIN_TWITCH_PEAK_SNR * ctx.noise_uv[channel]
    amp1 = np.maximum(f_peaks[which] * (1 + P.TWITCH_AMP_JITTER * rng.standard_normal(k)), floor)
    amp2 = np.maximum(f_peaks[which] * (1 + P.TWITCH_AMP_JITTER * rng.standard_normal(k)), floor)

    times = np.concatenate([t1, t2[doublet]])
    all_units = np.concatenate([units, units[doublet]])
    amps = np.concatenate([amp1, amp2[doublet]])
    order = np.lexsort((times, all_units))
    ctx.add_discharges(
        event, LABEL, "fasciculation", channel, times[order], all_units[order], amps[order]
    )

    truth = []
    for i in range(k):
        u = int(units[i])
        end_spike = t2[i] if doublet[i] else t1[i]
        extra: dict = {
            "unit": u,
            "peak_uv": float(max(amp1[i], amp2[i] if doublet[i] else 0.0)) * ctx.gain,
            "sim_event": event,
        }
        if doublet[i]:
            extra["subtype"] = "doublet"
        truth.append(
            Event(
                start_s=float(t1[i] + bank.extent_lo[u]),
                end_s=float(end_spike + bank.extent_hi[u]),
                label=LABEL,
                channels=[p["channel"]],
                extra=extra,
            )
        )
    return truth
