"""Hostile model files, each built for real and loaded the way `analyze --model` loads them.

Every one used to get through or hang: a tree that loops made the tree walk grow without end,
a zip bomb unpacked to gigabytes, a `DummyClassifier` labelled everything, and a pickle named
`.skops` failed with a bare `BadZipFile`. Now each is a `ModelFileError` naming the file, and
one `error:` line from the CLI.
"""

from __future__ import annotations

import copy
import pickle
import resource
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier

import emgspasm
from emgspasm.detect import classifier
from emgspasm.detect.classifier import load_model
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.detect.model_file import (
    MAX_MODEL_UNPACKED_BYTES,
    MAX_TREE_DEPTH,
    ModelFileError,
    tree_problem,
)

CHILD_TIMEOUT_S = 300
"""Generous bound on one child run (a few seconds idle): a model that hangs the walk fails it."""

CHILD_MEMORY_BYTES = 4 * 2**30
"""Address-space limit of a child process under test, so a regression fails instead of
taking the machine's memory (the looping tree grew to 13.7 GB)."""


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every `load_model` below really reads its file."""
    classifier._load_cached.cache_clear()
    yield
    classifier._load_cached.cache_clear()


def _fitted(labels=("voluntary", "cramp", "none"), n_features: int | None = None):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, n_features or len(FEATURE_NAMES)))
    y = np.array(list(labels) * (90 // len(labels)))
    return HistGradientBoostingClassifier(max_iter=3, max_leaf_nodes=4).fit(x, y)


def _dump(path: Path, estimator) -> Path:
    sio.dump(
        {"estimator": estimator, "feature_names": list(FEATURE_NAMES), "recipe": {}},
        path,
        compression=zipfile.ZIP_DEFLATED,
    )
    return path


def _looping(tmp_path: Path) -> Path:
    """A real skops dump of a trained model whose first tree's second split points back at
    the root: every walk down that branch loops."""
    est = copy.deepcopy(_fitted())
    nodes = est._predictors[0][0].nodes
    inner = np.flatnonzero(nodes["is_leaf"] == 0)
    nodes["left"][inner[1]] = 0
    return _dump(tmp_path / "loop.skops", est)


def _python(*args: str) -> subprocess.CompletedProcess:
    """Run Python in a child process with bounded memory and time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))

    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        preexec_fn=limit,
    )


def _cli(*args: str) -> subprocess.CompletedProcess:
    return _python("-m", "emgspasm.cli", *args)


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    sim = emgspasm.simulate(duration_s=6.0, fs=1000.0, n_channels=2, seed=1)
    path = tmp_path_factory.mktemp("rec") / "rec.edf"
    emgspasm.write(path, sim.recording)
    return path


