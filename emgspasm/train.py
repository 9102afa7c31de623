"""`emgspasm train`: build the episode training set from simulation and fit the classifier.

Deterministic: the sessions come from `emgspasm.sets` recipes (fixed seeds), the detector is
the same `Pipeline` that labels recordings (run in collect mode, so training sees exactly the
episodes inference will see), and the estimator has a fixed random_state.

Each detected episode is labelled from the truth: the true event on its own channel that it
overlaps most; failing that, a true event on its agonist/antagonist partner (crosstalk or
co-activation belongs to that event); failing that, `none` (noise the classifier must learn
to reject).

Real negatives: recordings of healthy people (`emgspasm.realdata`, only the sessions listed for
training) are run through the same pipeline, and their episodes lasting `REAL_VOLUNTARY_MIN_S`
or longer (a gesture, a shift of the hand at rest) are labelled `voluntary`. Nobody there has
cramps or rigidity, so they teach the classifier what everyday real activity looks like on a
real sensor -- what no simulator, ours included, gets quite right. Their shorter blips are left
out: the armband's 200 Hz cannot show a fasciculation (no twitch is labelled there), and as
"none" they taught the model that every short MUAP is nothing (twitch recall on the
independent generator fell from 0.58 to 0.26).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from emgspasm import realdata
from emgspasm.detect.classifier import NONE_LABEL, EpisodeModel, make_estimator
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.events import PRECEDENCE, Event
from emgspasm.pipeline import Pipeline, default_pairs
from emgspasm.recording import Recording
from emgspasm.sets import session_spec, simulate_session

REAL_NEGATIVE_WEIGHT = 5.0
"""Sample weight of a real-negative episode relative to a simulated one: the real sessions are
a few minutes beside hours of simulation, and they are the only evidence of what a real
armband does. With the wide variety in training, 3 left a false cramp per 0.35 h of held-out
real gesture minutes (a forearm-wide gesture with a deep envelope modulation); 5 removed it
while the cramp F1 on the independent generator stayed where it was (measured with
benchmarks/generalisation.py; 8 cost cramps on its diy profile)."""

REAL_VOLUNTARY_MIN_S = 0.2
"""Real-negative episodes at least this long are labelled voluntary; shorter ones are left out."""

TRUTH_MARGIN_S = 0.05
"""An episode is compared with truth widened by this much (onset refinement is ±a hop or two)."""

P_UNPAIRED = 0.25
"""Share of a simulated session's agonist/antagonist pairs the pipeline is *not* told about in
training. Users wear odd numbers of sensors and do not always say which channels face each
other, so channels without a partner are common in real use (and in the independent
generator's sessions); a model that only ever saw partnered channels had no idea what an
unpartnered cramp looks like (6 of 30 found there)."""
_UNPAIRED_SALT = 0x554E50

TRAINING_SPLITS = ("train", "train-wide")
"""The simulated splits `train` may draw from: the shipped recipe uses both (n sessions each)."""


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


def collect_episodes(rec: Recording,
                     pairs: Sequence[tuple[int, int]] | None = None) -> list[dict]:
    """Every episode the detector finds in a recording, with its features (collect mode);
    `pairs` as `Pipeline` takes them (default: its default pairs)."""
    pipe = Pipeline(rec.fs, rec.channels, pairs=pairs, collect=True)
    block = max(1, int(rec.fs))  # 1 s blocks: the result is chunk-invariant anyway
    for i in range(0, rec.n_samples, block):
        pipe.push(rec.samples[i:i + block])
    pipe.flush()
    return pipe.episodes


def _stack(feats: list[np.ndarray]) -> np.ndarray:
    return np.vstack(feats) if feats else np.zeros((0, len(FEATURE_NAMES)))


def real_episodes(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Features of the episodes in one real archive that last `REAL_VOLUNTARY_MIN_S` or
    longer, all labelled `voluntary`."""
    feats = [ep["features"] for minute in realdata.load(path)
             for ep in collect_episodes(minute.recording)
             if ep["end_s"] - ep["start_s"] >= REAL_VOLUNTARY_MIN_S]
    return _stack(feats), ["voluntary"] * len(feats)


def told_pairs(seed: int, n_channels: int) -> list[tuple[int, int]]:
    """The pairs the pipeline is told about in one training session: each of the session's
    pairs is left out with probability `P_UNPAIRED` (deterministic for a seed)."""
    rng = np.random.default_rng([seed, _UNPAIRED_SALT])
    return [p for p in default_pairs(n_channels) if rng.random() >= P_UNPAIRED]


def session_episodes(split: str, index: int) -> tuple[np.ndarray, list[str]]:
    """Features and training labels of every episode detected in one simulated session.

    A channel whose pair the pipeline is not told about is labelled from its own truth only:
    without a partner nothing can say that its burst is the partner's crosstalk."""
    spec = session_spec(split, index)
    sim = simulate_session(spec)
    rec = sim.recording
    pairs = told_pairs(spec.seed, len(rec.channels))
    partner = {a: b for p in pairs for a, b in (p, p[::-1])}
    feats, labels = [], []
    for ep in collect_episodes(rec, pairs):
        ch = ep["channel"]
        other = rec.channels[partner[ch]] if ch in partner else None
        labels.append(label_episode(rec.channels[ch], other, ep["start_s"], ep["end_s"],
                                    sim.truth))
        feats.append(ep["features"])
    return _stack(feats), labels


def build_training_set(splits: Sequence[str], n_sessions: int, workers: int = 1,
                       real: Sequence[Path] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack episodes from sessions 0..n-1 of each split, then those of the `real` archives
    (order is deterministic); returns features, labels and sample weights."""
    jobs = [(split, i) for split in splits for i in range(n_sessions)]
    names, indices = [j[0] for j in jobs], [j[1] for j in jobs]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = list(pool.map(session_episodes, names, indices))
            parts += list(pool.map(real_episodes, real))
    else:
        parts = [session_episodes(s, i) for s, i in jobs]
        parts += [real_episodes(p) for p in real]
    x = np.vstack([p[0] for p in parts])
    y = np.array([lab for p in parts for lab in p[1]])
    n_sim = sum(len(p[1]) for p in parts[:len(jobs)])
    w = np.where(np.arange(y.size) < n_sim, 1.0, REAL_NEGATIVE_WEIGHT)
    return x, y, w


def train(out: str | Path, *, n_sessions: int = 200, workers: int = 1,
          random_state: int = 0, real_dir: str | Path | None = None,
          splits: Sequence[str] = TRAINING_SPLITS) -> EpisodeModel:
    """Fit a model on `n_sessions` of each simulated split (`train`: the standard variety;
    `train-wide`: the wide one; the shipped recipe takes both), plus the training sessions of
    the real recordings in `real_dir` if given, and save it to `out` (skops format) with its
    tree-walk file beside it (``.npz``: what the pipeline runs, checked here against
    scikit-learn; `emgspasm.detect.walk_file`)."""
    unknown = sorted(set(splits) - set(TRAINING_SPLITS))
    if unknown or not splits:
        raise ValueError(f"training splits must be among {TRAINING_SPLITS}, got {list(splits)}")
    real = realdata.recordings(real_dir, held_out=False) if real_dir is not None else []
    x, y, w = build_training_set(splits, n_sessions, workers, real)
    estimator = make_estimator(random_state).fit(x, y, sample_weight=w)
    labels, counts = np.unique(y, return_counts=True)
    recipe = {"splits": list(splits), "n_sessions": n_sessions, "random_state": random_state,
              "p_unpaired": P_UNPAIRED,
              "real_negatives": sorted(p.stem for p in real),
              "real_negative_weight": REAL_NEGATIVE_WEIGHT,
              "n_episodes": len(y),
              "episodes_per_label": {str(k): int(v) for k, v in zip(labels, counts, strict=True)}}
    model = EpisodeModel(estimator, FEATURE_NAMES, recipe)
    model.save(out)
    return model
