"""Vectorized prediction for a fitted `HistGradientBoostingClassifier`.

Why this exists: scikit-learn predicts tree by tree, opening an OpenMP parallel region for
each of the trees (720 in the default model). For the one or two rows a live stream classifies
at a time that costs milliseconds per call on an idle machine and over 100 ms when the other
core is busy (measured here): the barrier waits dominate. This walks all trees at once with
numpy (a few flat gathers per tree level), which takes well under a millisecond and does not
depend on thread scheduling.

Layout, chosen to minimise numpy calls per level: each tree's nodes are renumbered breadth
first, so a node's left child sits just before its right one and a step is `right[node] -
goes_left`; a leaf is its own right child and never goes left, so it stays put and the walk
needs no leaf test. Every distinct (feature, threshold) split is compared once per row up front,
and trees are sorted deepest first, so each level walks only the prefix still deeper than it.

It reads the fitted trees' public-in-practice node arrays (`_predictors[i][k].nodes`) and is
checked against `predict_proba` whenever it is built from an estimator (`matches_sklearn`); if
a future scikit-learn changes that layout, the check fails and the model falls back to
`predict_proba`. The flattened arrays (`arrays`, `from_arrays`) are what
`emgspasm.detect.walk_file` stores beside a skops model, so the shipped model runs with
neither scikit-learn nor skops imported (together ~1.5 s of start-up) and without the check
(checked once, when the file is written). Numerical features only (categorical splits are
refused). A missing value (NaN) goes the way the split learnt for it (`missing_go_to_left`),
as in scikit-learn.
"""

from __future__ import annotations

import numpy as np


def _breadth_first(nodes: np.ndarray) -> list[int]:
    """Node indices of one tree, root first, each node's two children adjacent (left, right)."""
    is_leaf, left, right = (nodes[k].tolist() for k in ("is_leaf", "left", "right"))
    order = [0]
    for i in order:  # the list grows while it is walked
        if not is_leaf[i]:
            order += (left[i], right[i])
    return order


ARRAY_NAMES = ("roots", "right", "value", "split", "split_feature", "split_threshold",
               "split_missing_left", "tree_slot", "n_active", "baseline")
"""The arrays that make up a predictor (plus `n_classes`, `n_features` and `classes`)."""


def softmax(raw: np.ndarray) -> np.ndarray:
    """Row-wise softmax computed exactly as `scipy.special.softmax(raw, axis=1)` does (the
    same operations in the same order, so the same bits), without importing scipy.special
    (0.2 s) for one line."""
    shifted = np.exp(raw - np.max(raw, axis=1, keepdims=True))
    return shifted / np.sum(shifted, axis=1, keepdims=True)


