"""Checks that make a model file safe to load and to run, whoever wrote it.

skops' type audit (`emgspasm.detect.classifier`) stops a file from running code, but a file
made only of trusted scikit-learn and numpy types can still hurt: a zip bomb of a few MB
unpacks to gigabytes before skops has read it; a tree whose child index points back at an
ancestor makes every tree walk (ours and scikit-learn's) loop for ever; an index past the end
of a tree reads outside its array in scikit-learn's compiled code; and any other trusted
estimator (a `DummyClassifier` that answers "cramp" to everything) would be taken for a
model. So a file is checked in two steps, each before the step that could hurt:

1. `check_archive`, before skops opens it: a zip archive whose declared sizes stay within
   `MAX_MODEL_UNPACKED_BYTES` and whose members really unpack to those sizes (read in bounded
   chunks, so a lying header cannot make this step the bomb);
2. `check_contents`, on what skops built, before anything predicts with it: the estimator
   `emgspasm.detect.classifier.make_estimator` fits, on this pipeline's features, with known
   labels as classes, and every tree a tree (acyclic, in-range indices, bounded depth).

Every failure is a `ModelFileError` whose message begins with the file's path.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.events import LABELS

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

# scikit-learn is imported inside the functions that check an estimator: `check_archive`
# also guards the tree-walk files (`emgspasm.detect.walk_file`), which load without it.

NONE_LABEL = "none"
"""Training label of episodes that match no true event (noise, crosstalk)."""

MODEL_CLASSES = frozenset(LABELS) | {NONE_LABEL}
"""The answers a model file may give: anything else would become an unknown event label."""

MAX_MODEL_UNPACKED_BYTES = 32 * 2**20
"""Largest total a model archive may unpack to. The estimator `emgspasm train` fits has a fixed
size (120 iterations × 6 classes × at most 29 nodes per tree): the shipped model unpacks to
3.8 MB, so 32 MB is 8× that, and a file needing more is not one `train` wrote. It also bounds
what skops can allocate while building the objects (its JSON schema is a part of it)."""

MAX_MODEL_MEMBERS = 20_000
"""Most files a model archive may hold: the shipped model has 2 213 (one per array); each is a
record zipfile parses up front."""

MAX_TREE_DEPTH = 64
"""Deepest tree accepted. `make_estimator`'s 15 leaves allow depth 14 at most; every level is
one step of each row's walk, so this bounds prediction time whatever the file says."""

UNPACK_CHUNK_BYTES = 2**20
"""Archive members are decompressed this much at a time when read through (`check_archive`)."""


class ModelFileError(ValueError):
    """A model file that cannot be used (the message names the file and why).

    A ValueError, as a refused file always was here, so existing handlers keep catching it."""


def check_archive(path: Path, kind: str = "skops model file") -> None:
    """Refuse what is not a zip archive, holds too many members, declares more than
    `MAX_MODEL_UNPACKED_BYTES` unpacked, or does not unpack to what it declares.

    The last needs reading: zipfile cuts a member off at its declared size, but `read()` of a
    whole member (as skops does) first decompresses everything the member holds in one call,
    so a header declaring 1 kB over 200 MB of zeros costs 200 MB before the CRC check fails.
    Read here `UNPACK_CHUNK_BYTES` at a time, such a member stops at its declared size and
    fails its CRC check with no more than a chunk in memory.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MODEL_MEMBERS:
                raise ModelFileError(
                    f"{path}: holds {len(members)} files, more than a model "
                    f"has (at most {MAX_MODEL_MEMBERS})"
                )
            declared = sum(m.file_size for m in members)
            if declared > MAX_MODEL_UNPACKED_BYTES:
                raise ModelFileError(
                    f"{path}: declares {declared} bytes unpacked, more than a model needs (at "
                    f"most {MAX_MODEL_UNPACKED_BYTES}); refused as a possible zip bomb"
                )
            for member in members:
                with archive.open(member) as stream:
                    while stream.read(UNPACK_CHUNK_BYTES):
                        pass
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        zlib.error,
    ) as exc:
        # NotImplementedError: a compression method zipfile lacks; RuntimeError: an encrypted
        # member; EOFError, zlib.error: a truncated or damaged one. skops could not read it.
        why = "not a zip archive" if str(exc) == "File is not a zip file" else str(exc)
        raise ModelFileError(
            f"{path}: not a {kind} ({why}); model files are written by `emgspasm train`"
        ) from None


def check_contents(
    obj: Any, path: Path, classes: frozenset[str]
) -> tuple[HistGradientBoostingClassifier, tuple[str, ...], dict[str, Any]]:
    """The estimator, feature names and recipe of a loaded file, once they are checked to be
    what `emgspasm train` writes (see the module docstring); `classes` are the answers the
    pipeline knows (an unknown one would become an event label no reader of events knows)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    if not isinstance(obj, dict) or "estimator" not in obj or "feature_names" not in obj:
        raise ModelFileError(f"{path}: not an emgspasm model (no estimator and feature names)")
    est = obj["estimator"]
    if type(est) is not HistGradientBoostingClassifier:
        raise ModelFileError(
            f"{path}: holds a {type(est).__name__}, not the "
            "HistGradientBoostingClassifier `emgspasm train` fits"
        )
    names = obj["feature_names"]
    if not isinstance(names, list | tuple) or tuple(names) != FEATURE_NAMES:
        raise ModelFileError(
            f"{path}: model was trained on a different feature set; retrain with `emgspasm train`"
        )
    recipe = obj.get("recipe") or {}
    if not isinstance(recipe, dict):
        raise ModelFileError(f"{path}: its recipe is a {type(recipe).__name__}, not a dict")
    _check_estimator(est, path, classes)
    return est, tuple(names), recipe


