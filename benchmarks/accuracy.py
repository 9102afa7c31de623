"""Event-level accuracy of the shipped model on held-out simulated sessions (README figures).

    python benchmarks/accuracy.py [--sessions 24] [--split test] [--workers 2]

`test` uses seeds and sampling rates (300, 1500 Hz) the model was never trained on;
`wearable` reports the armband rates (200/250 Hz) separately.
"""

from __future__ import annotations

from held_out import run_sessions

from emgspasm.analyze import analyze
from emgspasm.detect.config import DetectorConfig
from emgspasm.detect.decision import hidden_labels
from emgspasm.evaluate import score
from emgspasm.sets import session_spec, simulate_session


def one(split: str, index: int, model: str | None = None):
    """One held-out session analysed by `model` (a model file; None: the shipped model)."""
    spec = session_spec(split, index)
    sim = simulate_session(spec)
    # alerts: the latency columns are those of a live stream (alerted_at_s when announced)
    return (spec.name, sim.truth, analyze(sim.recording, alerts=True, model=model),
            sim.recording.duration_s, list(hidden_labels(spec.fs, DetectorConfig())))


def main() -> None:
    args, results = run_sessions(__doc__, one)
    report = score({r[0]: r[1] for r in results}, {r[0]: r[2] for r in results},
                   {r[0]: r[3] for r in results}, hidden={r[0]: r[4] for r in results})
    rates = sorted({session_spec(args.split, i).fs for i in range(args.sessions)})
    print(f"split {args.split}: {args.sessions} sessions, rates {rates} Hz")
    print(report.to_text(per_recording=False))


if __name__ == "__main__":
    main()