class TreeEnsemblePredictor:
    """All trees of a fitted HGB classifier flattened into a few numpy arrays."""

    roots: np.ndarray
    right: np.ndarray
    value: np.ndarray
    split: np.ndarray
    split_feature: np.ndarray
    split_threshold: np.ndarray
    split_missing_left: np.ndarray
    tree_slot: np.ndarray
    n_active: list[int]
    baseline: np.ndarray
    n_classes: int
    n_features: int
    classes: np.ndarray

    def __init__(self, estimator) -> None:
        trees = [tree.nodes for iteration in estimator._predictors for tree in iteration]
        self.n_classes = len(estimator._predictors[0])
        if any(np.any(t["is_categorical"]) for t in trees):
            raise ValueError("categorical splits are not supported")
        depth = np.array([int(t["depth"].max()) for t in trees])
        walk_order = np.argsort(-depth, kind="stable")  # walker slot -> tree, deepest first
        self.tree_slot = np.argsort(walk_order)  # tree (iteration i, class k: i*K + k) -> slot
        self.n_active = [int(np.sum(depth > level)) for level in range(depth.max())]
        parts, roots, start = [], [], 0
        for t in walk_order:
            order = _breadth_first(trees[t])
            renumber = np.empty(len(trees[t]), dtype=np.intp)
            renumber[order] = start + np.arange(len(order))
            nodes = trees[t][order]
            leaf = nodes["is_leaf"].astype(bool)
            right = np.where(leaf, renumber[order], renumber[nodes["right"].astype(np.intp)])
            parts.append((nodes, leaf, right))
            roots.append(start)
            start += len(order)
        nodes, leaf, right = (np.concatenate(p) for p in zip(*parts, strict=True))
        self.roots = np.array(roots, dtype=np.intp)
        self.right = right.astype(np.intp)
        self.value = nodes["value"].astype(np.float64)
        # The distinct splits, plus one that is never true (NaN threshold, NaN goes right)
        # for the leaves.
        keys = np.column_stack([nodes["feature_idx"], nodes["num_threshold"],
                                nodes["missing_go_to_left"]])[~leaf]
        splits, inverse = np.unique(keys, axis=0, return_inverse=True)
        self.split_feature = np.append(splits[:, 0], 0).astype(np.intp)
        self.split_threshold = np.append(splits[:, 1], np.nan).astype(np.float64)
        self.split_missing_left = np.append(splits[:, 2], 0).astype(bool)
        self.split = np.full(len(nodes), len(splits), dtype=np.intp)
        self.split[~leaf] = inverse.ravel()
        self.n_features = int(estimator.n_features_in_)
        self.baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).ravel()
        self.classes = estimator.classes_

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything `raw` and `predict_proba` need, as plain numeric and string arrays (no
        object arrays: they load with `allow_pickle=False`)."""
        out = {k: np.asarray(getattr(self, k)) for k in ARRAY_NAMES}
        out["n_active"] = np.asarray(self.n_active, dtype=np.intp)
        out["n_classes"] = np.asarray(self.n_classes, dtype=np.intp)
        out["n_features"] = np.asarray(self.n_features, dtype=np.intp)
        out["classes"] = np.asarray([str(c) for c in self.classes], dtype=str)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TreeEnsemblePredictor:
        """A predictor from `arrays()` output. No checks here: arrays from a file are
        validated first (`emgspasm.detect.walk_file.walk_problem`)."""
        self = cls.__new__(cls)
        for k in ARRAY_NAMES:
            setattr(self, k, arrays[k])
        self.n_active = [int(v) for v in arrays["n_active"]]
        self.n_classes = int(arrays["n_classes"])
        self.n_features = int(arrays["n_features"])
        self.classes = np.asarray(arrays["classes"], dtype=object)
        return self

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores (n_rows, n_classes): baseline plus the leaf values of every tree."""
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got shape {x.shape}")
        n = x.shape[0]
        n_splits = self.split_threshold.size
        values = x.take(self.split_feature, axis=1)
        goes_left = np.where(np.isnan(values), self.split_missing_left,
                             values <= self.split_threshold).ravel()
        node = np.repeat(self.roots, n)  # walker slot*n + row
        done = np.empty_like(node)
        row_start = np.tile(np.arange(n) * n_splits, self.roots.size)
        for active in self.n_active:
            m = active * n
            done[m:node.size] = node[m:]  # these trees are no deeper than this level
            node = node[:m]
            split = self.split.take(node)
            if n > 1:
                split += row_start[:m]
            node = self.right.take(node)
            node -= goes_left.take(split)
        done[:node.size] = node
        leaves = done.reshape(self.roots.size, n).take(self.tree_slot, axis=0)  # model order
        shape = (self.roots.size // self.n_classes, self.n_classes, n)  # iters, K, rows
        values = self.value.take(leaves).reshape(shape)
        # Sum over iterations along a contiguous last axis: each row's sum is then the same
        # whatever else is in the batch (chunk invariance of the pipeline).
        summed = np.ascontiguousarray(values.transpose(2, 1, 0)).sum(axis=-1)
        return summed + self.baseline

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raw = self.raw(x)
        if self.n_classes == 1:  # binary: one tree per iteration, sigmoid
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        return softmax(raw)

    def matches_sklearn(self, estimator, x: np.ndarray) -> bool:
        """True if this predictor reproduces `estimator.predict_proba` on rows `x`."""
        return bool(np.allclose(self.predict_proba(x), estimator.predict_proba(x),
                                rtol=1e-9, atol=1e-12))
