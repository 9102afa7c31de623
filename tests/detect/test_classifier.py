"""Model files: the fast path for files `emgspasm train` writes, refusal of anything unsafe."""

import os
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch

from emgspasm.detect import classifier
from emgspasm.detect.classifier import EpisodeModel, load_model
from emgspasm.detect.episode_features import FEATURE_NAMES
from emgspasm.detect.model_file import ModelFileError


@pytest.fixture
def audits(monkeypatch):
    """Count the calls of skops' type audit: 0 means `_load`'s fast path (only the types
    `train` writes trusted) loaded the file; 1 means it fell back to listing the file's types.
    The model cache is cleared so every `load_model` below really reads its file."""
    calls = []
    audit = sio.get_untrusted_types

    def counting(*args, **kwargs):
        calls.append(kwargs.get("file", args[0] if args else None))
        return audit(*args, **kwargs)

    monkeypatch.setattr(sio, "get_untrusted_types", counting)
    classifier._load_cached.cache_clear()
    yield calls
    classifier._load_cached.cache_clear()


def _fitted(estimator):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, len(FEATURE_NAMES)))
    y = np.array(["voluntary", "cramp", "none"] * 20)
    return estimator.fit(x, y), x


def _dump(path, estimator, **extra):
    sio.dump({"estimator": estimator, "feature_names": list(FEATURE_NAMES), "recipe": {},
              **extra}, path, compression=zipfile.ZIP_DEFLATED)


def test_a_trained_model_round_trips_through_the_fast_path(tmp_path, audits):
    # What `train` writes needs nothing beyond `_TRAINED_TYPES`: no audit (second parse).
    est, x = _fitted(HistGradientBoostingClassifier(max_iter=3))
    path = EpisodeModel(est, FEATURE_NAMES, {"seed": 0}).save(tmp_path / "m.skops")
    model = load_model(path)
    assert audits == []
    labels, _ = model.predict(x[:5])
    assert labels == list(est.predict(x[:5]))
    assert model.recipe == {"seed": 0}


def test_other_scikit_learn_types_load_through_the_audit(tmp_path, audits):
    # Not what `train` writes: a scikit-learn `Bunch` in the recipe -- a type outside skops'
    # defaults and `_TRAINED_TYPES`, so the fast path refuses the file and the audit of its
    # types (all scikit-learn) must let it through.
    est, x = _fitted(HistGradientBoostingClassifier(max_iter=3))
    path = tmp_path / "bunch.skops"
    sio.dump({"estimator": est, "feature_names": list(FEATURE_NAMES),
              "recipe": Bunch(a=1)}, path, compression=zipfile.ZIP_DEFLATED)
    assert "sklearn.utils._bunch.Bunch" in sio.get_untrusted_types(file=path)
    audits.clear()  # the check above went through the counter too
    model = load_model(path)
    assert len(audits) == 1
    assert isinstance(model.recipe, Bunch) and model.recipe.a == 1
    assert model.predict(x[:3])[0] == list(est.predict(x[:3]))


def test_an_estimator_other_than_the_trained_one_is_refused(tmp_path, audits):
    # Every type in it is scikit-learn's, but a scaler in front is not what `train` fits.
    est, _ = _fitted(make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=3)))
    _dump(tmp_path / "pipe.skops", est)
    with pytest.raises(ModelFileError, match="holds a Pipeline, not the HistGradient"):
        load_model(tmp_path / "pipe.skops")


def test_a_file_carrying_foreign_types_is_refused(tmp_path, audits):
    # The audit is what refuses it: `os.system` is neither scikit-learn nor numpy.
    est, _ = _fitted(HistGradientBoostingClassifier(max_iter=3))
    _dump(tmp_path / "evil.skops", est, hook=os.system)
    with pytest.raises(ValueError, match=r"refusing to load untrusted types \[.*system'\]"):
        load_model(tmp_path / "evil.skops")
    assert len(audits) == 1


@pytest.mark.parametrize("payload", [eval, np.testing.assert_equal, os.system])
def test_functions_are_refused_even_from_trusted_packages(tmp_path, audits, payload):
    # A FunctionTransformer can carry any callable; the audit lists it by name
    # (`builtins.eval`, a numpy function) and it must not pass for a class. (numpy ufuncs
    # are among skops' own defaults: pure arithmetic.)
    from sklearn.preprocessing import FunctionTransformer

    est, _ = _fitted(HistGradientBoostingClassifier(max_iter=3))
    _dump(tmp_path / "f.skops", make_pipeline(FunctionTransformer(func=payload), est))
    with pytest.raises(ValueError, match="refusing to load untrusted types"):
        load_model(tmp_path / "f.skops")
