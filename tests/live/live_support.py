"""Helpers for the live-runner tests: a stand-in classifier and a small emulated session.

The shipped model file may not exist while it is being trained, and these tests are about the
live plumbing, not about labelling quality: a one-iteration `HistGradientBoostingClassifier`
fitted on constant features (so it has no split and answers the class priors, like a dummy)
wrapped in the real `EpisodeModel` labels every detected episode, so "events come out of the
live pipeline" is tested whatever model is installed. It is the estimator type `emgspasm
train` fits, so model-file checks accept it when it is saved and loaded.
"""

from __future__ import annotations

import asyncio

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from emgspasm.detect.classifier import EpisodeModel
from emgspasm.detect.episode_features import FEATURE_NAMES

LABELS = ("voluntary", "cramp")


def dummy_model() -> EpisodeModel:
    """Labels every episode with the more probable of two labels (equal priors)."""
    x = np.zeros((2, len(FEATURE_NAMES)))
    estimator = HistGradientBoostingClassifier(max_iter=1).fit(x, list(LABELS))
    return EpisodeModel(estimator, FEATURE_NAMES)


async def stop_when_sent(emu, runner, settle_s: float = 0.3) -> None:
    """Stop `runner` once the emulator `emu` has sent all of its signal (plus a moment for the
    last bytes to arrive), as a user pressing Ctrl-C at the end of a session would."""
    while not emu.exhausted:
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle_s)
    runner.stop("test")
