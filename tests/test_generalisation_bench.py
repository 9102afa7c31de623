"""Smoke test of benchmarks/generalisation.py: its genb part end to end on one short session.

genb is an independent generator beside this checkout, run as an external program (never
imported); the test skips when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
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


@pytest.mark.slow
def test_another_model_file_is_scored_in_place_of_the_shipped_one(tmp_path: Path) -> None:
    """`--model` is what every part analyses with: a model that only knows `voluntary` and
    `none` finds no cramp in the session where the shipped model finds its one cramp."""
    if not (SHARED / "validation" / "genb.py").is_file():
        pytest.skip("../shared/validation/genb.py is not beside this checkout")
    from emgspasm.detect.classifier import EpisodeModel, make_estimator
    from emgspasm.detect.episode_features import FEATURE_NAMES

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, len(FEATURE_NAMES)))
    y = np.where(x[:, 0] > 0, "voluntary", "none")
    model = tmp_path / "two-labels.skops"
    EpisodeModel(make_estimator(0).fit(x, y), FEATURE_NAMES, {"test": True}).save(model)
    cramps = {}
    for name, extra in (("shipped", []), ("other", ["--model", str(model)])):
        out = tmp_path / f"{name}.json"
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "generalisation.py"), "--quick",
             "--parts", "b", "--profiles", "lab", "--workers", "1", "--shared", str(SHARED),
             "--json", str(out), *extra],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 0, done.stderr
        doc = json.loads(out.read_text())
        cramps[name] = doc["columns"]["genb:lab"]["report"]["labels"]["cramp"]
        assert doc["settings"]["model"] == (str(model) if extra else None)
        assert f"model: {model if extra else 'shipped'}" in done.stdout
    assert cramps["shipped"]["n_truth"] >= 1 and cramps["shipped"]["tp"] >= 1
    assert cramps["other"]["n_pred"] == 0


def test_a_missing_model_file_is_refused_before_any_work(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generalisation.py"), "--parts", "c",
         "--model", str(tmp_path / "nope.skops")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode != 0 and "no model file at" in done.stderr
