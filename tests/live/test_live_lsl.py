"""LSL markers carry alerts as they are announced and their resolution (issue 11 item 15), over a
real local outlet and inlet (pylsl with its bundled liblsl; skipped where pylsl is missing)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emgspasm.alerts import Alert
from emgspasm.events import Event
from firmware_bridge.transports.block import SampleBlock

pylsl = pytest.importorskip("pylsl")

RESOLVE_S = 10.0
"""Generous: discovering a local outlet takes well under a second."""


def test_alerts_and_their_resolution_reach_the_marker_stream() -> None:
    from emgspasm.live.lsl import LslSink

    sink = LslSink("emgspasm-test-markers", signal=False)
    [info] = pylsl.resolve_byprop("source_id", "emgspasm-test-markers-events", 1, RESOLVE_S)
    inlet = pylsl.StreamInlet(info)
    inlet.open_stream(RESOLVE_S)
    sink.start(
        SampleBlock(
            samples=np.zeros((1, 1)),
            first_index=0,
            host_time=0.0,
            gap_before=0,
            gap_estimate=0,
            stream_index=0,
            fs=1000.0,
            channels=("a",),
        ),
        "test",
    )
    cramp = Alert("cramp", "a", 2.0, 4.65, 0.9)
    false_alarm = Alert("rigidity", "a", 30.0, 31.0, 0.7)
    sink.alerts([cramp])
    sink.events([Event(2.0, 21.0, "cramp", ["a"], 0.9, decided_at_s=21.5)])
    sink.alerts([false_alarm])
    sink.close(None)
    got = []
    while len(got) < 5:
        sample, _ = inlet.pull_sample(RESOLVE_S)
        assert sample is not None, f"only {got}"
        got.append(json.loads(sample[0]))
    assert got[0]["alert"] == "cramp" and got[0]["decided_at_s"] == 4.65
    assert got[1]["label"] == "cramp" and got[1]["end_s"] == 21.0
    assert got[2] == {"confirmed": "cramp", "channel": "a", "start_s": 2.0, "decided_at_s": 4.65}
    assert got[3]["alert"] == "rigidity"
    assert got[4]["retracted"] == "rigidity" and got[4]["label"] is None
