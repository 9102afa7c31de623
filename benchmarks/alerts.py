"""In-progress alerts for cramp and rigidity on held-out simulated sessions (README figures).

    python benchmarks/alerts.py [--split test] [--sessions 24] [--workers 2]

Each session is streamed through `Pipeline` in 1 s blocks and its alerts collected. An alert
*finds* a true event of its label when its channel is one of the event's and its start lies
between 1 s before the event's start and the event's end; per label this prints the share of
true events found, the time from true onset to the first alert that found each (median, p95),
and the alerts that found nothing (false alerts per hour).
"""

from __future__ import annotations

import numpy as np
from held_out import run_sessions

from emgspasm.pipeline import Pipeline
from emgspasm.sets import session_spec, simulate_session

SUSTAINED = ("cramp", "rigidity")
EARLY_S = 1.0
"""An alert may start this much before its true event (onset refinement, simulator ramps)."""


def one(split: str, index: int):
    sim = simulate_session(session_spec(split, index))
    rec = sim.recording
    pipe = Pipeline(rec.fs, rec.channels)
    alerts = []
    block = round(rec.fs)
    for a in range(0, rec.n_samples, block):
        pipe.push(rec.samples[a:a + block])
        alerts += pipe.take_alerts()
    pipe.flush()
    return sim.truth, alerts + pipe.take_alerts(), rec.duration_s


def main() -> None:
    args, results = run_sessions(__doc__, one)
    hours = sum(r[2] for r in results) / 3600.0
    print(f"split {args.split}: {args.sessions} sessions, {hours:.2f} h")
    for label in SUSTAINED:
        n_true = found = false = n_alerts = 0
        latency = []
        for truth, alerts, _ in results:
            events = [t for t in truth if t.label == label]
            mine = [a for a in alerts if a.label == label]
            n_true, n_alerts = n_true + len(events), n_alerts + len(mine)

            def finds(a, t) -> bool:
                return a.channel in t.channels and t.start_s - EARLY_S <= a.start_s <= t.end_s

            for t in events:
                hits = [a.decided_at_s for a in mine if finds(a, t)]
                if hits:
                    found += 1
                    latency.append(min(hits) - t.start_s)
            false += sum(not any(finds(a, t) for t in events) for a in mine)
        lat = np.array(latency)
        lat_text = (f"median {np.median(lat):.2f} s, p95 {np.percentile(lat, 95):.2f} s"
                    if lat.size else "no alerts")
        print(f"{label:<9} true {n_true:4d}  found {found:4d} ({found / max(n_true, 1):.0%})  "
              f"onset -> alert {lat_text}  alerts {n_alerts}, false {false} "
              f"({false / hours:.1f}/h)")


if __name__ == "__main__":
    main()
