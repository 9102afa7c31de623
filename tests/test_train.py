"""`emgspasm train`: episode labels from truth, real negatives, and a model that loads."""

from __future__ import annotations

import numpy as np
import pytest

from emgspasm.detect.classifier import NONE_LABEL, load_model
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.events import Event
from emgspasm.realdata import CHANNELS, TRAINING_IDS
from emgspasm.train import (
    P_UNPAIRED,
    REAL_NEGATIVE_WEIGHT,
    REAL_VOLUNTARY_MIN_S,
    label_episode,
    real_episodes,
    told_pairs,
    train,
)


def _fake_archive(path, seed=0):
    """A Francic-style archive: a rest minute and one gesture minute of int8 counts."""
    rng = np.random.default_rng(seed)
    rest = rng.normal(0, 1.5, (2000, len(CHANNELS)))
    gesture = rest.copy()
    gesture[600:1600, 2:4] += rng.normal(0, 25, (1000, 2))
    cue = np.zeros(2000, np.int8)
    cue[600:1600] = 1
    np.savez(path, g0_emg=np.clip(rest, -128, 127).astype(np.int8), g0_cue=np.zeros(2000, np.int8),
             g1_emg=np.clip(gesture, -128, 127).astype(np.int8), g1_cue=cue)
    return path


def test_episodes_take_the_label_of_the_truth_they_overlap_most():
    truth = [Event(1.0, 5.0, "cramp", ["a"]), Event(4.0, 9.0, "voluntary", ["a"]),
             Event(1.0, 9.0, "rigidity", ["b"])]
    assert label_episode("a", "b", 1.5, 4.5, truth) == "cramp"
    assert label_episode("a", "b", 6.0, 8.0, truth) == "voluntary"
    assert label_episode("a", "b", 20.0, 21.0, truth) == NONE_LABEL
    assert label_episode("c", "b", 2.0, 3.0, truth) == "rigidity"  # the partner's event


def test_real_episodes_are_voluntary_and_short_blips_are_left_out(tmp_path):
    x, labels = real_episodes(_fake_archive(tmp_path / "myo_francic_left_44444-1.npz"))
    assert x.shape[0] == len(labels) > 0
    assert set(labels) == {"voluntary"}
    durations = 10 ** x[:, FEATURE_NAMES.index("log_duration")]
    assert durations.min() >= REAL_VOLUNTARY_MIN_S - 0.02


def test_train_uses_only_the_training_real_sessions_and_writes_a_loadable_model(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    train_id = sorted(TRAINING_IDS)[0]
    _fake_archive(real / f"myo_francic_{train_id}-1.npz")
    _fake_archive(real / "myo_francic_right_10000-1.npz", seed=1)  # held out: never trained on
    model = train(tmp_path / "m.skops", n_sessions=2, real_dir=real)
    assert model.recipe["real_negatives"] == [f"myo_francic_{train_id}-1"]
    assert model.recipe["real_negative_weight"] == REAL_NEGATIVE_WEIGHT
    loaded = load_model(tmp_path / "m.skops")
    assert loaded.classes == model.classes and "voluntary" in loaded.classes
    # ... through the tree-walk file `train` wrote beside it (no scikit-learn needed to run it)
    assert (tmp_path / "m.npz").exists() and loaded._estimator is None
    x = np.random.default_rng(1).normal(0, 3, (200, len(FEATURE_NAMES)))
    assert np.allclose(loaded.proba(x), model.estimator.predict_proba(x), rtol=1e-9, atol=1e-12)


def test_training_leaves_some_pairs_untold_so_unpartnered_channels_are_seen():
    """Users wear odd sensor counts and need not say which channels face each other: some
    training channels must have no partner, deterministically per session."""
    told = [told_pairs(seed, 8) for seed in range(400)]
    assert told_pairs(5, 8) == told_pairs(5, 8)
    share_dropped = 1 - sum(len(t) for t in told) / (4 * len(told))
    assert abs(share_dropped - P_UNPAIRED) < 0.05
    assert all(set(t) <= {(0, 1), (2, 3), (4, 5), (6, 7)} for t in told)


def test_train_refuses_an_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="training splits"):
        train(tmp_path / "m.skops", n_sessions=1, splits=["test"])
