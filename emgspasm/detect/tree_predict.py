"""Vectorized prediction for a fitted `HistGradientBoostingClassifier`.

Why this exists: scikit-learn predicts tree by tree, opening an OpenMP parallel region for
each of the ~900 trees. For the one or two rows a live stream classifies at a time that costs
milliseconds per call on an idle machine and over 100 ms when the other core is busy (measured
here): the barrier waits dominate. This walks all trees at once with numpy (one gather per
tree level), which takes well under a millisecond and does not depend on thread scheduling.

It reads the fitted trees' public-in-practice node arrays (`_predictors[i][k].nodes`) and is
checked against `predict_proba` whenever a model is loaded (`matches_sklearn`); if a future
scikit-learn changes that layout, the check fails and the model falls back to
`predict_proba`. Numerical features only (our features have no categories or NaNs).
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax


class TreeEnsemblePredictor:
    """All trees of a fitted HGB classifier flattened into a few numpy arrays."""

    def __init__(self, estimator) -> None:
        trees = [tree for iteration in estimator._predictors for tree in iteration]
        self.n_classes = len(estimator._predictors[0])
        offsets = np.cumsum([0] + [len(t.nodes) for t in trees[:-1]])
        nodes = np.concatenate([t.nodes for t in trees])
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        base = np.repeat(offsets, [len(t.nodes) for t in trees])
        self.feature = nodes["feature_idx"].astype(np.intp)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        own = np.arange(len(nodes), dtype=np.intp)
        leaf = nodes["is_leaf"].astype(bool)
        # A leaf points to itself: once a row reaches it, further levels keep it there, so the
        # walk needs no per-level leaf test.
        self.left = np.where(leaf, own, nodes["left"].astype(np.intp) + base)
        self.right = np.where(leaf, own, nodes["right"].astype(np.intp) + base)
        self.value = nodes["value"].astype(np.float64)
        self.roots = offsets.astype(np.intp)  # tree t of iteration i is index i*K + k
        self.depth = int(nodes["depth"].max()) + 1
        self.baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).ravel()
        self.classes = estimator.classes_

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores (n_rows, n_classes): baseline plus the leaf values of every tree."""
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.size)).copy()
        rows = np.arange(x.shape[0])[:, None]
        for _ in range(self.depth):
            go_left = x[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        values = self.value[node].reshape(x.shape[0], -1, self.n_classes)  # rows, iters, K
        # Sum over iterations along a contiguous last axis: each row's sum is then the same
        # whatever else is in the batch (chunk invariance of the pipeline).
        summed = np.ascontiguousarray(values.transpose(0, 2, 1)).sum(axis=-1)
        return summed + self.baseline

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raw = self.raw(x)
        if self.n_classes == 1:  # binary: one tree per iteration, sigmoid
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        return softmax(raw, axis=1)

    def matches_sklearn(self, estimator, x: np.ndarray) -> bool:
        """True if this predictor reproduces `estimator.predict_proba` on rows `x`."""
        return bool(np.allclose(self.predict_proba(x), estimator.predict_proba(x),
                                rtol=1e-9, atol=1e-12))
