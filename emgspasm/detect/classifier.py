"""The episode classifier: a scikit-learn estimator, persisted with skops (no pickle).

Gradient-boosted trees suit this job: features of very different scales and meanings, strong
interactions (a long, localised, modulated episode is a cramp; the same envelope on both pair
channels is not), and fast prediction (one call per closed episode). The classes are the five
labels plus `none`: an episode the detector opened on noise or crosstalk that is no event at
all, which the classifier is allowed to reject.

Persistence uses skops (the source of truth, which `emgspasm train` writes) plus, beside it, a
tree-walk file of plain arrays (`emgspasm.detect.walk_file`) that `load_model` prefers: the
pipeline then runs the model with neither scikit-learn nor skops imported. skops refuses to
instantiate types it was not told to trust; the default model file ships inside the package,
and `load_model` only trusts classes defined by scikit-learn or numpy -- no functions (a skops
file can carry `eval` or `os.system` as, say, a FunctionTransformer's `func`) and nothing else
from builtins -- so loading a user-supplied file cannot run arbitrary code. A walk file holds
numbers and strings only (read with ``allow_pickle=False``) and is checked as strictly.
"""

from __future__ import annotations

import importlib
import warnings
import zipfile
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.detect.model_file import (
    MODEL_CLASSES,
    ModelFileError,
    check_archive,
    check_contents,
)
from emgspasm.detect.model_file import (
    NONE_LABEL as NONE_LABEL,  # the pipeline and training read it from here
)
from emgspasm.detect.tree_predict import TreeEnsemblePredictor
from emgspasm.detect.walk_file import (
    MATCH_ATOL,
    MATCH_RTOL,
    PROBE_ROWS,
    PROBE_SCALE,
    WALK_SUFFIX,
    file_digest,
    load_walk,
    save_walk,
    walk_path,
)

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

# scikit-learn and skops are imported where a skops file is read or written, or an estimator
# made: a model with a current tree-walk file runs without them (module docstring).

DEFAULT_MODEL = "default.skops"

_TRUSTED_PACKAGES = ("sklearn", "numpy")

_TRAINED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
"""Types beyond skops' own defaults in a model `emgspasm train` writes."""


