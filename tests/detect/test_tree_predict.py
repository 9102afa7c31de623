"""The vectorized tree walk reproduces scikit-learn's predictions exactly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from emgspasm.detect.tree_predict import TreeEnsemblePredictor


@pytest.mark.parametrize("n_classes", [2, 5])
def test_matches_predict_proba_on_unseen_rows(n_classes):
    rng = np.random.default_rng(n_classes)
    x = rng.normal(size=(600, 7))
    y = (x[:, 0] * 2 + x[:, 1] ** 2 + rng.normal(scale=0.3, size=600)).argsort().argsort()
    y = y * n_classes // 600
    clf = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0)
    clf.fit(x, y)
    fast = TreeEnsemblePredictor(clf)
    probe = rng.normal(scale=3.0, size=(257, 7))
    np.testing.assert_allclose(fast.predict_proba(probe), clf.predict_proba(probe),
                               rtol=1e-9, atol=1e-12)
    # A row's scores do not depend on the other rows of the batch.
    np.testing.assert_array_equal(fast.raw(probe[3:4]), fast.raw(probe)[3:4])


@pytest.mark.parametrize("shape", [
    {"max_depth": 1},  # stumps
    {"min_samples_leaf": 400},  # no split possible: every tree is a single leaf
    {"max_leaf_nodes": None, "min_samples_leaf": 2},  # deep, unbalanced, of varied depths
])
def test_matches_predict_proba_for_any_tree_shape(shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 5))
    y = np.digitize(x[:, 0] + x[:, 1] ** 2 + rng.normal(scale=0.5, size=600), [0, 1, 2])
    clf = HistGradientBoostingClassifier(max_iter=12, early_stopping=False, random_state=0,
                                         **shape).fit(x, y)
    fast = TreeEnsemblePredictor(clf)
    # The training rows reach the deepest leaves; random ones probe between them.
    probe = np.concatenate([x, rng.normal(scale=3.0, size=(300, 5))])
    np.testing.assert_allclose(fast.predict_proba(probe), clf.predict_proba(probe),
                               rtol=1e-9, atol=1e-12)
    rows = np.concatenate([fast.raw(row) for row in probe])
    np.testing.assert_array_equal(rows, fast.raw(probe))



def test_missing_values_follow_the_direction_each_split_learnt():
    # Trained with NaNs, the splits learn where missing values go (`missing_go_to_left`),
    # left at some nodes and right at others; the walk must follow each node's choice.
    rng = np.random.default_rng(2)
    x = rng.normal(size=(800, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5)
    x[rng.random(x.shape) < 0.2] = np.nan
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    nodes = np.concatenate([t.nodes for it in clf._predictors for t in it])
    split = ~nodes["is_leaf"].astype(bool)
    assert 0 < nodes["missing_go_to_left"][split].mean() < 1, "need both directions"
    fast = TreeEnsemblePredictor(clf)
    probe = rng.normal(scale=2.0, size=(400, 4))
    probe[rng.random(probe.shape) < 0.3] = np.nan
    np.testing.assert_allclose(fast.predict_proba(probe), clf.predict_proba(probe),
                               rtol=1e-9, atol=1e-12)


def test_rows_of_the_wrong_width_are_refused():
    rng = np.random.default_rng(3)
    clf = HistGradientBoostingClassifier(max_iter=3).fit(rng.normal(size=(100, 4)),
                                                         rng.integers(0, 2, 100))
    with pytest.raises(ValueError, match="4 features"):
        TreeEnsemblePredictor(clf).raw(np.zeros((2, 5)))
