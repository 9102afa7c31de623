"""The live runner end to end: emulator -> real serial source -> Pipeline -> sinks.

One emulated EMGF session with an injected drop and an unplug is streamed once (module
fixture); the tests then check what came out of it: events, a BDF+ and a CSV recording with the
gaps annotated, the raw capture, the summary, and that replaying the capture (and analysing it
as a recording) gives exactly the live session's events. The BDF+ is also read by MNE: it must
show the session on the device's clock, and replaying it must give the live events.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from live_support import LABELS, dummy_model, stop_when_sent

import emgspasm.io as eio
from emgspasm.analyze import analyze
from emgspasm.live.emulate import emulator_uv
from emgspasm.live.runner import LiveRunner, make_pipeline_factory
from emgspasm.live.sinks import EventsJsonlSink, RecordingSink
from emgspasm.live.sources import RecordingSource, open_replay
from emgspasm.live.summary import LiveSummary
from emgspasm.recording import Recording
from firmware_bridge.devices import get_device, open_source
from firmware_bridge.emulators import EmulatedSignal, FaultPlan, PtyDevice, device_personality
from firmware_bridge.transports import Backoff

SECONDS = 6.0
DROP_AT, UNPLUG_AT = 1500, 3500


@dataclass
class Live:
    summary: LiveSummary
    events: list
    dir: Path
    runner: LiveRunner


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Live:
    out = tmp_path_factory.mktemp("live")
    spec = get_device("emgf")
    personality = device_personality(spec)
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=3, duration_s=SECONDS)
    signal = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels, loop=False)
    faults = FaultPlan(drops=[(DROP_AT, 3)], unplugs=[(UNPLUG_AT, 0.3)])
    emu = PtyDevice(personality, signal, faults=faults, link_path=out / "port")
    emu.start()
    source = open_source(spec, port=emu.port, capture_path=out / "s.emgcap",
                         backoff=Backoff(initial_s=0.02, max_s=0.1))
    factory, mode = make_pipeline_factory(dummy_model())
    sinks = [RecordingSink(out / "s.bdf"), RecordingSink(out / "s.csv"),
             EventsJsonlSink(out / "s.events.jsonl")]
    runner = LiveRunner(source, sinks, pipeline_factory=factory, mode=mode, duration_s=30)

    async def main() -> LiveSummary:
        stopper = asyncio.create_task(stop_when_sent(emu, runner))
        summary = await runner.run()
        await stopper
        return summary

    try:
        summary = asyncio.run(main())
    finally:
        emu.close()
    return Live(summary, runner.events, out, runner)


def test_events_come_out_of_the_live_pipeline(live: Live) -> None:
    s = live.summary
    assert s.events == len(live.events) > 0
    assert {e.label for e in live.events} <= set(LABELS)
    lines = (live.dir / "s.events.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [e.to_dict() for e in live.events]
    assert s.latency_median_ms is not None and s.latency_p99_ms >= s.latency_median_ms >= 0


def test_summary_reports_the_drop_and_the_reconnect(live: Live) -> None:
    s = live.summary
    assert s.reconnects == 1 and s.gaps == 2 and s.shed_blocks == 0
    assert s.samples_lost >= 30 + round(0.25 * 1000)  # 3 frames of 10, and the outage
    assert s.samples_lost == s.samples_lost_min == s.samples_lost_max  # EMGF: exact
    assert s.samples_received + s.samples_lost >= SECONDS * 1000 - 10
    line = s.line()
    assert f"{s.samples_received} samples received" in line and "1 reconnects" in line
    assert s.ended_by == "test"


@pytest.mark.parametrize("name", ["s.bdf", "s.csv"])
def test_recordings_hold_every_sample_with_the_gaps(live: Live, name: str) -> None:
    rec = eio.read(live.dir / name)
    s = live.summary
    assert rec.n_samples == s.samples_received
    assert rec.channels == ["ch1", "ch2", "ch3", "ch4"] and rec.fs == 1000.0
    assert sum(n for _, n in rec.gaps) == s.samples_lost and len(rec.gaps) == 2
    assert rec.gaps[0] == (DROP_AT, 30)
    if name.endswith(".bdf"):
        assert any(a.text == "reconnect" for a in rec.annotations)


def test_the_capture_replays_to_the_live_events(live: Live) -> None:
    factory, mode = make_pipeline_factory(dummy_model())
    runner = LiveRunner(open_replay(live.dir / "s.emgcap", speed=None), [],
                        pipeline_factory=factory, mode=mode, lossless=True)
    summary = asyncio.run(runner.run())
    assert [e.to_dict() for e in runner.events] == [e.to_dict() for e in live.events]
    assert summary.samples_received == live.summary.samples_received
    assert summary.reconnects == 1


def test_the_capture_analyses_like_the_live_session(live: Live) -> None:
    rec = eio.read(live.dir / "s.emgcap")
    bdf = eio.read(live.dir / "s.bdf")
    assert rec.gaps == bdf.gaps
    np.testing.assert_allclose(rec.samples, bdf.samples, atol=0.01)  # BDF: 24-bit steps
    events = analyze(live.dir / "s.emgcap", model=dummy_model())
    key = [(e.start_s, e.end_s, e.label, tuple(e.channels)) for e in live.events]
    assert sorted(key) == sorted((e.start_s, e.end_s, e.label, tuple(e.channels))
                                 for e in events)


def test_a_recording_replays_through_the_live_path_like_analyze(tmp_path) -> None:
    from emgspasm.simulate import simulate

    sim = simulate(duration_s=8.0, fs=500.0, n_channels=2, seed=5, scenario="mixed")
    rec = Recording(sim.recording.samples, 500.0, sim.recording.channels, gaps=[(1234, 40)])
    path = eio.write(tmp_path / "r.bdf", rec)
    factory, mode = make_pipeline_factory(dummy_model())
    source = RecordingSource(path, speed=None)
    runner = LiveRunner(source, [], pipeline_factory=factory, mode=mode, lossless=True)
    summary = asyncio.run(runner.run())
    assert summary.samples_lost == 40 and summary.gaps == 1
    assert summary.samples_received == rec.n_samples
    batch = analyze(path, model=dummy_model())
    assert sorted(e.to_dict()["start_s"] for e in runner.events) == sorted(
        e.to_dict()["start_s"] for e in batch)


def test_without_a_model_file_the_session_still_records(monkeypatch) -> None:
    import emgspasm.live.runner as live_module

    def missing(path=None):
        raise FileNotFoundError("no model")

    monkeypatch.setattr(live_module, "load_model", missing)
    factory, mode = live_module.make_pipeline_factory()
    assert mode == "detect-only"
    assert factory(1000.0, ["a", "b"]).collect


def test_stop_from_another_thread_ends_a_paced_replay(tmp_path) -> None:
    rec = Recording(np.zeros((5000, 1)), 1000.0, ["x"])
    path = eio.write(tmp_path / "z.csv", rec)
    factory, mode = make_pipeline_factory(dummy_model())
    runner = LiveRunner(RecordingSource(path, speed=1.0), [], pipeline_factory=factory,
                        mode=mode, duration_s=0.3)
    summary = asyncio.run(runner.run())
    assert summary.ended_by == "duration" and summary.samples_received < 5000


def test_alerts_reach_the_sinks_before_their_events(tmp_path) -> None:
    # A replayed cramp goes through the live runner: the sinks hear "cramp in progress"
    # before the cramp's event, and the terminal shows it as an ongoing line.
    import io

    from emgspasm.live.sinks import Sink
    from emgspasm.live.terminal import TerminalSink
    from emgspasm.simulate import simulate

    class Heard(Sink):
        def __init__(self) -> None:
            self.order: list[tuple[str, str]] = []

        def alerts(self, alerts) -> None:
            self.order += [("alert", a.label) for a in alerts]

        def events(self, events) -> None:
            self.order += [("event", e.label) for e in events]

    sim = simulate(duration_s=40.0, fs=500.0, n_channels=2, seed=21, scenario="mixed")
    path = eio.write(tmp_path / "c.bdf", sim.recording)
    heard, screen = Heard(), io.StringIO()
    factory, mode = make_pipeline_factory(None)
    runner = LiveRunner(RecordingSource(path, speed=None), [heard, TerminalSink(screen)],
                        pipeline_factory=factory, mode=mode, lossless=True)
    asyncio.run(runner.run())
    sustained = [label for kind, label in heard.order if kind == "alert"]
    assert sustained and len(runner.alerts) == len(sustained)
    for label in set(sustained):
        first_alert = heard.order.index(("alert", label))
        assert ("event", label) not in heard.order[:first_alert]
    assert "(ongoing)" in screen.getvalue()


# ---- the recording keeps device time (issue 11, item 11) ---------------------------------


COUNT_UV = 0.3
"""Half an EMGF count (0.5 µV) of rounding in the emulator, plus BDF steps to spare."""


def _bad_gaps(raw) -> list[tuple[float, float]]:
    return [(float(o), float(d)) for o, d, t in zip(raw.annotations.onset,
                                                    raw.annotations.duration,
                                                    raw.annotations.description, strict=True)
            if t.startswith("BAD_gap")]


def test_the_bdf_keeps_device_time_for_mne(live: Live) -> None:
    """MNE (another reader) sees the session on the device's clock: the dropped frames and the
    outage are BAD_ spans of their own length, the data end at the device's last sample, and
    every sample sits at the time the emulator sent it, so events after a gap line up."""
    import mne

    raw = mne.io.read_raw_bdf(live.dir / "s.bdf", preload=True, verbose="error")
    s = live.summary
    fs = raw.info["sfreq"]
    rec = eio.read(live.dir / "s.bdf")
    device_at = [index + sum(n for i, n in rec.gaps if i < index) for index, _ in rec.gaps]
    np.testing.assert_allclose(_bad_gaps(raw),
                               [(at / fs, n / fs) for at, (_, n) in zip(device_at, rec.gaps,
                                                                        strict=True)],
                               atol=1e-4)
    assert _bad_gaps(raw)[0] == pytest.approx((DROP_AT / fs, 30 / fs), abs=1e-4)
    padding = [o for o, t in zip(raw.annotations.onset, raw.annotations.description,
                                 strict=True) if t.startswith("BAD_padding")]
    device_s = (s.samples_received + s.samples_lost) / fs
    assert len(padding) <= 1  # none if the session ends on a whole record
    data_end_s = padding[0] if padding else raw.n_times / fs
    assert data_end_s == pytest.approx(device_s, abs=1e-4)
    assert device_s <= raw.n_times / fs < device_s + 1.0  # the rest of the last 1-s record
    reconnects = [o for o, t in zip(raw.annotations.onset, raw.annotations.description,
                                    strict=True) if t == "reconnect"]
    outage_at, outage_s = _bad_gaps(raw)[1]
    assert reconnects == pytest.approx([outage_at + outage_s], abs=1e-4)  # data resume there

    # the emulator's signal, sample for sample at its own time, wherever MNE says "good"
    personality = device_personality(get_device("emgf"))
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=3, duration_s=SECONDS)
    good = ~np.isnan(raw.get_data(reject_by_annotation="NaN")[0])
    good[len(uv):] = False
    assert good.sum() == s.samples_received
    np.testing.assert_allclose(raw.get_data()[:, good].T * 1e6, uv[good[:len(uv)]], atol=COUNT_UV)
    late = [e for e in live.events if e.start_s > device_at[-1] / fs]
    assert late  # events after the outage: labels at device time land on the device's data
    for e in late:
        span = slice(round(e.start_s * fs), round(e.end_s * fs))
        np.testing.assert_allclose(raw.get_data()[:, span][:, good[span]].T * 1e6,
                                   uv[span][good[span]], atol=COUNT_UV)


def test_the_recorded_bdf_replays_to_the_live_events(live: Live) -> None:
    """The gaps are filler in the file, and the replay turns them back into gaps: the same
    events as the live session that wrote it (the filler, as signal, would change them)."""
    import mne

    raw = mne.io.read_raw_bdf(live.dir / "s.bdf", verbose="error")
    assert len(_bad_gaps(raw)) == 2  # the file really holds filled gaps
    factory, mode = make_pipeline_factory(dummy_model())
    runner = LiveRunner(RecordingSource(live.dir / "s.bdf", speed=None), [],
                        pipeline_factory=factory, mode=mode, lossless=True)
    summary = asyncio.run(runner.run())
    def key(events: list) -> list:
        return [(e.start_s, e.end_s, e.label, tuple(e.channels), e.decided_at_s)
                for e in events]

    assert key(runner.events) == key(live.events)
    peaks = [e.to_dict().get("peak_uv") for e in live.events]
    # BDF keeps 24 bits of the device's full scale: peaks agree to its rounding
    assert [e.to_dict().get("peak_uv") for e in runner.events] == pytest.approx(peaks, abs=0.05)
    assert summary.samples_received == live.summary.samples_received
    assert summary.samples_lost == live.summary.samples_lost and summary.gaps == 2
