"""Tree-walk files: a skops model's trees as plain arrays, so the model runs without sklearn.

Why: importing scikit-learn and skops and building the estimator from a skops file costs
~1.5 s of every `emgspasm analyze`, and checking the vectorised walk against scikit-learn's
`predict_proba` at every load another 0.3-2 s (720 OpenMP regions on a busy machine), for a
model that only ever runs through `emgspasm.detect.tree_predict.TreeEnsemblePredictor`. So
`emgspasm train` writes, beside ``X.skops``, ``X.npz``: the predictor's arrays, checked against
scikit-learn once, when the file is written (`emgspasm.detect.classifier.export_walk`;
``emgspasm train --convert X.skops`` makes one for an existing model without retraining).

Safety, as for skops files (`emgspasm.detect.model_file`): the file is an ``.npz`` read with
``allow_pickle=False`` (numbers and strings only, nothing that runs code), after the same
archive check (`check_archive`: bounded, really unpacks to what it declares) and a check of
every member's declared array size against its unpacked bytes (so a header cannot make numpy
allocate gigabytes). Then `walk_problem` proves what the walk relies on before anything
predicts with it: sizes within bounds, every index in range, the nodes forming one tree per
root (no loop, a walk cannot leave its tree), leaves that stay put, depths within
`MAX_TREE_DEPTH` and matching the walk's level counts, finite values, and the classes and
feature names the pipeline expects. Every failure is a `ModelFileError` naming the file.

A walk file records the SHA-256 of the skops file it was made from: `load_model` uses it for
that skops file only while the digest matches, so a retrained ``.skops`` whose ``.npz`` was
not rewritten falls back to the skops path instead of running stale trees.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.detect.model_file import (
    MAX_TREE_DEPTH,
    MODEL_CLASSES,
    ModelFileError,
    check_archive,
)
from emgspasm.detect.tree_predict import ARRAY_NAMES, TreeEnsemblePredictor

WALK_FORMAT = "emgspasm-tree-walk-1"
"""Stored in every walk file; a file of another format is refused (not guessed at)."""

WALK_SUFFIX = ".npz"

MAX_WALK_TREES = 8_192
"""Most trees a walk file may hold. `make_estimator` fits 120 iterations × 6 classes = 720;
this is over 10× that, and bounds the walk's memory per row."""

MAX_WALK_NODES = 2**18
"""Most nodes in all trees together: 720 trees of at most 29 nodes are ~21 000; this is 12×
that (a few MB of arrays), and with `MAX_TREE_DEPTH` bounds the time of every prediction."""

PROBE_ROWS = 256
"""Random feature rows `export_walk` compares the walk and scikit-learn on."""

PROBE_SCALE = 3.0
"""Spread (standard deviation) of the probe rows: features are logs and fractions of order 1,
so ±3σ reaches past most split thresholds on both sides."""

MATCH_RTOL = 1e-9
MATCH_ATOL = 1e-12
"""How close the walk must be to `predict_proba` (it sums the same leaf values in a fixed
order, so any difference is rounding in the last bits)."""

_INT_ARRAYS = ("roots", "right", "split", "split_feature", "tree_slot", "n_active")
_FLOAT_ARRAYS = ("value", "split_threshold", "baseline")


def walk_path(skops_path: str | Path) -> Path:
    """Where the walk file of a skops model lives: beside it, same stem, ``.npz``."""
    return Path(skops_path).with_suffix(WALK_SUFFIX)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (ties a walk file to the skops file it came from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_walk(predictor: TreeEnsemblePredictor, path: str | Path, *,
              feature_names: tuple[str, ...], recipe: dict[str, Any],
              source_digest: str) -> Path:
    """Write `predictor`'s arrays, the feature names, the recipe (as JSON) and the digest of
    the skops file they were made from to `path` (a compressed ``.npz``)."""
    path = Path(path)
    arrays = predictor.arrays()
    arrays["feature_names"] = np.asarray(list(feature_names), dtype=str)
    arrays["recipe_json"] = np.asarray(json.dumps(recipe, sort_keys=True, default=str))
    arrays["source_sha256"] = np.asarray(source_digest)
    arrays["format"] = np.asarray(WALK_FORMAT)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        np.savez_compressed(f, **arrays)
    tmp.replace(path)  # a reader never sees half a file
    return path


def _check_members(path: Path, archive: zipfile.ZipFile) -> None:
    """Every member an ``.npy`` whose declared shape × item size fits in its unpacked bytes,
    so `np.load` allocates no more than `check_archive` allowed."""
    for member in archive.infolist():
        try:
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"npy format version {version}")
        except ValueError as exc:
            raise ModelFileError(f"{path}: member {member.filename} is not an array ({exc})"
                                 ) from None
        if dtype.hasobject:
            raise ModelFileError(f"{path}: member {member.filename} holds Python objects")
        if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize > member.file_size:
            raise ModelFileError(f"{path}: member {member.filename} declares more data than "
                                 "it holds")


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    check_archive(path, kind="tree-walk file (.npz)")
    with zipfile.ZipFile(path) as archive:
        _check_members(path, archive)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a readable tree-walk file ({exc})") from None


