"""Helpers for the live-runner tests: a stand-in classifier and a small emulated session.

The shipped model file may not exist while it is being trained, and these tests are about the
live plumbing, not about labelling quality: a scikit-learn `DummyClassifier` wrapped in the real
`EpisodeModel` labels every detected episode, so "events come out of the live pipeline" is
tested whatever model is installed.
"""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyClassifier

from emgspasm.detect.classifier import EpisodeModel
from emgspasm.detect.episode_features import FEATURE_NAMES

LABELS = ("voluntary", "cramp")


def dummy_model() -> EpisodeModel:
    """Labels every episode with the more probable of two labels (equal priors)."""
    x = np.zeros((2, len(FEATURE_NAMES)))
    estimator = DummyClassifier(strategy="prior").fit(x, list(LABELS))
    return EpisodeModel(estimator, FEATURE_NAMES)