def make_estimator(random_state: int = 0) -> HistGradientBoostingClassifier:
    """The untrained estimator `emgspasm train` fits (deterministic for a given seed)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=120,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=10,
        l2_regularization=1.0,
        class_weight="balanced",
        early_stopping=False,
        random_state=random_state,
    )


class EpisodeModel:
    """A fitted estimator plus the feature names and training recipe it was made with.

    Built from an estimator (training, or a skops file without a current walk file), it
    predicts with the tree walk once that is checked to reproduce `predict_proba`; built
    from a walk file (`from_walk`), with the walk alone, and the estimator is read from the
    skops file beside it only if someone asks for `estimator`.
    """

    def __init__(self, estimator: Any, feature_names: tuple[str, ...],
                 recipe: dict[str, Any] | None = None) -> None:
        if tuple(feature_names) != FEATURE_NAMES:
            raise ValueError(
                "model was trained on a different feature set; retrain with `emgspasm train`"
            )
        self._estimator = estimator
        self.source: Path | None = None
        self.feature_names = tuple(feature_names)
        self.recipe = recipe or {}
        self.classes = [str(c) for c in estimator.classes_]
        self._proba = _fast_proba(estimator, len(self.feature_names))

    @classmethod
    def from_walk(cls, walker: TreeEnsemblePredictor, feature_names: tuple[str, ...],
                  recipe: dict[str, Any], source: Path | None) -> EpisodeModel:
        """A model that predicts with `walker` (read from a checked walk file); `source` is
        the skops file it was made from, read only for `estimator`."""
        self = cls.__new__(cls)
        self._estimator = None
        self.source = source
        self.feature_names = tuple(feature_names)
        self.recipe = recipe
        self.classes = [str(c) for c in walker.classes]
        self._proba = walker.predict_proba
        return self

    @property
    def estimator(self) -> Any:
        """The scikit-learn estimator (read from the skops file on first use for a model
        loaded from its walk file: that needs scikit-learn and skops)."""
        if self._estimator is None:
            if self.source is None or not self.source.exists():
                raise ModelFileError(f"{self.source}: no skops file beside the tree-walk file")
            self._estimator = load_skops(self.source).estimator
        return self._estimator

    def proba(self, features: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities per row of features (columns in `classes` order), restricted to
        the feasible labels if a boolean mask (rows × classes) is given and renormalised.

        Called once per batch of closed episodes: tree ensembles pay a fixed cost per call,
        and each row's prediction does not depend on the others in the batch.
        """
        x = np.atleast_2d(features)
        proba = self._proba(x)
        if feasible is not None:
            masked = np.where(feasible, proba, 0.0)
            none_ok = masked.sum(axis=1) > 0
            proba = np.where(none_ok[:, None], masked, proba)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, features: np.ndarray, feasible: np.ndarray | None = None
                ) -> tuple[list[str], np.ndarray]:
        """Most probable label per row of features (see `proba`), with its probability."""
        proba = self.proba(features, feasible)
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], proba[np.arange(len(best)), best]

    def save(self, path: str | Path, *, walk: bool = True) -> Path:
        """Write the skops file and (unless `walk` is False) its tree-walk file beside it,
        checked against scikit-learn (`export_walk`)."""
        import skops.io as sio

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump({"estimator": self.estimator, "feature_names": list(self.feature_names),
                  "recipe": self.recipe}, path, compression=zipfile.ZIP_DEFLATED,
                 compresslevel=9)
        if walk:
            export_walk(path)
        return path


def _fast_proba(estimator: Any, n_features: int) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorized tree walker when it reproduces scikit-learn, else `predict_proba`."""
    try:
        fast = TreeEnsemblePredictor(estimator)
    except (AttributeError, KeyError, ValueError):
        return estimator.predict_proba
    probe = np.random.default_rng(0).normal(0.0, 3.0, size=(64, n_features))
    return fast.predict_proba if fast.matches_sklearn(estimator, probe) else \
        estimator.predict_proba


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int, walk_mtime_ns: int | None) -> EpisodeModel:
    return _load(path)


def load_model(path: str | Path | None = None) -> EpisodeModel:
    """Load a model file (default: the one shipped with the package): a skops file, by its
    tree-walk file beside it when that was made from exactly this skops file, else by skops
    trusting only scikit-learn / numpy classes (anything else is refused with the offending
    type names); or a tree-walk file (``.npz``) given directly.

    Raises `FileNotFoundError` for a missing file and `ModelFileError` (a ValueError naming
    the file) for one that is not a usable model (`emgspasm.detect.model_file`)."""
    if path is None:
        ref = resources.files("emgspasm.models").joinpath(DEFAULT_MODEL)
        with resources.as_file(ref) as p:
            return load_model(p)
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no model file (train one with `emgspasm train`)")
    # Loading and auditing a skops file takes ~0.5 s; a batch analysing many files loads it
    # once per process (keyed by modification time, so a retrained file is picked up).
    walk = walk_path(path)
    walk_mtime = walk.stat().st_mtime_ns if walk.exists() and walk != path else None
    return _load_cached(path, path.stat().st_mtime_ns, walk_mtime)


def _load(path: Path) -> EpisodeModel:
    """The model of a skops file (by its walk file when current) or of a walk file."""
    if path.suffix == WALK_SUFFIX:
        walker, names, recipe, _ = load_walk(path, MODEL_CLASSES)
        return EpisodeModel.from_walk(walker, names, recipe, path.with_suffix(".skops"))
    walk = walk_path(path)
    if walk.exists():
        try:
            walker, names, recipe, digest = load_walk(walk, MODEL_CLASSES)
        except ModelFileError as exc:
            warnings.warn(f"{exc}; using {path.name} itself", stacklevel=3)
        else:
            if digest == file_digest(path):
                return EpisodeModel.from_walk(walker, names, recipe, path)
            warnings.warn(f"{walk}: made from another version of {path.name}, so not used; "
                          f"`emgspasm train --convert {path}` rewrites it", stacklevel=3)
    return load_skops(path)


def load_skops(path: Path) -> EpisodeModel:
    """Read, audit and check a skops model file (see `emgspasm.detect.model_file` for what a
    file of trusted types alone could still do, and why each check comes where it does)."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    check_archive(path)
    try:
        try:
            # A file made by `emgspasm train` needs only these trusted: trying them first
            # spares the second parse of the file that listing its types takes (0.17 s of a
            # ~0.4 s load).
            obj = sio.load(path, trusted=_TRAINED_TYPES)
        except UntrustedTypesFoundException:
            untrusted = sio.get_untrusted_types(file=path)
            refused = [t for t in untrusted if not _is_trusted_class(t)]
            if refused:
                raise ModelFileError(f"{path}: refusing to load untrusted types {refused}"
                                     ) from None
            obj = sio.load(path, trusted=untrusted)
    except ModelFileError:
        raise
    except Exception as exc:  # a damaged schema can fail inside skops in many ways
        raise ModelFileError(f"{path}: not a readable skops model ({type(exc).__name__}: "
                             f"{exc})") from None
    estimator, feature_names, recipe = check_contents(obj, path, MODEL_CLASSES)
    return EpisodeModel(estimator, feature_names, recipe)