def load_walk(path: str | Path, classes: frozenset[str] | None = None
              ) -> tuple[TreeEnsemblePredictor, tuple[str, ...], dict[str, Any], str]:
    """The predictor, feature names, recipe and source digest stored in a walk file, once
    `walk_problem` finds nothing wrong with them (`classes`: the answers the pipeline
    knows; default the labels plus ``none``). Needs numpy only."""
    if classes is None:
        classes = MODEL_CLASSES
    path = Path(path)
    arrays = _read_arrays(path)
    why = walk_problem(arrays, classes)
    if why:
        raise ModelFileError(f"{path}: not a usable tree-walk model: {why}")
    try:
        recipe = json.loads(str(arrays["recipe_json"]))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: its recipe is not JSON ({exc})") from None
    if not isinstance(recipe, dict):
        raise ModelFileError(f"{path}: its recipe is a {type(recipe).__name__}, not a dict")
    clean = {k: arrays[k].astype(np.intp) for k in _INT_ARRAYS}
    clean.update({k: arrays[k].astype(np.float64) for k in _FLOAT_ARRAYS})
    clean["split_missing_left"] = arrays["split_missing_left"].astype(bool)
    for k in ("n_classes", "n_features", "classes"):
        clean[k] = arrays[k]
    assert set(ARRAY_NAMES) <= set(clean)
    predictor = TreeEnsemblePredictor.from_arrays(clean)
    return (predictor, tuple(str(n) for n in arrays["feature_names"]), recipe,
            str(arrays["source_sha256"]))


