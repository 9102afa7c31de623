"""Live sessions survive what a night's recording meets (issue 11): a quiet terminal at the first
alert, a full disk or an unwritable folder under one output, the wrong device on the port, a
firmware that announces an impossible rate. Each case runs the real command (``replay`` on a real
BDF, ``stream`` on a pty emulator through pyserial) and checks that the session goes on, says
what failed in one line, and exits as the CLI contract says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from live_support import dummy_model

import emgspasm.io as eio
from emgspasm.cli.live import main as live_main
from emgspasm.live.emulate import emulator_uv
from firmware_bridge.devices import get_device
from firmware_bridge.emulators import EmulatedSignal, PtyDevice, device_personality

CRAMP_S = 10.0
"""A simulated cramp session (seed 3, 1000 Hz, 4 channels) whose cramps the shipped model
announces in progress at ~5.9 s and ~6.6 s of the stream and ends as events at ~8.7 s."""


@pytest.fixture(scope="module")
def cramp_bdf(tmp_path_factory) -> Path:
    from emgspasm.simulate import simulate

    sim = simulate(duration_s=CRAMP_S, fs=1000.0, n_channels=4, seed=3, scenario="cramp")
    return eio.write(tmp_path_factory.mktemp("cramp") / "cramp.bdf", sim.recording)


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emgspasm.cli", *argv], capture_output=True, text=True, timeout=120
    )


# ---- --quiet ----------------------------------------------------------------------------


def test_a_quiet_replay_survives_its_alerts(cramp_bdf: Path, tmp_path: Path) -> None:
    result = _cli(
        "replay",
        str(cramp_bdf),
        "--speed",
        "max",
        "--quiet",
        "--record",
        str(tmp_path / "q.bdf"),
        "--events",
        str(tmp_path / "q.jsonl"),
        "--summary-json",
        str(tmp_path / "s.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("summary:")
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ended_by"] == "end of source" and summary["failed_outputs"] == []
    events = [json.loads(x) for x in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert [e["label"] for e in events].count("cramp") == 2
    assert all(e.get("alerted_at_s") is not None for e in events if e["label"] == "cramp")
    assert eio.read(tmp_path / "q.bdf").n_samples == CRAMP_S * 1000


def test_a_quiet_stream_on_a_pty_survives_its_alerts(
    cramp_bdf: Path, tmp_path: Path, capsys
) -> None:
    personality = device_personality(get_device("emgf"))
    uv, _ = emulator_uv(
        personality.fs, personality.n_channels, seed=3, scenario="cramp", duration_s=CRAMP_S
    )
    signal = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels)
    # Each test streams its own device and options through the CLI: alike in shape only.
    with PtyDevice(personality, signal, link_path=tmp_path / "port"):
        rc = live_main(
            [
                "stream",
                "--device",
                "emgf",
                "--port",
                str(tmp_path / "port"),
                "--duration",
                "9",
                "--quiet",
                "--record",
                str(tmp_path / "q.bdf"),
                "--summary-json",
                str(tmp_path / "s.json"),
            ]
        )
    out = capsys.readouterr()
    assert rc == 0, out.err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ended_by"] == "duration" and summary["failed_outputs"] == []
    rec = eio.read(tmp_path / "q.bdf")
    assert rec.n_samples == summary["samples_received"] > 7 * 1000  # well past the alerts
    assert out.out.strip().splitlines()[-1].startswith("summary:")


# ---- an output fails: a full disk, an unwritable folder ------------------------------------

FULL_DISK = Path("/dev/full")
"""Linux's always-full device: every write that reaches it fails with ENOSPC, as on a full disk."""


def _replay_with_outputs(
    cramp_bdf: Path, tmp_path: Path, *outputs: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    model = dummy_model().save(tmp_path / "m.skops")  # labels every episode, loads fast
    args = [
        "replay",
        str(cramp_bdf),
        "--speed",
        "max",
        "--model",
        str(model),
        "--summary-json",
        str(tmp_path / "s.json"),
        *outputs,
    ]
    result = _cli(*args)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads((tmp_path / "s.json").read_text())


@pytest.mark.skipif(not FULL_DISK.exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("name", ["full.bdf", "full.csv", "full.events.jsonl"])
def test_a_full_disk_under_one_output_ends_only_that_output(
    cramp_bdf: Path, tmp_path: Path, name: str
) -> None:
    full = tmp_path / name
    full.symlink_to(FULL_DISK)
    ok_bdf, ok_events = tmp_path / "ok.bdf", tmp_path / "ok.events.jsonl"
    outputs = ["--record", str(ok_bdf)]
    outputs += (
        ["--events", str(full)]
        if name.endswith(".jsonl")
        else ["--record", str(full), "--events", str(ok_events)]
    )
    result, summary = _replay_with_outputs(cramp_bdf, tmp_path, *outputs)
    assert result.returncode == 1
    [failure] = summary["failed_outputs"]
    assert str(full) in failure and " failed at " in failure
    assert "No space left on device" in failure or "disk full" in failure
    said = [line for line in result.stderr.splitlines() if str(full) in line]
    assert said and all(line.startswith("emgspasm: error: ") for line in said)
    assert summary["ended_by"] == "end of source"
    assert summary["samples_received"] == CRAMP_S * 1000
    assert eio.read(ok_bdf).n_samples == CRAMP_S * 1000  # the other outputs are whole
    if not name.endswith(".jsonl"):
        assert len(ok_events.read_text().splitlines()) == summary["events"] > 0


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        # root ignores file modes, so a mode-555 folder would be writable here: sysfs refuses
        # new files even to root, which is what a read-only folder does to a user.
        (lambda tmp: Path("/sys/emgspasm-test.bdf"), "Permission denied"),
        (lambda tmp: (tmp / "a-file").joinpath("x.bdf"), "not a folder"),
    ],
    ids=["read-only folder", "a file for a folder"],
)
def test_an_unwritable_record_path_says_why_and_the_session_goes_on(
    cramp_bdf: Path, tmp_path: Path, where, reason: str
) -> None:
    target = where(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    if target.parent.is_dir() and _can_create(target):
        pytest.skip(f"{target.parent} is writable here")
    result, summary = _replay_with_outputs(
        cramp_bdf, tmp_path, "--record", str(target), "--events", str(tmp_path / "ev.jsonl")
    )
    assert result.returncode == 1
    [failure] = summary["failed_outputs"]
    assert f"recording {target} failed at 0.00 s" in failure and reason in failure
    assert "no such file" not in result.stderr.lower()
    assert len((tmp_path / "ev.jsonl").read_text().splitlines()) == summary["events"] > 0


def _can_create(path: Path) -> bool:
    try:
        path.open("ab").close()
    except OSError:
        return False
    path.unlink()
    return True


# ---- the wrong device on the port ---------------------------------------------------------


def test_the_wrong_device_on_the_port_is_named_and_fails(tmp_path: Path, capsys) -> None:
    # An EMGF board read as a Cyton: bytes arrive, no Cyton frame parses.
    personality = device_personality(get_device("emgf"))
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=1, duration_s=5.0)
    signal = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels)
    # Streamed through the CLI like the tests above: alike in shape only (its own device).
    with PtyDevice(personality, signal, link_path=tmp_path / "port"):
        rc = live_main(
            [
                "stream",
                "--device",
                "cyton",
                "--port",
                str(tmp_path / "port"),
                "--duration",
                "2",
                "--quiet",
                "--model",
                str(dummy_model().save(tmp_path / "m.skops")),
            ]
        )
    err = capsys.readouterr().err
    assert rc == 1
    assert "error: no valid cyton frames in " in err and "is this a cyton?" in err


