"""write_simulation: recording by extension, <stem>.truth.jsonl and <stem>.meta.json beside it."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import emgspasm.io
from emgspasm.events import read_events
from emgspasm.simulate import simulate, write_simulation


def test_write_simulation_sidecars(tmp_path, monkeypatch):
    written = {}

    def fake_write(path, recording, annotations=None):
        written["path"] = path
        written["recording"] = recording
        path.write_text("stub")
        return path

    monkeypatch.setattr(emgspasm.io, "write", fake_write, raising=False)
    sim = simulate(10.0, fs=250.0, n_channels=2, seed=1)
    rec_path, truth_path = write_simulation(sim, tmp_path / "out" / "session1.bdf")
    assert rec_path == tmp_path / "out" / "session1.bdf"
    assert written["recording"] is sim.recording
    assert truth_path == tmp_path / "out" / "session1.truth.jsonl"
    assert [e.to_dict() for e in read_events(truth_path)] == [
        e.to_dict() for e in sorted(sim.truth, key=lambda e: (e.start_s, e.end_s, e.label))
    ]
    meta = json.loads((tmp_path / "out" / "session1.meta.json").read_text())
    assert meta["fs"] == 250.0 and meta["duration_s"] == 10.0
    assert meta["params"] == sim.params


@pytest.mark.parametrize("ext", ["csv", "bdf", "edf"])
def test_write_simulation_real_formats(tmp_path, ext):
    if not hasattr(emgspasm.io, "write") or not hasattr(emgspasm.io, "read"):
        pytest.skip("emgspasm.io.write/read not available")
    sim = simulate(5.0, fs=250.0, n_channels=3, seed=2)
    rec_path, truth_path = write_simulation(sim, tmp_path / f"s.{ext}")
    assert rec_path.exists() and truth_path == tmp_path / "s.truth.jsonl"
    back = emgspasm.io.read(rec_path)
    assert back.channels == sim.recording.channels and back.fs == sim.recording.fs
    span = np.abs(sim.recording.samples).max()
    tol = {"csv": 1e-6, "bdf": 1e-6, "edf": 1e-4}[ext] * span + 1e-6  # 16-bit EDF quantises
    np.testing.assert_allclose(back.samples, sim.recording.samples, rtol=0, atol=tol)


def test_print_timing():
    """Not asserted (shared machines): the lead generates hundreds of these sessions."""
    t = time.perf_counter()
    sim = simulate(120.0, fs=2000.0, n_channels=4, seed=0)
    elapsed = time.perf_counter() - t
    print(f"\nmixed 120 s, 4 ch, 2 kHz: {elapsed:.2f} s, {len(sim.truth)} truth events")