def walk_problem(a: dict[str, np.ndarray], known: frozenset[str]) -> str | None:
    """What makes arrays read from a walk file unsafe or wrong to walk, or None.

    The walk (`TreeEnsemblePredictor.raw`) starts every tree at its root and, level by level
    for the trees still deeper than the level, steps to ``right[node] - goes_left``, where a
    leaf is its own right child and uses the never-true last split. So: each tree's nodes are
    the contiguous range from its root to the next root; an inner node's children
    (``right - 1``, ``right``) lie after it inside its tree and every node but a root has
    exactly one parent -- following parents then strictly decreases the index and ends at
    the tree's root, so the nodes form one tree per root, with no loop and no way out of the
    tree. The trees are laid out deepest first and the walk's level counts (`n_active`)
    match the real depths, so every walk ends on a leaf.
    """
    for k in (*ARRAY_NAMES, "n_classes", "n_features", "classes", "feature_names",
              "recipe_json", "source_sha256", "format"):
        if k not in a:
            return f"it has no {k!r} array"
    if a["format"].shape != () or str(a["format"]) != WALK_FORMAT:
        return f"its format is {a['format']!r}, not {WALK_FORMAT}"
    for k in _INT_ARRAYS:
        if a[k].ndim != 1 or a[k].dtype.kind not in "iu":
            return f"{k!r} is not a one-dimensional integer array"
    for k in _FLOAT_ARRAYS:
        if a[k].ndim != 1 or a[k].dtype.kind != "f":
            return f"{k!r} is not a one-dimensional float array"
    if a["split_missing_left"].ndim != 1 or a["split_missing_left"].dtype != bool:
        return "'split_missing_left' is not a one-dimensional boolean array"
    for k in ("n_classes", "n_features"):
        if a[k].shape != () or a[k].dtype.kind not in "iu":
            return f"{k!r} is not an integer"
    for k in ("classes", "feature_names"):
        if a[k].ndim != 1 or a[k].dtype.kind != "U":
            return f"{k!r} is not a list of names"
    for k in ("recipe_json", "source_sha256"):
        if a[k].shape != () or a[k].dtype.kind != "U":
            return f"{k!r} is not a text"

    n_features = int(a["n_features"])
    if n_features != len(FEATURE_NAMES) or tuple(a["feature_names"]) != FEATURE_NAMES:
        return "it was trained on a different feature set; retrain with `emgspasm train`"
    names = [str(c) for c in a["classes"]]
    if len(names) < 2 or len(set(names)) != len(names) or not set(names) <= known:
        return f"its classes {names} are not distinct labels among {sorted(known)}"
    per_iteration = 1 if len(names) == 2 else len(names)
    if int(a["n_classes"]) != per_iteration:
        return f"it has {int(a['n_classes'])} trees per iteration, {len(names)} classes " \
               f"need {per_iteration}"
    baseline = a["baseline"]
    if baseline.size != per_iteration or not np.all(np.isfinite(baseline)):
        return "its baseline prediction is missing or not finite"

    roots, right, split, value = (a[k].astype(np.int64) if k != "value" else a[k]
                                  for k in ("roots", "right", "split", "value"))
    n_nodes, n_trees = right.size, roots.size
    if not (1 <= n_trees <= MAX_WALK_TREES) or n_trees % per_iteration:
        return f"it holds {n_trees} trees (1..{MAX_WALK_TREES}, whole iterations)"
    if not (1 <= n_nodes <= MAX_WALK_NODES):
        return f"it holds {n_nodes} nodes (1..{MAX_WALK_NODES})"
    if split.size != n_nodes or value.size != n_nodes:
        return "its node arrays differ in length"
    if not np.all(np.isfinite(value)):
        return "a node value is not finite"
    threshold, feature = a["split_threshold"], a["split_feature"].astype(np.int64)
    missing_left = a["split_missing_left"]
    sentinel = threshold.size - 1
    if sentinel < 0 or feature.size != threshold.size or missing_left.size != threshold.size:
        return "its split arrays differ in length or are empty"
    if not np.isnan(threshold[sentinel]) or missing_left[sentinel]:
        return "its last split is not the never-true one leaves use"
    if np.any(feature < 0) or np.any(feature >= n_features):
        return f"it splits on a feature outside 0..{n_features - 1}"
    if np.any(split < 0) or np.any(split > sentinel):
        return "a node's split index is out of range"
    slot = a["tree_slot"].astype(np.int64)
    if slot.size != n_trees or not np.array_equal(np.sort(slot), np.arange(n_trees)):
        return "its tree order is not a permutation of its trees"

    if roots[0] != 0 or np.any(np.diff(roots) <= 0) or roots[-1] >= n_nodes:
        return "its tree roots are not increasing node indices starting at 0"
    ends = np.append(roots[1:], n_nodes)
    tree_of = np.repeat(np.arange(n_trees), ends - roots)
    index = np.arange(n_nodes)
    leaf = right == index
    if np.any(split[leaf] != sentinel) or np.any(split[~leaf] == sentinel):
        return "a leaf has a split or an inner node has none"
    parent = index[~leaf]
    child_right = right[~leaf]
    child_left = child_right - 1
    if np.any(child_left <= parent) or np.any(child_right >= ends[tree_of[parent]]):
        return "has a child index out of its tree or not after its parent (a loop)"
    is_root = np.zeros(n_nodes, dtype=bool)
    is_root[roots] = True
    children = np.concatenate([child_left, child_right])
    if np.any(np.bincount(children, minlength=n_nodes) != ~is_root):
        return "has a node with no parent or more than one: not a tree"

    # Real depths, level by level from the roots (each node is reached once: it is a forest).
    depth = np.zeros(n_nodes, dtype=np.int64)
    frontier = roots
    for level in range(MAX_TREE_DEPTH + 1):
        frontier = frontier[~leaf[frontier]]
        if not frontier.size:
            break
        kids = np.concatenate([right[frontier] - 1, right[frontier]])
        depth[kids] = level + 1
        frontier = kids
    else:
        return f"a tree is more than {MAX_TREE_DEPTH} levels deep"
    tree_depth = np.maximum.reduceat(depth, roots)
    if np.any(np.diff(tree_depth) > 0):
        return "its trees are not laid out deepest first"
    active = a["n_active"].astype(np.int64)
    expected = [int(np.sum(tree_depth > level)) for level in range(int(tree_depth.max()))]
    if active.tolist() != expected:
        return "its walk's level counts do not match its trees' depths"
    return None
