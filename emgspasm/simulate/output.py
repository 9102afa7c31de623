"""Writing a simulation to disk: recording, truth and parameters side by side.

Why: docs/architecture.md#contracts – `simulate --out PATH` writes the recording (format from the
extension) and `<stem>.truth.jsonl` beside it, so `evaluate --truth DIR` finds the truth by
name. The drawn parameters go to `<stem>.meta.json` so a training set is reproducible and
auditable (which SNR, gain, fs each file had).
"""

from __future__ import annotations

import json
from pathlib import Path

from emgspasm.events import write_events
from emgspasm.simulate.simulation import Simulation


def sidecar_paths(path: str | Path) -> tuple[Path, Path]:
    """(`dir/stem.truth.jsonl`, `dir/stem.meta.json`) for a recording path `dir/stem.ext`."""
    path = Path(path)
    return path.with_name(path.stem + ".truth.jsonl"), path.with_name(path.stem + ".meta.json")


def write_simulation(sim: Simulation, path: str | Path) -> tuple[Path, Path]:
    """Write the recording (by extension, via `emgspasm.io.write`), truth and meta.

    Returns (recording_path, truth_path); `<stem>.meta.json` holds
    {"duration_s", "fs", "params"}.
    """
    from emgspasm.io import write  # lazy: io is a separate layer and may pull in EDF libraries

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, sim.recording)
    truth_path, meta_path = sidecar_paths(path)
    write_events(truth_path, sim.truth)
    meta = {
        "duration_s": sim.recording.duration_s,
        "fs": sim.recording.fs,
        "params": sim.params,
    }
    meta_path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return path, truth_path
