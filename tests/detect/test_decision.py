"""From probabilities to labels: the confidence cramp/rigidity need, and hidden labels."""

from __future__ import annotations

import numpy as np

from emgspasm.detect.classifier import NONE_LABEL
from emgspasm.detect.config import DetectorConfig
from emgspasm.detect.decision import decide, hidden_labels


class _Fixed:
    """Stands in for an EpisodeModel: returns the probabilities it was given."""

    classes = ("cramp", "none", "rigidity", "twitch", "voluntary")

    def __init__(self, proba):
        self._p = np.asarray(proba, dtype=float)

    def proba(self, features, feasible=None):
        p = np.where(feasible, self._p, 0.0) if feasible is not None else self._p
        return p / p.sum(axis=1, keepdims=True)


def test_a_doubtful_cramp_gives_way_to_the_next_label():
    model = _Fixed([[0.55, 0.05, 0.0, 0.0, 0.40], [0.9, 0.0, 0.0, 0.0, 0.1]])
    labels, conf = decide(model, np.zeros((2, 1)), np.ones((2, 5), bool), DetectorConfig())
    assert labels == ["voluntary", "cramp"]
    np.testing.assert_allclose(conf, [0.40, 0.9])


def test_the_floor_is_a_parameter():
    model = _Fixed([[0.55, 0.05, 0.0, 0.0, 0.40]])
    cfg = DetectorConfig(label_min_confidence=(("cramp", 0.5),))
    labels, _ = decide(model, np.zeros((1, 1)), np.ones((1, 5), bool), cfg)
    assert labels == ["cramp"]


def test_a_hidden_label_is_no_event_rather_than_a_guess():
    model = _Fixed([[0.0, 0.1, 0.0, 0.6, 0.3]])
    cfg = DetectorConfig()
    hidden = hidden_labels(200.0, cfg)
    assert "twitch" in hidden and "200 Hz" in hidden["twitch"]
    labels, _ = decide(model, np.zeros((1, 1)), np.ones((1, 5), bool), cfg, hidden)
    assert labels == [NONE_LABEL]
    assert decide(model, np.zeros((1, 1)), np.ones((1, 5), bool), cfg)[0] == ["twitch"]


def test_nothing_is_hidden_at_lab_rates():
    assert hidden_labels(1000.0, DetectorConfig()) == {}
    assert "twitch" in hidden_labels(DetectorConfig().twitch_min_fs - 1, DetectorConfig())
