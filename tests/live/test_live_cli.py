"""The live commands as a user runs them: `emgspasm emulate` in one process, `emgspasm stream
... --record x.bdf` in another, then the other commands' error paths. The stream uses a small
stand-in model file (`live_support.dummy_model`) so the test does not depend on, or wait for
loading, the shipped classifier.

Runs ``python -m emgspasm.cli`` once the lead has wired `add_live_commands` into it, else
``python -m emgspasm.cli.live`` (the same commands, standalone).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys

import pytest
from live_support import dummy_model

import emgspasm.io as eio
from emgspasm.cli.live import main as live_main


def _cli() -> list[str]:
    from emgspasm.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    module = "emgspasm.cli" if "stream" in sub.choices else "emgspasm.cli.live"
    return [sys.executable, "-m", module]


def test_stream_a_cyton_emulator_from_the_command_line(tmp_path) -> None:
    cli = _cli()
    link = tmp_path / "cyton-port"
    model = dummy_model().save(tmp_path / "m.skops")  # fast to load, labels every episode
    emulator = subprocess.Popen(
        [*cli, "emulate", "--device", "cyton", "--link", str(link), "--duration", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = emulator.stdout.readline() if emulator.stdout else ""
        assert "cyton emulator on /dev/pts/" in first and str(link) in first
        result = subprocess.run(
            [*cli, "stream", "--device", "cyton", "--port", str(link), "--duration", "3",
             "--record", str(tmp_path / "x.bdf"), "--record", str(tmp_path / "x.emgcap"),
             "--events", str(tmp_path / "x.events.jsonl"),
             "--summary-json", str(tmp_path / "summary.json"), "--model", str(model)],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        emulator.send_signal(signal.SIGINT)
        emu_out, _ = emulator.communicate(timeout=15)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("summary:") and "0 reconnects" in last and "[duration" in last
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["samples_received"] > 0 and summary["samples_lost"] == 0
    rec = eio.read(tmp_path / "x.bdf")
    assert rec.fs == 250.0 and rec.channels == [f"EXG{i}" for i in range(1, 9)]
    assert rec.n_samples == summary["samples_received"] and rec.gaps == []
    raw = eio.read(tmp_path / "x.emgcap")
    assert raw.n_samples == rec.n_samples
    assert (tmp_path / "x.events.jsonl").exists()
    assert "emulator stopped" in emu_out


def test_devices_lists_the_registry(capsys) -> None:
    assert live_main(["devices", "--json", "--ble-timeout", "0"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in listing["devices"]} >= {"cyton", "myo", "emgf-ble"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["emulate", "--device", "gforce"], "'gforce' has no emulator"),
        (["stream", "--device", "cyton"], "give its port"),
        (["stream", "--device", "nope", "--port", "x"], "unknown device 'nope'"),
        (["replay", "missing.emgcap"], "missing.emgcap"),
    ],
)
def test_usage_errors_are_clear(argv: list[str], message: str, capsys, tmp_path,
                                monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert live_main(argv) == 2
    assert message in capsys.readouterr().err


def test_without_a_bluetooth_stack_devices_says_so(capsys, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert live_main(["devices", "--ble-timeout", "0.5"]) == 0
    out = capsys.readouterr()
    assert "BLE scan unavailable: no Bluetooth stack" in out.out
    assert "Traceback" not in out.err


def test_lsl_without_pylsl_is_refused_with_instructions(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pylsl", None)  # as where it is not installed: ImportError
    assert live_main(["stream", "--device", "cyton", "--port", "x", "--lsl"]) == 2
    assert "pip install 'emgspasm[lsl]'" in capsys.readouterr().err


def test_replay_takes_the_montage_analyze_takes(tmp_path) -> None:
    """`--pairs` and `--neighbours` reach the live pipeline: a replay gives the events
    `analyze` gives with the same montage, and a channel the stream does not have is a
    one-line error, not a traceback."""
    from emgspasm.analyze import analyze
    from emgspasm.events import read_events
    from emgspasm.simulate import simulate

    rec = eio.write(tmp_path / "r.bdf",
                    simulate(duration_s=20.0, fs=1000.0, n_channels=3, seed=4).recording)
    model = str(dummy_model().save(tmp_path / "m.skops"))
    out = tmp_path / "live.jsonl"
    assert live_main(["replay", str(rec), "--speed", "max", "--quiet", "--model", model,
                      "--pairs", "1:3", "--neighbours", "1:2", "--events", str(out)]) == 0
    batch = analyze(rec, model=model, pairs=[(0, 2)], neighbours=[(0, 1)])
    # Event lines round times to the µs (Event.to_dict), so compare at that resolution.
    key = [(round(e.start_s, 6), e.label, e.channels) for e in batch]
    assert [(round(e.start_s, 6), e.label, e.channels) for e in read_events(out)] == key
    assert live_main(["replay", str(rec), "--speed", "max", "--quiet", "--model", model,
                      "--neighbours", "1:7"]) == 1
