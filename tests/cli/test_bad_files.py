"""Bad input files and unwritable outputs give one clear line naming the file, never a traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from emgspasm.cli import main
from emgspasm.io import write
from emgspasm.recording import Recording


def _good(tmp_path: Path, ext: str) -> Path:
    rng = np.random.default_rng(0)
    rec = Recording(samples=rng.normal(0.0, 20.0, (3000, 2)), fs=1000.0, channels=["a", "b"])
    return write(tmp_path / f"good{ext}", rec)


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for ext in (".edf", ".bdf", ".csv"):
        data = _good(tmp_path, ext).read_bytes()
        for kind, content in (
            ("empty", b""),
            ("random", bytes(np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8))),
            ("truncated", data[: len(data) // 2 + 7]),
        ):
            path = tmp_path / f"{kind}{ext}"
            path.write_bytes(content)
            files[f"{kind}{ext}"] = path
    return files


def _one_line_error(err: str, name: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines and lines[-1].startswith("error: ") and name in lines[-1], err


def test_replay_of_bad_files_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for name, path in _bad_files(tmp_path).items():
        if name == "truncated.csv":
            continue  # half a CSV is still a valid, shorter CSV
        rc = main(["replay", str(path), "--speed", "max", "--quiet"])
        out, err = capsys.readouterr()
        assert rc == 2, (name, out, err)
        _one_line_error(err, path.name)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: (d / "x.edf").mkdir() or d / "x.edf", "is a directory"),
        (
            lambda d: (
                (d / "a.edf").symlink_to(d / "b.edf")
                or (d / "b.edf").symlink_to(d / "a.edf")
                or d / "a.edf"
            ),
            "symlink loop",
        ),
        (
            lambda d: (d / "semi.csv").write_text("time_s;a\n0;1\n0.001;2\n") and d / "semi.csv",
            "separated by ';'",
        ),
    ],
    ids=["directory", "symlink-loop", "semicolons"],
)
def test_misleading_reasons_are_the_right_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture, make, reason: str
) -> None:
    path = make(tmp_path)
    assert main(["replay", str(path), "--speed", "max", "--quiet"]) == 2
    _one_line_error(capsys.readouterr().err, reason)
    assert main(["analyze", str(path), "--fs", "1000", "--out", str(tmp_path / "out")]) == 1
    assert reason in capsys.readouterr().err


def test_edflib_size_line_does_not_break_the_table(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    cut = _bad_files(tmp_path)["truncated.bdf"]
    assert main(["analyze", str(cut), "--out", str(tmp_path / "out")]) == 1
    out = capfd.readouterr().out
    assert "filesize" not in out
    assert out.splitlines()[0].startswith("recording")


def test_unwritable_summary_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = _good(tmp_path, ".bdf")
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)  # a real OSError when it is written
    assert main(["analyze", str(good), "--out", str(out)]) == 1
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "cannot write" in err and "summary.json" in err
    assert (out / "good.result.json").stat().st_size > 0


@contextlib.contextmanager
def _tiny_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A real full disk: a tmpfs of `size` (needs root; skips elsewhere)."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_full_disk_names_the_file_and_leaves_no_empty_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = _good(tmp_path, ".bdf")
    with _tiny_filesystem(tmp_path / "full", "8k") as out:
        (out / "filler").write_bytes(b"\0" * 8192)
        assert main(["analyze", str(good), "--out", str(out)]) == 1
        _, err = capsys.readouterr()
        assert "Traceback" not in err
        assert "cannot write" in err and str(out) in err
        left = {p.name: p.stat().st_size for p in out.iterdir() if p.name != "filler"}
        assert all(size > 0 for name, size in left.items() if name.endswith(".json")), left
        assert not [name for name in left if name.endswith(".tmp")], left


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fs", "50"], "at least 100 Hz"),
        (["--duration", "0"], "positive"),
        (["--channels", "0"], "at least 1"),
    ],
)
def test_simulate_rejects_impossible_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["simulate", "--out", str(tmp_path / "s.bdf"), *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
