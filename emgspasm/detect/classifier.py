"""The episode classifier: a scikit-learn estimator, persisted with skops (no pickle).

Gradient-boosted trees suit this job: features of very different scales and meanings, strong
interactions (a long, localised, modulated episode is a cramp; the same envelope on both pair
channels is not), and fast prediction (one call per closed episode). The classes are the five
labels plus `none`: an episode the detector opened on noise or crosstalk that is no event at
all, which the classifier is allowed to reject.

Persistence uses skops, which refuses to instantiate types it was not told to trust; the
default model file ships inside the package, and `load_model` only trusts scikit-learn's own
estimator and numpy types, so loading a user-supplied file cannot run arbitrary code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier

from emgspasm.detect.episode_features import FEATURE_NAMES

NONE_LABEL = "none"
"""Training label of episodes that match no true event (noise, crosstalk)."""

DEFAULT_MODEL = "default.skops"

_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.", "collections.")


def make_estimator(random_state: int = 0) -> HistGradientBoostingClassifier:
    """The untrained estimator `emgspasm train` fits (deterministic for a given seed)."""
    return HistGradientBoostingClassifier(
        max_iter=300,
        learning_rate=0.08,
        max_leaf_nodes=31,
        min_samples_leaf=10,
        l2_regularization=1.0,
        class_weight="balanced",
        early_stopping=False,
        random_state=random_state,
    )


class EpisodeModel:
    """A fitted estimator plus the feature names and training recipe it was made with."""

    def __init__(self, estimator: Any, feature_names: tuple[str, ...],
                 recipe: dict[str, Any] | None = None) -> None:
        if tuple(feature_names) != FEATURE_NAMES:
            raise ValueError(
                "model was trained on a different feature set; retrain with `emgspasm train`"
            )
        self.estimator = estimator
        self.feature_names = tuple(feature_names)
        self.recipe = recipe or {}
        self.classes = [str(c) for c in estimator.classes_]

    def predict(self, features: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Labels and their probabilities for rows of features."""
        proba = self.estimator.predict_proba(np.atleast_2d(features))
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], proba[np.arange(len(best)), best]

    def predict_feasible(self, features: np.ndarray, feasible: np.ndarray) -> tuple[str, float]:
        """Most probable label among the feasible ones, with its renormalised probability."""
        proba = self.estimator.predict_proba(np.atleast_2d(features))[0]
        masked = np.where(feasible, proba, 0.0)
        if masked.sum() <= 0:
            masked = proba
        best = int(masked.argmax())
        return self.classes[best], float(masked[best] / masked.sum())

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump({"estimator": self.estimator, "feature_names": list(self.feature_names),
                  "recipe": self.recipe}, path)
        return path


def load_model(path: str | Path | None = None) -> EpisodeModel:
    """Load a model file (default: the one shipped with the package), trusting only
    scikit-learn / numpy types; anything else is refused with the offending type names."""
    if path is None:
        ref = resources.files("emgspasm.models").joinpath(DEFAULT_MODEL)
        with resources.as_file(ref) as p:
            return load_model(p)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no model file (train one with `emgspasm train`)")
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise ValueError(f"{path}: refusing to load untrusted types {refused}")
    obj = sio.load(path, trusted=untrusted)
    return EpisodeModel(obj["estimator"], tuple(obj["feature_names"]), obj.get("recipe"))
