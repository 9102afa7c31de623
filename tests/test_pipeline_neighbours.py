"""Told neighbours: a weak copy of a neighbour's burst joins that neighbour's event."""

from __future__ import annotations

import numpy as np
import pytest

from emgspasm.pipeline import Pipeline
from emgspasm.recording import Recording
from tests.conftest import simulated

CROSSTALK = 0.25
"""Share of channel 0's signal that reaches the extra channel (armband sectors: 1–28 %): a quarter
of the source, well under `satellite_ratio`'s third, and well above that channel's noise."""


@pytest.fixture(scope="module")
def with_crosstalk() -> Recording:
    """A voluntary session on a pair, plus a third channel that carries nothing but its own
    noise (a third of channel 0's: a better contact) and a copy of channel 0 (the sector beside
    it)."""
    rec = simulated(60.0, 1000.0, 2, 21, scenario="voluntary").recording
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.3 * np.std(rec.samples[:200, 0]), rec.n_samples)
    extra = CROSSTALK * rec.samples[:, 0] + noise
    return Recording(np.column_stack([rec.samples, extra]), rec.fs, [*rec.channels, "near0"])


def events(rec: Recording, block: int, **kw) -> list[dict]:
    pipe = Pipeline(rec.fs, rec.channels, pairs=[(0, 1)], **kw)
    out = [e for i in range(0, rec.n_samples, block)
           for e in pipe.push(rec.samples[i:i + block])] + pipe.flush()
    return sorted((e.to_dict() for e in out), key=lambda d: (d["start_s"], d["channels"]))


def test_a_neighbours_crosstalk_is_no_event_of_its_own(with_crosstalk):
    untold = events(with_crosstalk, 1000)
    told = events(with_crosstalk, 1000, neighbours=[(0, 2)])
    alone = [e for e in untold if e["channels"] == ["near0"]]
    assert len(alone) >= 2  # without being told, the copy is reported as its own bursts
    assert not [e for e in told if e["channels"] == ["near0"] and e["label"] == "voluntary"]
    assert not [e for e in told if "near0" in e["channels"] and len(e["channels"]) > 1]
    # channel 0's own events are unchanged by its neighbour's, except that one may be decided
    # later: it waits for the neighbour's episode that could be its satellite to close.
    own = [e for e in untold if "near0" not in e["channels"]]
    own_told = [e for e in told if "near0" not in e["channels"]]

    def undecided(evs):
        return [{k: v for k, v in e.items() if k != "decided_at_s"} for e in evs]

    assert undecided(own) == undecided(own_told)
    assert all(t["decided_at_s"] >= u["decided_at_s"] for u, t in zip(own, own_told, strict=True))


@pytest.mark.parametrize("block", [37, 250, 4000])
def test_neighbour_satellites_do_not_depend_on_the_blocks(with_crosstalk, block):
    reference = events(with_crosstalk, with_crosstalk.n_samples, neighbours=[(0, 2)])
    assert events(with_crosstalk, block, neighbours=[(0, 2)]) == reference


def test_a_bad_neighbour_pair_is_refused():
    with pytest.raises(ValueError, match="bad neighbour pair"):
        Pipeline(1000.0, ["a", "b"], neighbours=[(0, 5)])