def _is_trusted_class(name: str) -> bool:
    """True if `name` ("package.module.Class") is a class that scikit-learn or numpy define.

    Only the packages' own modules are imported to find out (they are trusted code already);
    anything that is not a class -- a function, a ufunc -- is refused whatever its package.
    """
    module_name, _, attr = name.rpartition(".")
    if module_name.split(".")[0] not in _TRUSTED_PACKAGES:
        return False
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and obj.__module__.split(".")[0] in _TRUSTED_PACKAGES


def export_walk(skops_path: str | Path, out: str | Path | None = None, *,
                probe_rows: int = PROBE_ROWS) -> Path:
    """Make the walk file of an existing skops model (default: `walk_path(skops_path)`).

    The skops file is loaded with every check `load_model` applies; the walk built from it
    must reproduce scikit-learn's `predict_proba` on `probe_rows` random feature rows (and the
    walk read back from the file must equal it bit for bit), else nothing is written and a
    `ModelFileError` says why. Imports scikit-learn and skops: a training-time tool, so it
    lives here and not in `emgspasm.detect.walk_file` (which must load without them, and
    which this module imports: the other way round would be an import circle).
    """

    skops_path = Path(skops_path).resolve()
    model = load_skops(skops_path)
    estimator = model.estimator
    fast = TreeEnsemblePredictor(estimator)
    probe = np.random.default_rng(0).normal(0.0, PROBE_SCALE,
                                            size=(probe_rows, len(FEATURE_NAMES)))
    if not np.allclose(fast.predict_proba(probe), estimator.predict_proba(probe),
                       rtol=MATCH_RTOL, atol=MATCH_ATOL):
        raise ModelFileError(f"{skops_path}: the tree walk does not reproduce scikit-learn's "
                             "predict_proba for this model; no walk file written")
    target = Path(out) if out is not None else walk_path(skops_path)
    save_walk(fast, target, feature_names=model.feature_names, recipe=model.recipe,
              source_digest=file_digest(skops_path))
    back, _, _, _ = load_walk(target)
    if not np.array_equal(back.predict_proba(probe), fast.predict_proba(probe)):
        target.unlink()
        raise ModelFileError(f"{target}: the walk read back differs from the one written")
    return target
