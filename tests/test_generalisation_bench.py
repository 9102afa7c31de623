"""Smoke test of benchmarks/generalisation.py: its genb part end to end on one short session.

genb is an independent generator beside this checkout, run as an external program (never
imported); the test skips when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.mark.slow
def test_quick_genb_part_scores_one_session(tmp_path: Path) -> None:
    if not (SHARED / "validation" / "genb.py").is_file():
        pytest.skip("../shared/validation/genb.py is not beside this checkout")
    out = tmp_path / "gen.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generalisation.py"), "--quick", "--parts",
         "b", "--profiles", "lab", "--workers", "1", "--shared", str(SHARED), "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "F1 per class" in done.stdout and "lab" in done.stdout
    doc = json.loads(out.read_text())
    assert list(doc["columns"]) == ["genb:lab"]
    report = doc["columns"]["genb:lab"]["report"]
    assert report["n_recordings"] == 1 and report["duration_s"] == pytest.approx(60.0)
    assert report["overall"]["n_truth"] > 0
