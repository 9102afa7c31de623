"""The live path over BLE: an emulated Myo on the BLE test stack -> unmodified bleak ->
`ReconnectingSource` -> `LiveRunner` -> events (and its raw capture replaying to the same
events); and the BLE side of the command line (`emgspasm emulate` for a BLE device, `emgspasm
devices` scanning, `emgspasm stream` over BLE).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
from unittest import mock

import pytest
from live_support import LABELS, dummy_model, stop_when_sent

import emgspasm.io as eio
from emgspasm.cli.live import main as live_main
from emgspasm.live.emulate import emulator_uv
from emgspasm.live.runner import LiveRunner, make_pipeline_factory
from emgspasm.live.sources import open_replay
from emgspasm.recording import Recording
from firmware_bridge.devices import get_device, open_source
from firmware_bridge.emulators import EmulatedSignal, FaultPlan, device_personality, make_emulator
from firmware_bridge.emulators.ble_bus import dbus_daemon_missing
from firmware_bridge.transports import Backoff

pytestmark = pytest.mark.skipif(dbus_daemon_missing() is not None,
                                reason=f"BLE test stack: {dbus_daemon_missing()}")

SECONDS = 6.0
UNPLUG_AT_S = 3.0


def test_events_come_out_of_the_live_pipeline_over_ble(tmp_path) -> None:
    spec = get_device("myo")
    personality = device_personality(spec)
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=3, scenario="mixed",
                        duration_s=SECONDS)
    signal_counts = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels,
                                           loop=False)
    faults = FaultPlan(unplugs=[(round(UNPLUG_AT_S * personality.fs), 0.3)])
    emu = make_emulator(spec, signal=signal_counts, faults=faults)
    factory, mode = make_pipeline_factory(dummy_model())

    async def main() -> LiveRunner:
        source = open_source(spec, address=emu.endpoint, capture_path=tmp_path / "myo.emgcap",
                             backoff=Backoff(initial_s=0.02, max_s=0.1))
        runner = LiveRunner(source, [], pipeline_factory=factory, mode=mode, duration_s=30)

        stopper = asyncio.create_task(stop_when_sent(emu, runner))
        await runner.run()
        await stopper
        return runner

    with emu, mock.patch.dict(os.environ, emu.environment):
        runner = asyncio.run(main())
    summary = runner.summary()
    assert summary.events == len(runner.events) > 0
    assert {e.label for e in runner.events} <= set(LABELS)
    assert summary.latency_median_ms is not None
    assert summary.reconnects == 1 and summary.gaps == 1 and summary.shed_blocks == 0
    lo, hi = summary.samples_lost_min, summary.samples_lost_max
    assert lo <= round(SECONDS * personality.fs) - summary.samples_received <= hi
    assert "1 reconnects" in summary.line()

    # the raw capture (notifications with their characteristic) replays to the same events
    replay = LiveRunner(open_replay(tmp_path / "myo.emgcap", speed=None), [],
                        pipeline_factory=factory, mode=mode, lossless=True)
    asyncio.run(replay.run())
    assert [e.to_dict() for e in replay.events] == [e.to_dict() for e in runner.events]


def test_emulate_devices_and_stream_from_the_command_line(tmp_path, capsys) -> None:
    """`emgspasm emulate --device emgf-ble` in one process prints what to export; with it,
    `devices` finds the emulated device and `stream` records from it."""
    rec = eio.read(eio.write(tmp_path / "src.csv", Recording(
        emulator_uv(1000.0, 2, seed=5, scenario="mixed", duration_s=4.0)[0], 1000.0,
        ["a", "b"])))  # any recording can be the signal source
    model = dummy_model().save(tmp_path / "m.skops")
    emulator = subprocess.Popen(
        [sys.executable, "-m", "emgspasm.cli.live", "emulate", "--device", "emgf-ble",
         "--source", str(tmp_path / "src.csv"), "--duration", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [emulator.stdout.readline() for _ in range(4)] if emulator.stdout else []
        assert lines[0].startswith("emgf-ble emulator on F0:E0:00:00:00:01"), lines
        [export] = [x for x in lines if "export DBUS_SYSTEM_BUS_ADDRESS=" in x]
        address = shlex.split(export.split("export ", 1)[1])[0].split("=", 1)[1]
        with mock.patch.dict(os.environ, {"DBUS_SYSTEM_BUS_ADDRESS": address}):
            assert live_main(["devices", "--json", "--ble-timeout", "1"]) == 0
            listing = json.loads(capsys.readouterr().out)
            assert live_main(
                ["stream", "--device", "emgf-ble", "--duration", "2", "--quiet",
                 "--record", str(tmp_path / "x.bdf"), "--model", str(model),
                 "--summary-json", str(tmp_path / "summary.json")]) == 0
    finally:
        emulator.send_signal(signal.SIGINT)
        emu_out, _ = emulator.communicate(timeout=15)
    [seen] = [d for d in listing["ble_devices"] if d["address"] == "F0:E0:00:00:00:01"]
    assert seen["devices"] == ["emgf-ble"] and seen["name"] == "EMGF-NUS"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["samples_received"] > 1000 and summary["samples_lost"] == 0
    recorded = eio.read(tmp_path / "x.bdf")
    assert recorded.fs == 1000.0 and recorded.n_samples == summary["samples_received"]
    assert len(recorded.channels) == 4 and len(rec.channels) == 2  # cycled to the device
    assert "emulator stopped" in emu_out
