"""Seeded short run of benchmarks/live_latency.py's sustained-rate part: the emulated EMGF
device on a pty, the live path with the shipped classifier, one session of 8 channels at
2 kHz. It must finish and lose nothing at a rate the README reports as sustained; timings are
printed by the benchmark, never asserted. (The benchmark's own sink once lacked a method the
runner calls and crashed at the first alert: nothing ran it.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_rate_session_runs_to_the_end_and_loses_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "live_latency.py"), "--only", "rate",
         "--channels", "8", "--rate-seconds", "15"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    row = re.search(r"^\s+8\s+16000\s+\d+%\s+(\d+)\s+(\d+)\s+(\d+)\s", done.stdout, re.M)
    assert row, done.stdout
    assert row.groups() == ("0", "0", "0"), done.stdout  # lost, shed, overflowed
