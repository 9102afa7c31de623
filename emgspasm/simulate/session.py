"""Scheduling a session's events and collecting their ground truth.

Why: a classifier trained on this must see classes interleaved as in a real session, with rest
between them and never two labels on one channel at once (docs/labels.md precedence only matters for
real overlaps; truth should be unambiguous). The scheduler keeps one lane per channel group
(lanes.py): each event reserves the groups it touches, starts when they are all free, and is
followed by 1–6 s of rest on them. Independent pairs can therefore be busy simultaneously, while
common-mode artifacts (mains, ECG, multi-channel motion) land where all their channels rest.

"mixed": first one of each class (rigidity only if the session is ≥ 40 s) in random order, then
classes drawn with MIXED_CLASS_WEIGHTS until nothing more fits. A single-class scenario fills
the session with that class only; "rest" has no events.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emgspasm.events import Event
from emgspasm.simulate import params as P
from emgspasm.simulate._util import jsonable
from emgspasm.simulate.context import SimContext
from emgspasm.simulate.lanes import Lanes
from emgspasm.simulate.scenarios import GENERATORS


def _mandatory(rng: np.random.Generator, duration_s: float) -> list[str]:
    first = ["voluntary", "cramp", "twitch", "artifact"]
    if duration_s >= P.RIGIDITY_MIN_SESSION_S:
        first.append("rigidity")
    return [first[i] for i in rng.permutation(len(first))]


def schedule(
    rng: np.random.Generator, ctx: SimContext, scenario: str
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Place and render the scenario's events; return (truth, per-event parameter records)."""
    if scenario == "rest":
        return [], []
    mixed = scenario == "mixed"
    lanes = Lanes(ctx.groups, rng.uniform(*P.INITIAL_REST_S, len(ctx.groups)))
    end_limit = ctx.duration_s - P.END_MARGIN_S
    queue = _mandatory(rng, ctx.duration_s) if mixed else []
    labels = list(P.MIXED_CLASS_WEIGHTS)
    weights = np.array([P.MIXED_CLASS_WEIGHTS[k] for k in labels])
    weights /= weights.sum()

    truth: list[Event] = []
    records: list[dict[str, Any]] = []
    failures = 0
    while failures < P.MAX_PLACEMENT_FAILURES:
        if not mixed:
            label = scenario
        elif queue:
            label = queue.pop(0)
        else:
            label = labels[int(rng.choice(len(labels), p=weights))]
        gen = GENERATORS[label]
        plan = gen.plan(rng, ctx, lanes, mixed=mixed, end_limit=end_limit)
        if plan is None:
            failures += 1
            continue
        event_id = len(records)
        events = gen.render(rng, ctx, plan, event_id)
        rest = float(rng.uniform(*P.REST_GAP_S))
        lanes.commit(plan.channels, plan.start_s + plan.span_s, rest)
        records.append(
            jsonable(
                {
                    "id": event_id,
                    "label": label,
                    "start_s": plan.start_s,
                    "span_s": plan.span_s,
                    "reserved": [ctx.names[c] for c in plan.channels],
                    "rest_after_s": rest,
                    "n_truth": len(events),
                    **plan.params,
                }
            )
        )
        truth.extend(events)
    truth.sort(key=lambda e: (e.start_s, e.end_s, e.channels))
    return truth, records