def _check_estimator(
    est: HistGradientBoostingClassifier, path: Path, known: frozenset[str]
) -> None:
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    def bad(why: str) -> ModelFileError:
        return ModelFileError(f"{path}: not a usable model: {why}")

    n_features = getattr(est, "n_features_in_", None)
    if n_features != len(FEATURE_NAMES):
        raise bad(f"it takes {n_features} features, the pipeline gives {len(FEATURE_NAMES)}")
    classes = getattr(est, "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        raise bad("it has no list of classes")
    names = [str(c) for c in classes]
    if len(names) < 2 or len(set(names)) != len(names) or not set(names) <= known:
        raise bad(f"its classes {names} are not distinct labels among {sorted(known)}")
    per_iteration = 1 if len(names) == 2 else len(names)
    loss = HalfBinomialLoss if per_iteration == 1 else HalfMultinomialLoss
    if type(getattr(est, "_loss", None)) is not loss:
        raise bad(f"its loss is not the {loss.__name__} of {len(names)} classes")
    baseline = np.asarray(getattr(est, "_baseline_prediction", None))
    if (
        baseline.dtype.kind != "f"
        or baseline.size != per_iteration
        or not np.all(np.isfinite(baseline))
    ):
        raise bad("its baseline prediction is missing or not finite")
    if getattr(est, "is_categorical_", None) is not None:
        raise bad("it has categorical features; the pipeline's are all numerical")
    iterations = getattr(est, "_predictors", None)
    if not isinstance(iterations, list) or not iterations:
        raise bad("it has no trees")
    for i, trees in enumerate(iterations):
        if not isinstance(trees, list) or len(trees) != per_iteration:
            raise bad(f"iteration {i} does not hold {per_iteration} trees")
        for k, tree in enumerate(trees):
            if not isinstance(tree, TreePredictor):
                raise bad(f"tree {i}.{k} is a {type(tree).__name__}")
            why = tree_problem(tree.nodes, n_features)
            if why:
                raise bad(f"tree {i}.{k} {why}")


def tree_problem(nodes: Any, n_features: int) -> str | None:
    """What makes `nodes` not a tree scikit-learn can walk safely, or None if nothing does.

    scikit-learn numbers a tree's nodes in pre-order (a node, then its left subtree, then its
    right one), so every child's index is larger than its parent's. Requiring that, in range,
    and exactly one parent for every node but the root (which has none) proves the nodes form
    one tree: following parents from any node strictly decreases the index, so it ends at the
    only parentless node, the root -- no loop, nothing unreachable, nothing shared. Stored
    depths must then be the real ones (the root 0, each child one more than its parent): the
    walkers size their loops from them.
    """
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    if (
        not isinstance(nodes, np.ndarray)
        or nodes.dtype != PREDICTOR_RECORD_DTYPE
        or nodes.ndim != 1
        or nodes.size == 0
    ):
        return "is not an array of scikit-learn tree nodes"
    n = nodes.size
    index = np.arange(n)
    inner = nodes["is_leaf"] == 0
    parent = index[inner]
    left = nodes["left"][inner].astype(np.int64)
    right = nodes["right"][inner].astype(np.int64)
    children = np.concatenate([left, right])
    if np.any(children >= n) or np.any(left <= parent) or np.any(right <= parent):
        return "has a child index out of range or not after its parent (a loop)"
    if np.any(np.bincount(children, minlength=n) != (index > 0)):
        return "has a node with no parent or more than one: not a tree"
    depth = nodes["depth"].astype(np.int64)
    if (
        depth[0] != 0
        or np.any(depth[left] != depth[parent] + 1)
        or np.any(depth[right] != depth[parent] + 1)
    ):
        return "records depths that are not its own"
    if depth.max() > MAX_TREE_DEPTH:
        return f"is {depth.max()} levels deep (at most {MAX_TREE_DEPTH})"
    feature = nodes["feature_idx"][inner]
    if np.any(feature < 0) or np.any(feature >= n_features):
        return f"splits on a feature outside 0..{n_features - 1}"
    if np.any(nodes["is_categorical"] != 0):
        return "has a categorical split"
    if not np.all(np.isfinite(nodes["value"][~inner])):
        return "has a leaf whose value is not finite"
    return None
