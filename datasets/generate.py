"""Regenerate a standard simulated set: `python -m datasets.generate --split test --out DIR`.

Writes, for each session of the split's recipe (`emgspasm.sets`), `DIR/<name>.bdf`,
`<name>.truth.jsonl` and `<name>.meta.json`, ready for `emgspasm analyze` and
`emgspasm evaluate`. Nothing generated is committed: the recipe is the data set.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emgspasm.sets import SPLITS, session_spec, simulate_session
from emgspasm.simulate import write_simulation


def generate(split: str, out: Path, n_sessions: int, ext: str = ".bdf") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n_sessions):
        spec = session_spec(split, i)
        rec_path, _ = write_simulation(simulate_session(spec), out / f"{spec.name}{ext}")[:2]
        written.append(rec_path)
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--split", choices=sorted(SPLITS), required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sessions", type=int, default=24)
    p.add_argument("--format", choices=[".bdf", ".edf", ".csv"], default=".bdf")
    args = p.parse_args()
    for path in generate(args.split, args.out, args.sessions, args.format):
        print(path)


if __name__ == "__main__":
    main()
