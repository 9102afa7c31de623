"""Model files: the fast path for files `emgspasm train` writes, refusal of anything unsafe."""

import os
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emgspasm.detect.classifier import EpisodeModel, load_model
from emgspasm.detect.episode_features import FEATURE_NAMES


def _fitted(estimator):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, len(FEATURE_NAMES)))
    y = np.array(["voluntary", "cramp", "none"] * 20)
    return estimator.fit(x, y), x


def _dump(path, estimator, **extra):
    sio.dump({"estimator": estimator, "feature_names": list(FEATURE_NAMES), "recipe": {},
              **extra}, path, compression=zipfile.ZIP_DEFLATED)


def test_a_trained_model_round_trips(tmp_path):
    est, x = _fitted(HistGradientBoostingClassifier(max_iter=3))
    path = EpisodeModel(est, FEATURE_NAMES).save(tmp_path / "m.skops")
    model = load_model(path)
    labels, _ = model.predict(x[:5])
    assert labels == list(est.predict(x[:5]))


def test_other_scikit_learn_types_load_through_the_audit(tmp_path):
    # Not what `train` writes (a scaler in front): the quick path refuses it, the audit of
    # its types (all scikit-learn) lets it through.
    est, x = _fitted(make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=3)))
    _dump(tmp_path / "pipe.skops", est)
    model = load_model(tmp_path / "pipe.skops")
    assert model.predict(x[:3])[0] == list(est.predict(x[:3]))


def test_a_file_carrying_foreign_types_is_refused(tmp_path):
    est, _ = _fitted(HistGradientBoostingClassifier(max_iter=3))
    _dump(tmp_path / "evil.skops", est, hook=os.system)
    with pytest.raises(ValueError, match="refusing to load untrusted types"):
        load_model(tmp_path / "evil.skops")
