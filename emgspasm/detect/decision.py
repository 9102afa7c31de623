"""From class probabilities to a label: feasibility, the confidence some labels need,
and the labels a recording cannot show.

Kept apart from the classifier because these are rules, not statistics: the same fitted model
is used at every rate and on every device, and what it may say depends on the recording (a
200 Hz armband cannot show a fasciculation) and on what a wrong label costs (a false cramp
frightens someone; a weak cramp called a contraction is still reported as muscle activity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from emgspasm.detect.classifier import NONE_LABEL, EpisodeModel
from emgspasm.detect.config import DetectorConfig
from emgspasm.events import LABELS


def hidden_labels(fs: float, cfg: DetectorConfig) -> dict[str, str]:
    """Labels this recording cannot show, each with the reason a user is told once."""
    hidden: dict[str, str] = {}
    if fs < cfg.label_min_fs:
        reason = (
            f"no events are labelled at {fs:g} Hz: below {cfg.label_min_fs:g} Hz the band left "
            f"under {fs / 2:g} Hz cannot tell contractions, cramps, rigidity, twitches and "
            "artifacts apart (the classifier is validated from 200 Hz up); the recording and "
            "its gaps are still kept")
        return dict.fromkeys(LABELS, reason)
    if fs < cfg.twitch_min_fs:
        hidden["twitch"] = (
            f"fasciculations are not labelled at {fs:g} Hz: a 5-25 ms motor-unit potential "
            f"keeps too little of its energy below {fs / 2:g} Hz to be told from noise, motion "
            f"and quantisation (needs {cfg.twitch_min_fs:g} Hz or more)")
    return hidden


def decide(model: EpisodeModel, features: np.ndarray, feasible: np.ndarray,
           cfg: DetectorConfig, hidden: Mapping[str, str] = {}) -> tuple[list[str], np.ndarray]:
    """Label and confidence per row: the most probable feasible label, except that a label
    below its `label_min_confidence` (cramp, rigidity, artifact) gives way to the next best, and
    an episode whose best label is hidden is no event (`NONE_LABEL`): not guessed as another.
    """
    proba = model.proba(features, feasible)
    classes: Sequence[str] = model.classes
    best = proba.argmax(axis=1)
    for label, floor in cfg.label_min_confidence:
        if label not in classes:
            continue
        k = classes.index(label)
        doubtful = (best == k) & (proba[:, k] < floor)
        if doubtful.any():
            others = proba[doubtful].copy()
            others[:, k] = -1.0
            best[doubtful] = others.argmax(axis=1)
    labels = [classes[i] for i in best]
    confidence = proba[np.arange(best.size), best]
    for i, label in enumerate(labels):
        if label in hidden:
            labels[i] = NONE_LABEL
    return labels, confidence
