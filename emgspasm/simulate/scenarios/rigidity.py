"""`rigidity`: steady low-level tone on agonist AND antagonist at once
(docs/labels.md#the-five-labels).

On both channels of a pair (independent trains per channel), 2–6 of the lowest-threshold
units (recruited below a 1–10 % MVC level) fire steadily at 5–7 Hz with ISI CV 0.03–0.1 for
10–60 s (mixed sessions 10–30 s). Their MUAP peaks are raised to at least
RIGIDITY_MIN_PEAK_SNR × noise RMS (× 1–2) so every spike stands out of the noise. With no pair
(a single channel) the event falls back to the unpaired channel alone. The wide variety puts
30 % of rigidity on one muscle of the pair alone (its partner rests; the lane stays reserved).

Truth: start/end = first/last discharge over both channels; channels = both channels of the pair.
"""

from __future__ import annotations

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import params as P
from emgspasm.simulate._util import integer, uniform
from emgspasm.simulate.context import Plan, SimContext
from emgspasm.simulate.lanes import Lanes
from emgspasm.simulate.spike_trains import constant_rate_trains

LABEL = "rigidity"


def plan(
    rng: np.random.Generator, ctx: SimContext, lanes: Lanes, *, mixed: bool, end_limit: float
) -> Plan | None:
    group, start, max_span = lanes.window(rng, end_limit, pairs_only=True)
    involved = list(group)
    if ctx.wide and len(group) == 2 and rng.random() < P.P_WIDE_RIGIDITY_SINGLE:
        involved = [int(rng.choice(group))]
    dur_range = P.RIGIDITY_MIXED_DURATION_S if mixed else P.RIGIDITY_DURATION_S
    if max_span < dur_range[0]:
        return None
    duration = min(uniform(rng, dur_range), max_span)
    level = uniform(rng, P.RIGIDITY_LEVEL_MVC)
    per_channel = {}
    for ch in involved:
        pool = ctx.pools[ch]
        n_cand = int(np.clip(pool.recruited(level), 2, P.RIGIDITY_MAX_CANDIDATES))
        n_units = min(integer(rng, P.RIGIDITY_UNITS), n_cand)
        units = np.sort(rng.choice(n_cand, n_units, replace=False))
        floor = P.RIGIDITY_MIN_PEAK_SNR * ctx.noise_uv[ch] * rng.uniform(*P.RIGIDITY_PEAK_BOOST)
        per_channel[ctx.names[ch]] = {
            "units": units,
            "rates_hz": rng.uniform(*P.RIGIDITY_RATE_HZ, n_units),
            "isi_cv": rng.uniform(*P.RIGIDITY_ISI_CV, n_units),
            "peak_uv": np.maximum(pool.amplitudes[units], floor),
        }
    params = {"duration_s": duration, "level_mvc": level, "channels": per_channel}
    return Plan(LABEL, list(group), start, duration, params)


def render(rng: np.random.Generator, ctx: SimContext, plan: Plan, event: int) -> list[Event]:
    p = plan.params
    first, last = np.inf, -np.inf
    for name, c in p["channels"].items():
        ch = ctx.names.index(name)
        times, rows = constant_rate_trains(
            rng, plan.start_s, plan.start_s + p["duration_s"], c["rates_hz"], c["isi_cv"]
        )
        ctx.add_discharges(
            event, LABEL, "rigidity", ch, times, c["units"][rows], c["peak_uv"][rows]
        )
        if times.size:
            first, last = min(first, float(times.min())), max(last, float(times.max()))
    if not np.isfinite(first):
        return []
    return [
        Event(
            start_s=first,
            end_s=last,
            label=LABEL,
            channels=list(p["channels"]),
            extra={"level_mvc": p["level_mvc"], "sim_event": event},
        )
    ]
