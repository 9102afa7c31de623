"""Seeded small run of benchmarks/packet_loss.py: with 2 % of 20 ms packets lost at random,
the events of four held-out sessions come out as in the lossless run (same label, same
channels, IoU >= 0.5). The benchmark's full run over 16 sessions is in the README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KEPT_MIN = 0.95
"""Share of the lossless run's sustained events (voluntary, cramp, rigidity) a lossy link
must keep: a lost packet is a few hundredths of their length."""
BRIEF_KEPT_MIN = 0.9
"""The same for brief events (twitch, artifact): a lost packet can take half of one (a twitch
wholly inside a hole is not counted at all). Measured over these four sessions: 1.0 and 0.92
(the miss: a lead-off whose flat stretch took four lost packets)."""


@pytest.mark.slow
def test_lost_packets_neither_split_nor_relabel_events(tmp_path: Path) -> None:
    out = tmp_path / "loss.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "packet_loss.py"), "--sessions", "4",
         "--workers", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    assert 0.01 < figures["lost_share"] < 0.03
    kept = {label: f["kept"] for label, f in figures["labels"].items() if f["events"]}
    assert {"voluntary", "cramp", "rigidity", "twitch"} <= kept.keys(), done.stdout
    for label, share in kept.items():
        brief = label.startswith(("twitch", "artifact"))
        assert share >= (BRIEF_KEPT_MIN if brief else KEPT_MIN), done.stdout
