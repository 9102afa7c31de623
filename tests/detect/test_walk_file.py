"""Tree-walk files: the shipped model runs from plain arrays, bit for bit as before, and a
walk file that is not a tree walk, or not this pipeline's, is refused naming the file."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from emgspasm.detect import classifier
from emgspasm.detect.classifier import EpisodeModel, export_walk, load_model, load_skops
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.detect.model_file import MAX_TREE_DEPTH, ModelFileError
from emgspasm.detect.tree_predict import TreeEnsemblePredictor
from emgspasm.detect.walk_file import (
    _read_arrays,
    file_digest,
    load_walk,
    walk_path,
    walk_problem,
)

N_ROWS = 20_000
"""Feature rows the shipped model's walk is compared on (a few ms each way)."""


@pytest.fixture(autouse=True)
def fresh_cache():
    classifier._load_cached.cache_clear()
    yield
    classifier._load_cached.cache_clear()


def _shipped() -> tuple:
    skops = resources.files("emgspasm.models").joinpath("default.skops")
    return skops, walk_path(skops)


def _rows(n: int = N_ROWS) -> np.ndarray:
    rng = np.random.default_rng(12)
    x = rng.normal(0.0, 3.0, size=(n, len(FEATURE_NAMES)))
    x[rng.random(x.shape) < 0.01] = np.nan  # missing values take the learnt side
    return x


def test_the_shipped_walk_file_is_current_and_equals_scikit_learn():
    skops, walk = _shipped()
    _, _, _, digest = load_walk(walk)
    assert digest == file_digest(skops)  # made from the shipped skops file, not retrained
    model = load_model()
    assert model._estimator is None  # ran from the walk file
    from_skops = load_skops(skops)
    x = _rows()
    walked = model.proba(x)
    # Bit-identical to what the pipeline computed before walk files (the walk built from the
    # estimator, itself checked against scikit-learn), and equal to predict_proba up to the
    # rounding of a sum in another order.
    assert np.array_equal(walked, from_skops.proba(x))
    assert np.allclose(walked, from_skops.estimator.predict_proba(x), rtol=1e-9, atol=1e-12)
    assert np.array_equal(model.predict(x)[0], from_skops.estimator.predict(x))
    assert model.classes == from_skops.classes and model.recipe == from_skops.recipe


