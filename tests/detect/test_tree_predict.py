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
