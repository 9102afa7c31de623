"""The command line as a user runs it: simulate → analyze → evaluate, demo, a bad file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emgspasm.cli import main
from emgspasm.events import read_events


def test_simulate_analyze_evaluate_round_trip(tmp_path, capsys):
    rec = tmp_path / "rec" / "s1.bdf"
    assert main(["simulate", "--out", str(rec), "--duration", "40", "--fs", "1000",
                 "--channels", "2", "--seed", "5"]) == 0
    truth = tmp_path / "rec" / "s1.truth.jsonl"
    assert rec.exists() and truth.exists()
    out = tmp_path / "out"
    assert main(["analyze", str(rec), "--out", str(out)]) == 0
    events = read_events(out / "s1.events.jsonl")
    assert events, "a mixed session yields events"
    assert all(e.decided_at_s is not None for e in events)
    summary = json.loads((out / "summary.json").read_text())
    assert summary[0]["ok"] and summary[0]["n_events"] == len(events)
    assert main(["evaluate", "--truth", str(tmp_path / "rec"), "--pred", str(out)]) == 0
    text = capsys.readouterr().out
    assert "F1" in text and "s1.bdf" in text


def test_a_corrupt_file_is_named_and_the_batch_continues(tmp_path, capsys):
    good = tmp_path / "good.csv"
    assert main(["simulate", "--out", str(good), "--duration", "10", "--fs", "500",
                 "--channels", "1", "--seed", "1"]) == 0
    bad = tmp_path / "bad.bdf"
    bad.write_bytes(b"0       not an EDF header at all" * 10)
    out = tmp_path / "out"
    assert main(["analyze", str(bad), str(good), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "bad.bdf" in captured.err
    assert (out / "good.events.jsonl").exists()
    assert not (out / "bad.events.jsonl").exists()


def test_demo_runs_end_to_end_as_a_console_script():
    done = subprocess.run([sys.executable, "-m", "emgspasm.cli", "demo", "--duration", "30"],
                          capture_output=True, text=True, timeout=300, check=True)
    assert "decided at" in done.stdout
    assert "Against the simulator's truth" in done.stdout


def test_analyze_writes_reports_exports_and_resumes(tmp_path, capsys):
    import pyedflib

    rec = tmp_path / "night.bdf"
    assert main(["simulate", "--out", str(rec), "--duration", "40", "--fs", "1000",
                 "--channels", "2", "--seed", "8"]) == 0
    out = tmp_path / "out"
    args = ["analyze", str(rec), "--out", str(out), "--report", "--export", "csv,annotations",
            "--no-progress"]
    assert main(args) == 0
    events = read_events(out / "night.events.jsonl")
    html = (out / "night.report.html").read_text()
    assert "data:image/png;base64," in html and "Signal quality" in html
    assert "night.bdf" in (out / "summary.html").read_text()
    assert len((out / "night.events.csv").read_text().splitlines()) == len(events) + 1
    with pyedflib.EdfReader(str(out / "night.annotated.bdf")) as f:
        texts = f.readAnnotations()[2]
    labelled = [t for t in texts if t.split()[0] in {e.label for e in events}]
    assert len(labelled) == len(events)

    capsys.readouterr()
    assert main(args) == 0  # nothing changed: reused
    assert "1 of 1 recordings had current results" in capsys.readouterr().out
    assert main([*args, "--force"]) == 0
    assert "current results" not in capsys.readouterr().out


def test_analyze_rejects_an_unknown_export(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "x.bdf", "--out", "o", "--export", "pdf"])
    assert "unknown export pdf" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_an_error_line_not_a_traceback(tmp_path, capsys):
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.distributed")
    rec = tmp_path / "r.csv"
    assert main(["simulate", "--out", str(rec), "--duration", "5", "--fs", "500",
                 "--channels", "1"]) == 0
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["analyze", str(rec), "--out", str(tmp_path / "out"), "--no-progress",
                     "--scheduler", "tcp://127.0.0.1:9"])  # discard port: nothing listens
    assert code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_rate_that_cannot_show_twitches_is_said_once_per_recording(tmp_path):
    """analyze says which labels a 200 Hz recording cannot show, and summary.json keeps it."""
    import json as _json

    from emgspasm.cli import main as _main
    from emgspasm.live.summary import LiveSummary
    from emgspasm.simulate import simulate, write_simulation

    write_simulation(simulate(20.0, fs=200.0, n_channels=2, seed=4, scenario="rest"),
                     tmp_path / "armband.bdf")
    assert _main(["analyze", str(tmp_path / "armband.bdf"), "--out", str(tmp_path / "out"),
                  "--no-progress"]) == 0
    summary = _json.loads((tmp_path / "out" / "summary.json").read_text())
    assert list(summary[0]["hidden"]) == ["twitch"]
    line = LiveSummary(hidden=summary[0]["hidden"]).line().splitlines()
    assert line[0].startswith("note: fasciculations are not labelled at 200 Hz")
    assert line[-1].startswith("summary:")


def test_analyze_takes_neighbours_and_refuses_a_bad_one(tmp_path, capsys):
    """`--neighbours` reaches the pipeline: the same file with a neighbour told gives its own
    fingerprint (a resumed batch does not reuse the untold result), and a channel number the
    recording does not have is an error naming the file, not a traceback."""
    rec = tmp_path / "s.bdf"
    assert main(["simulate", "--out", str(rec), "--duration", "20", "--fs", "1000",
                 "--channels", "3", "--seed", "2"]) == 0
    assert main(["analyze", str(rec), "--out", str(tmp_path / "a"),
                 "--neighbours", "1:3"]) == 0
    record = json.loads((tmp_path / "a" / "s.result.json").read_text())
    assert record["fingerprint"]["options"]["neighbours"] == [[0, 2]]
    assert main(["analyze", str(rec), "--out", str(tmp_path / "b"), "--neighbours", "1:9"]) == 1
    err = capsys.readouterr()
    assert "bad neighbour pair" in err.out + err.err and "s.bdf" in err.out + err.err
