"""Window features computed on demand (`WindowTable`): the same values and events as computing
every window on every channel, and a dropped pair is never read."""

import numpy as np
import pytest

from emgspasm.detect.window_table import DONE, DROPPED, WindowTable
from emgspasm.pipeline import Pipeline
from emgspasm.simulate import simulate


def _run(rec, eager: bool, block: int, alerts: bool = False):
    pipe = Pipeline(rec.fs, rec.channels, alerts=alerts)
    if eager:  # every channel needed at every block: all features computed as they arrive
        table = pipe._windows
        pipe._settle_windows = lambda: table.settle(
            np.ones(len(rec.channels), dtype=bool), pipe._next_hop)
    events = []
    for i in range(0, rec.n_samples, block):
        events += pipe.push(rec.samples[i:i + block])
    return events + pipe.flush(), pipe


@pytest.mark.parametrize(("scenario", "block", "alerts"), [
    ("mixed", 2000, False), ("twitch", 37, True), ("cramp", 20_000, True)])
def test_lazy_features_give_the_events_of_eager_ones(scenario, block, alerts):
    rec = simulate(60.0, fs=1000.0, n_channels=4, seed=5, scenario=scenario).recording
    lazy, pipe = _run(rec, eager=False, block=block, alerts=alerts)
    eager, _ = _run(rec, eager=True, block=block, alerts=alerts)
    assert lazy == eager
    assert pipe._windows.computed < pipe._windows.added  # something was skipped


def test_computed_pairs_equal_eager_features_and_dropped_ones_raise():
    rec = simulate(30.0, fs=1000.0, n_channels=4, seed=6, scenario="twitch").recording
    pipe = Pipeline(rec.fs, rec.channels)
    table = pipe._windows
    table.trim_before = lambda index: None  # keep every row to compare
    for i in range(0, rec.n_samples, 1000):
        pipe.push(rec.samples[i:i + 1000])
    state = table.get("state", table.start, table.stop)
    assert (state == DONE).any() and (state == DROPPED).any()
    front = Pipeline(rec.fs, rec.channels)._front
    rows = []
    for i in range(0, rec.n_samples - rec.n_samples % front.geo.hop, 1000):
        rows.append(front.process(rec.samples[i:i + 1000])[1])
    from emgspasm.detect.episode_features import WINDOW_FEATURES
    eager = np.concatenate([np.stack([f.values[k] for k in WINDOW_FEATURES], axis=1)
                            for f in rows if f.hop_index.size])
    got = table.get("values", table.start, table.stop)
    done = state == DONE
    want = eager[:got.shape[0]].transpose(0, 2, 1)[done]
    assert np.array_equal(got.transpose(0, 2, 1)[done], want)
    r, c = np.nonzero(state == DROPPED)
    with pytest.raises(RuntimeError, match="dropped"):
        table.ensure(table.start + r[:1], c[:1])


def test_table_unit():
    calls = []

    def compute(samples, window, channel):
        calls.append(channel.size)
        return {"a": samples["x"][window, channel, 0] * 1.0}

    t = WindowTable(compute, ["a"], 2)
    t.add(np.array([1, 2, 3]), {"x": np.arange(12.0).reshape(3, 2, 2)})
    t.ensure(np.array([0, 0]), np.array([1, 1]))
    assert calls == [1] and t.get("values", 0, 1)[0, 0, 1] == 2.0
    t.settle(np.array([True, False]), before_hop=3)  # ch 0 computed, ch 1 rows 1 (hop 2) dropped
    assert t.get("state", 0, 3).tolist() == [[DONE, DONE], [DONE, DROPPED], [DONE, 0]]
    t.settle(np.array([False, False]), before_hop=10)
    assert t.get("state", 0, 3)[2, 1] == DROPPED and not t._samples
