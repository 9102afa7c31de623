"""Write the events of a fixed set of recordings, to compare two versions of the code exactly.

    PYTHONPATH=/path/to/old python benchmarks/check_events.py OUT_OLD
    PYTHONPATH=/path/to/new python benchmarks/check_events.py OUT_NEW
    python benchmarks/check_events.py --compare OUT_OLD OUT_NEW

Speed work must not change a single event (or else re-run the accuracy benchmarks): this
covers what the 1-hour throughput file does not -- simulated sessions of every kind, with
mains hum (50 and 60 Hz, harmonics, drifting) and ECG crosstalk added as in
benchmarks/generalisation.py, at 1 and 2 kHz, batch and live (alerts on, small blocks).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

SESSIONS = 4
SECONDS = 90.0
VARIANTS = ("none", "hum", "ecg", "hum+ecg")


def write_all(out: Path) -> None:
    from generalisation import with_background

    from emgspasm.analyze import analyze
    from emgspasm.pipeline import Pipeline
    from emgspasm.simulate import simulate

    out.mkdir(parents=True, exist_ok=True)
    for i in range(SESSIONS):
        fs = 2000.0 if i % 2 else 1000.0
        sim = simulate(duration_s=SECONDS, fs=fs, n_channels=4, seed=500 + i)
        meta = {"seed": 500 + i,
                "noise_rms_uv": [float(np.std(sim.recording.samples[:, c][:2000]))
                                 for c in range(4)]}
        for variant in VARIANTS:
            rec = sim.recording if variant == "none" else \
                with_background(sim.recording, meta, variant, i)
            events = analyze(rec)
            pipe = Pipeline(rec.fs, rec.channels, alerts=True)
            live = []
            block = max(1, round(0.02 * rec.fs))
            for s in range(0, rec.n_samples, block):
                live += pipe.push(rec.samples[s:s + block])
            live += pipe.flush()
            name = f"s{i}-{variant.replace('+', '_')}"
            (out / f"{name}.json").write_text(json.dumps(
                {"batch": [e.to_dict() for e in events],
                 "live": [e.to_dict() for e in live]}, indent=0, sort_keys=True))
            print(name, len(events), len(live), flush=True)


def compare(a: Path, b: Path) -> int:
    names = sorted(p.name for p in a.glob("*.json"))
    bad = [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]
    bad += sorted({p.name for p in b.glob("*.json")} - set(names))
    print(f"{len(names) - len(bad)} of {len(names)} identical" + (f"; differ: {bad}" if bad
                                                                 else ""))
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, nargs="+")
    p.add_argument("--compare", action="store_true")
    args = p.parse_args()
    if args.compare:
        return compare(*args.out[:2])
    write_all(args.out[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
