"""Event-level accuracy of the shipped model on held-out simulated sessions (README figures).

    python benchmarks/accuracy.py [--sessions 24] [--split test] [--workers 2]

`test` uses seeds and sampling rates (300, 1500 Hz) the model was never trained on;
`wearable` reports the armband rates (200/250 Hz) separately.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from emgspasm.analyze import analyze
from emgspasm.evaluate import score
from emgspasm.sets import SPLITS, session_spec, simulate_session


def one(split: str, index: int):
    spec = session_spec(split, index)
    sim = simulate_session(spec)
    # alerts: the latency columns are those of a live stream (alerted_at_s when announced)
    return spec.name, sim.truth, analyze(sim.recording, alerts=True), sim.recording.duration_s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--split", choices=sorted(SPLITS), default="test")
    p.add_argument("--sessions", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(one, [args.split] * args.sessions, range(args.sessions)))
    report = score({r[0]: r[1] for r in results}, {r[0]: r[2] for r in results},
                   {r[0]: r[3] for r in results})
    rates = sorted({session_spec(args.split, i).fs for i in range(args.sessions)})
    print(f"split {args.split}: {args.sessions} sessions, rates {rates} Hz")
    print(report.to_text(per_recording=False))


if __name__ == "__main__":
    main()