# ---- Ctrl-C twice ----------------------------------------------------------------------------


def test_ctrl_c_twice_stops_cleanly_and_keeps_the_recording(
    cramp_bdf: Path, tmp_path: Path
) -> None:
    import signal

    out = tmp_path / "r.bdf"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emgspasm.cli",
            "replay",
            str(cramp_bdf),
            "--record",
            str(out),
            "--model",
            str(dummy_model().save(tmp_path / "m.skops")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("streaming ")  # the session is running
    assert proc.stderr is not None
    proc.send_signal(signal.SIGINT)
    said = [proc.stderr.readline()]  # the second Ctrl-C comes once the shutdown has begun
    while said[-1] and "stopping (Ctrl-C)" not in said[-1]:
        said.append(proc.stderr.readline())
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=60)
    stderr = "".join(said) + rest
    assert "stopping (Ctrl-C)" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert proc.returncode == 0, stderr
    assert "[Ctrl-C" in stdout.splitlines()[-1]
    assert eio.read(out).n_samples > 0


# ---- host stalls on a device without a counter ----------------------------------------------


def test_a_stalled_host_reports_no_loss_from_a_counterless_device(tmp_path: Path) -> None:
    """Issue 11, item 5: the ``stream`` process is stopped (SIGSTOP) for 0.3 s every 2 s while
    an ASCII device without a sequence number keeps sending. Nothing was dropped (the pty keeps
    the backlog), so the summary must say 0 lost; it said ~200 lost per stall."""
    import signal
    import time

    from firmware_bridge.emulators import FaultPlan

    spec = get_device("ascii").with_options(has_seq=False)
    personality = device_personality(spec)
    uv, _ = emulator_uv(personality.fs, personality.n_channels, seed=1, duration_s=20.0)
    signal_ = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels)
    port = tmp_path / "port"
    with PtyDevice(personality, signal_, faults=FaultPlan(), link_path=port) as emu:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emgspasm.cli", "stream", "--device", "ascii", "--opt",
             "has_seq=false", "--port", str(port), "--duration", "7.5", "--model",
             str(dummy_model().save(tmp_path / "m.skops")), "--summary-json",
             str(tmp_path / "s.json")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith("streaming ")  # the session is running
            for _ in range(3):
                time.sleep(1.7)
                proc.send_signal(signal.SIGSTOP)
                time.sleep(0.3)
                proc.send_signal(signal.SIGCONT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
        overflow = emu.stats.overflow_units
    assert proc.returncode == 0, err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert overflow == 0  # the device really dropped nothing
    assert (summary["gaps"], summary["samples_lost"], summary["samples_lost_max"]) == (0, 0, 0)
    assert summary["stalls"] >= 2, summary  # the stalls happened while it streamed
    assert summary["samples_received"] > 6 * personality.fs
    assert " 0 lost in 0 gaps, " in out.splitlines()[-1]


def test_the_summary_shows_counter_jumps_apart_from_loss() -> None:
    """Issue 11, item 6 counted EMGF counter jumps (a reset or corrupted counter, never loss);
    the session summary must show them, not only the JSON of the codec's stats."""
    from emgspasm.live.runner import LiveRunner
    from firmware_bridge.transports.source import Source, SourceStats

    class Stub(Source):
        name = "stub"

        async def blocks(self):  # pragma: no cover - never iterated
            yield None

        def stop(self) -> None:
            pass

        @property
        def stats(self) -> SourceStats:
            return SourceStats(samples_received=5000, restarts=2, counter_jumps=2)

    summary = LiveRunner(Stub(), pipeline_factory=lambda fs, ch: None, mode="x").summary()
    assert summary.counter_jumps == 2 and summary.to_dict()["counter_jumps"] == 2
    line = summary.line()
    assert "0 lost in 0 gaps, 2 counter jumps (device reset or corrupt counter" in line
