"""`emgspasm train`: build the episode training set from simulation and fit the classifier.

Deterministic: the sessions come from `emgspasm.sets` recipes (fixed seeds), the detector is
the same `Pipeline` that labels recordings (run in collect mode, so training sees exactly the
episodes inference will see), and the estimator has a fixed random_state.

Each detected episode is labelled from the truth: the true event on its own channel that it
overlaps most; failing that, a true event on its agonist/antagonist partner (crosstalk or
co-activation belongs to that event); failing that, `none` (noise the classifier must learn
to reject).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from emgspasm.detect.classifier import NONE_LABEL, EpisodeModel, make_estimator
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.events import PRECEDENCE, Event
from emgspasm.pipeline import Pipeline, default_pairs
from emgspasm.sets import session_spec, simulate_session

TRUTH_MARGIN_S = 0.05
"""An episode is compared with truth widened by this much (onset refinement is ±a hop or two)."""


def label_episode(channel: str, partner: str | None, start_s: float, end_s: float,
                  truth: Sequence[Event]) -> str:
    """Training label of one detected episode (see module docstring)."""
    for names in ([channel], [partner] if partner else []):
        best, best_overlap = None, 0.0
        for ev in truth:
            if not set(names) & set(ev.channels):
                continue
            overlap = min(end_s, ev.end_s + TRUTH_MARGIN_S) - max(start_s,
                                                                   ev.start_s - TRUTH_MARGIN_S)
            if overlap > best_overlap or (overlap > 0 and best is not None and overlap ==
                                          best_overlap and PRECEDENCE.index(ev.label) <
                                          PRECEDENCE.index(best.label)):
                best, best_overlap = ev, overlap
        if best is not None:
            return best.label
    return NONE_LABEL


def session_episodes(split: str, index: int) -> tuple[np.ndarray, list[str]]:
    """Features and training labels of every episode detected in one simulated session."""
    spec = session_spec(split, index)
    sim = simulate_session(spec)
    rec = sim.recording
    pipe = Pipeline(rec.fs, rec.channels, collect=True)
    block = max(1, int(rec.fs))  # 1 s blocks: the result is chunk-invariant anyway
    for i in range(0, rec.n_samples, block):
        pipe.push(rec.samples[i:i + block])
    pipe.flush()
    partner = {a: b for p in default_pairs(len(rec.channels)) for a, b in (p, p[::-1])}
    feats, labels = [], []
    for ep in pipe.episodes:
        ch = ep["channel"]
        other = rec.channels[partner[ch]] if ch in partner else None
        labels.append(label_episode(rec.channels[ch], other, ep["start_s"], ep["end_s"],
                                    sim.truth))
        feats.append(ep["features"])
    x = np.vstack(feats) if feats else np.zeros((0, len(FEATURE_NAMES)))
    return x, labels


def build_training_set(split: str, n_sessions: int, workers: int = 1
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Stack episodes from sessions 0..n-1 of a split (order is deterministic)."""
    indices = list(range(n_sessions))
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = list(pool.map(session_episodes, [split] * n_sessions, indices))
    else:
        parts = [session_episodes(split, i) for i in indices]
    x = np.vstack([p[0] for p in parts])
    y = np.array([lab for p in parts for lab in p[1]])
    return x, y


def train(out: str | Path, *, n_sessions: int = 160, workers: int = 1,
          random_state: int = 0) -> EpisodeModel:
    """Fit the default model on the `train` split and save it to `out` (skops format)."""
    x, y = build_training_set("train", n_sessions, workers)
    estimator = make_estimator(random_state).fit(x, y)
    labels, counts = np.unique(y, return_counts=True)
    recipe = {"split": "train", "n_sessions": n_sessions, "random_state": random_state,
              "n_episodes": len(y),
              "episodes_per_label": {str(k): int(v) for k, v in zip(labels, counts, strict=True)}}
    model = EpisodeModel(estimator, FEATURE_NAMES, recipe)
    model.save(out)
    return model