def test_the_shipped_model_loads_without_scikit_learn_or_skops():
    code = ("import sys; from emgspasm.detect.classifier import load_model; m = load_model(); "
            "m.proba([[0.0] * len(m.feature_names)]); "
            "print(sorted(k for k in ('sklearn', 'skops') if k in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def _trained(tmp_path, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, len(FEATURE_NAMES)))
    y = np.array(["voluntary", "cramp", "none"] * 30)
    est = HistGradientBoostingClassifier(max_iter=4, max_leaf_nodes=6, **kwargs).fit(x, y)
    path = EpisodeModel(est, FEATURE_NAMES, {"seed": 3}).save(tmp_path / "m.skops")
    return path, est, x


def test_save_writes_both_files_and_the_walk_is_what_runs(tmp_path):
    path, est, x = _trained(tmp_path)
    assert walk_path(path).exists()
    model = load_model(path)
    assert model._estimator is None and model.recipe == {"seed": 3}
    assert np.allclose(model.proba(x), est.predict_proba(x), rtol=1e-9, atol=1e-12)
    assert model.estimator.n_features_in_ == len(FEATURE_NAMES)  # read from the skops file
    direct = load_model(walk_path(path))  # a walk file given as the model
    assert np.array_equal(direct.proba(x), model.proba(x))


def test_a_stale_walk_file_is_not_used(tmp_path):
    path, _, x = _trained(tmp_path)
    walk = walk_path(path)
    stale = walk.read_bytes()
    path2, est2, _ = _trained(tmp_path, learning_rate=0.5)  # "retrained" in place ...
    assert path2 == path
    walk.write_bytes(stale)  # ... but the old walk file left beside it
    classifier._load_cached.cache_clear()
    with pytest.warns(UserWarning, match="another version"):
        model = load_model(path)
    assert model._estimator is not None  # the skops path
    assert np.allclose(model.proba(x), est2.predict_proba(x), rtol=1e-9, atol=1e-12)


def test_convert_cli_writes_the_walk_of_an_existing_model(tmp_path):
    path, _, _ = _trained(tmp_path)
    walk_path(path).unlink()
    from emgspasm.cli import main

    assert main(["train", "--convert", str(path)]) == 0
    assert walk_path(path).exists()
    assert main(["train", "--convert", str(tmp_path / "missing.skops")]) == 2


def _arrays(tmp_path) -> dict:
    path, _, _ = _trained(tmp_path)
    return _read_arrays(walk_path(path))


def test_each_way_of_not_being_a_walk_is_named(tmp_path):
    good = _arrays(tmp_path)
    known = classifier.MODEL_CLASSES
    assert walk_problem(good, known) is None

    def tampered(**changes) -> str | None:
        a = {k: v.copy() for k, v in good.items()}
        for k, edit in changes.items():
            a[k] = edit(a[k])
        return walk_problem(a, known)

    inner = int(np.flatnonzero(good["right"] != np.arange(good["right"].size))[0])

    def at(i, value):
        def edit(v):
            v[i] = value
            return v
        return edit

    assert "loop" in tampered(right=at(inner, inner - 1 if inner else 0 + 1))
    assert "out of its tree" in tampered(right=at(inner, good["right"].size + 5))
    assert "more than one" in tampered(right=at(inner, int(good["right"][inner]) + 1)) or \
        "out of its tree" in tampered(right=at(inner, int(good["right"][inner]) + 1))
    assert "split index" in tampered(split=at(0, 10**6))
    assert "feature outside" in tampered(split_feature=at(0, len(FEATURE_NAMES)))
    assert "never-true" in tampered(split_threshold=at(-1, 0.0))
    assert "not finite" in tampered(value=at(0, np.inf))
    assert "level counts" in tampered(n_active=lambda v: v[:-1])
    assert "permutation" in tampered(tree_slot=lambda v: np.zeros_like(v))
    assert "classes" in tampered(classes=lambda v: np.array(["cramp", "zombie", "none"]))
    assert "feature set" in tampered(feature_names=lambda v: v[::-1])
    assert "integer" in tampered(right=lambda v: v.astype(float))
    assert "format" in tampered(format=lambda v: np.asarray("something else"))
    a = dict(good)
    del a["value"]
    assert "no 'value'" in walk_problem(a, known)


def test_a_tree_deeper_than_the_bound_is_refused(tmp_path):
    # One chain tree: each inner node's left child a leaf, its right child the next inner node.
    depth = MAX_TREE_DEPTH + 1
    n = 2 * depth + 1
    right = np.arange(n)
    inner = np.arange(0, 2 * depth, 2)
    right[inner] = inner + 2  # left child = right - 1 = inner + 1, a leaf
    good = _arrays(tmp_path)
    a = dict(good)
    a.update(roots=np.zeros(1, np.int64), right=right, value=np.zeros(n),
             split=np.where(right == np.arange(n), good["split_threshold"].size - 1, 0),
             tree_slot=np.zeros(1, np.int64), n_active=np.ones(depth, np.int64),
             n_classes=np.asarray(1), classes=np.array(["cramp", "none"]),
             baseline=np.zeros(1))
    assert f"more than {MAX_TREE_DEPTH} levels" in walk_problem(a, classifier.MODEL_CLASSES)


def test_hostile_walk_files_are_refused_naming_the_file(tmp_path):
    path, _, _ = _trained(tmp_path)
    walk = walk_path(path)
    bad = tmp_path / "bad.npz"
    # objects (a pickle inside an .npy) are refused before numpy would unpickle them
    np.savez(bad, roots=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError, match=rf"^{bad}: member roots.npy holds Python objects"):
        load_model(bad)
    # a header declaring far more data than the member holds
    with zipfile.ZipFile(walk) as z, zipfile.ZipFile(bad, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "value.npy":
                data = data.replace(b"'shape': (", b"'shape': (999999999")
            out.writestr(info.filename, data)
    with pytest.raises(ModelFileError, match=rf"^{bad}: member value.npy declares more"):
        load_model(bad)
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=rf"^{bad}: not a tree-walk file"):
        load_model(bad)
    # a damaged walk beside a good skops file: the skops file is used, with a warning
    walk.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match=str(walk)):
        assert load_model(path)._estimator is not None


def test_a_predictor_survives_its_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = np.array(["a", "b", "c", "d"] * 30)
    est = HistGradientBoostingClassifier(max_iter=5).fit(x, y)
    fast = TreeEnsemblePredictor(est)
    back = TreeEnsemblePredictor.from_arrays(fast.arrays())
    assert np.array_equal(back.predict_proba(x), fast.predict_proba(x))


def test_export_refuses_a_missing_file(tmp_path):
    with pytest.raises((OSError, ModelFileError)):
        export_walk(tmp_path / "nope.skops")