def test_a_looping_tree_is_one_cli_error_not_a_hang(tmp_path, recording):
    model = _looping(tmp_path)
    done = _cli("analyze", str(recording), "--model", str(model), "--out", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {model}: ")
    assert "loop" in lines[0] and "Traceback" not in done.stderr


def test_the_other_hostile_files_are_one_cli_error_each(tmp_path, recording):
    dummy = tmp_path / "dummy.skops"
    sio.dump(
        {
            "estimator": DummyClassifier().fit(np.zeros((3, len(FEATURE_NAMES))), ["cramp"] * 3),
            "feature_names": list(FEATURE_NAMES),
        },
        dummy,
    )
    fake = tmp_path / "pickled.skops"
    fake.write_bytes(pickle.dumps({"estimator": None}))
    for model, why in [(dummy, "DummyClassifier"), (fake, "not a zip archive")]:
        done = _cli("analyze", str(recording), "--model", str(model), "--out", str(tmp_path / "o"))
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [done.stderr.strip()]
        assert done.stderr.startswith(f"error: {model}: ") and why in done.stderr
        assert not (tmp_path / "o" / "rec.events.jsonl").exists()


def test_a_dummy_classifier_is_refused(tmp_path):
    # Trusted by skops (pure scikit-learn), and it would call every episode a cramp.
    path = tmp_path / "dummy.skops"
    est = DummyClassifier(strategy="constant", constant="cramp").fit(
        np.zeros((2, len(FEATURE_NAMES))), ["cramp", "voluntary"]
    )
    sio.dump({"estimator": est, "feature_names": list(FEATURE_NAMES)}, path)
    with pytest.raises(ModelFileError, match=rf"^{path}: holds a DummyClassifier"):
        load_model(path)


def test_a_pickle_named_skops_is_refused_by_name(tmp_path):
    path = tmp_path / "model.skops"
    with path.open("wb") as f:
        pickle.dump({"estimator": _fitted(), "feature_names": list(FEATURE_NAMES)}, f)
    with pytest.raises(ModelFileError, match=rf"^{path}: not a skops model file \(not a zip"):
        load_model(path)


def _bomb(tmp_path: Path, name: str, unpacked: int) -> Path:
    """A valid small model with one more member: `unpacked` zeros, deflated to ~1/1000."""
    path = _dump(tmp_path / name, _fitted())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("zeros.npy", "w") as member:
            for _ in range(unpacked // 2**20):
                member.write(bytes(2**20))
    return path


def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path):
    path = _bomb(tmp_path, "bomb.skops", MAX_MODEL_UNPACKED_BYTES + 8 * 2**20)
    assert path.stat().st_size < 200_000
    with pytest.raises(ModelFileError, match=rf"^{path}: declares \d+ bytes unpacked.*zip bomb"):
        load_model(path)


def test_a_zip_bomb_with_a_lying_header_is_refused_within_bounded_memory(tmp_path):
    # The central directory says the zeros unpack to 1 kB; they unpack to 200 MB. Read whole,
    # as skops does, zipfile decompresses all of it before its CRC check fails.
    path = _bomb(tmp_path, "liar.skops", 200 * 2**20)
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the last central-directory entry: the zeros
    struct.pack_into("<I", data, entry + 24, 1024)  # its uncompressed size
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=rf"^{path}: not a skops model file \(Bad CRC"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20


def test_a_model_of_other_features_or_classes_is_refused(tmp_path):
    narrow = _dump(tmp_path / "narrow.skops", _fitted(n_features=3))
    with pytest.raises(ModelFileError, match=rf"^{narrow}: .*takes 3 features.*gives 44"):
        load_model(narrow)
    odd = _dump(tmp_path / "odd.skops", _fitted(labels=("cramp", "panic")))
    with pytest.raises(ModelFileError, match=rf"^{odd}: .*classes \['cramp', 'panic'\]"):
        load_model(odd)


def test_a_looping_tree_is_a_model_file_error_from_the_api(tmp_path):
    # In a bounded child process too: before the check this grew until the OOM killer came.
    path = _looping(tmp_path)
    code = (
        "import sys, emgspasm\n"
        "from emgspasm.detect.model_file import ModelFileError\n"
        "try:\n"
        f"    emgspasm.Pipeline(1000.0, ['a', 'b'], model={str(path)!r})\n"
        "except ModelFileError as exc:\n"
        "    sys.exit(str(exc))\n"
    )
    done = _python("-c", code)
    assert done.returncode == 1
    assert (
        done.stderr.startswith(f"{path}: not a usable model: tree 0.0 ") and "loop" in done.stderr
    )


def _tree():
    return copy.deepcopy(_fitted()._predictors[0][0].nodes)


def test_the_shipped_model_and_a_fresh_fit_are_trees():
    est = load_model().estimator
    assert all(
        tree_problem(t.nodes, est.n_features_in_) is None
        for trees in est._predictors
        for t in trees
    )
    assert tree_problem(_tree(), len(FEATURE_NAMES)) is None


def test_each_way_of_not_being_a_tree_is_named():
    n_features = len(FEATURE_NAMES)
    inner = int(np.flatnonzero(_tree()["is_leaf"] == 0)[0])

    def tampered(**fields) -> str | None:
        nodes = _tree()
        for name, (at, value) in fields.items():
            nodes[name][at] = value
        return tree_problem(nodes, n_features)

    assert "out of range" in tampered(right=(inner, 10_000))
    assert "loop" in tampered(left=(inner, inner))
    leaf = int(np.flatnonzero(_tree()["is_leaf"] == 1)[0])
    assert "more than one" in tampered(right=(inner, int(_tree()["left"][inner])))
    assert "depths" in tampered(depth=(leaf, 7))
    assert "feature" in tampered(feature_idx=(inner, n_features))
    assert "categorical" in tampered(is_categorical=(inner, 1))
    assert "not finite" in tampered(value=(leaf, np.nan))
    assert "array" in str(tree_problem(np.zeros(3), n_features))


def test_a_tree_deeper_than_the_bound_is_refused():
    # A chain: each inner node's left child is a leaf, its right child the next inner node.
    depth = MAX_TREE_DEPTH + 1
    nodes = np.zeros(2 * depth + 1, dtype=_tree().dtype)
    for d in range(depth):
        at = 2 * d
        nodes[at]["left"], nodes[at]["right"], nodes[at]["depth"] = at + 1, at + 2, d
        nodes[at + 1]["is_leaf"], nodes[at + 1]["depth"] = 1, d + 1
    nodes[-1]["is_leaf"], nodes[-1]["depth"] = 1, depth
    assert f"{depth} levels deep" in tree_problem(nodes, len(FEATURE_NAMES))
