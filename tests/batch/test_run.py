"""Many recordings: resumable, failure-isolated, the same results serially, in a pool, on Dask."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path

import pytest

from emgspasm.analyze import AnalyzeOptions
from emgspasm.batch.run import run_batch
from emgspasm.simulate import simulate, write_simulation


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> list[Path]:
    """Three short recordings in different formats and rates, plus a truncated BDF."""
    folder = tmp_path_factory.mktemp("recs")
    paths = []
    for k, (ext, fs, ch) in enumerate([(".bdf", 1000.0, 2), (".edf", 500.0, 3),
                                       (".csv", 250.0, 2)]):
        sim = simulate(duration_s=30.0, fs=fs, n_channels=ch, seed=40 + k)
        paths.append(write_simulation(sim, folder / f"rec{k}{ext}")[0])
    whole = paths[0].read_bytes()
    truncated = folder / "truncated.bdf"
    truncated.write_bytes(whole[: len(whole) // 2 + 7])  # cut mid-record
    return [*paths, truncated]


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.events.jsonl"))}


def test_bad_files_become_error_entries_and_the_rest_complete(recordings, tmp_path):
    results = run_batch(recordings, tmp_path)
    assert [r.ok for r in results] == [True, True, True, False]
    bad = results[-1]
    assert "truncated.bdf" in bad.path and bad.error
    assert all(r.n_events > 0 and r.duration_s == pytest.approx(30.0, abs=0.01)
               for r in results[:3])
    assert not (tmp_path / "truncated.events.jsonl").exists()


def test_rerun_reuses_current_results_and_redoes_what_changed(recordings, tmp_path):
    good = recordings[:3]
    first = run_batch(good, tmp_path)
    before = _outputs(tmp_path)
    again = run_batch(good, tmp_path)
    assert all(r.reused for r in again)
    assert [r.n_events for r in again] == [r.n_events for r in first]
    assert _outputs(tmp_path) == before

    # A re-exported input, changed options, or --force: redone.
    stat = good[1].stat()
    os.utime(good[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = run_batch(good, tmp_path)
    assert [r.reused for r in touched] == [True, False, True]
    changed = run_batch(good, tmp_path, AnalyzeOptions(mains_hz=(50.0,)))
    assert not any(r.reused for r in changed)
    forced = run_batch(good, tmp_path, AnalyzeOptions(mains_hz=(50.0,)), force=True)
    assert not any(r.reused for r in forced)
    # A deleted output is not current either.
    (tmp_path / "rec2.events.jsonl").unlink()
    assert [r.reused for r in run_batch(good, tmp_path, AnalyzeOptions(mains_hz=(50.0,)))] \
        == [True, True, False]


def test_failed_recordings_are_retried_on_the_next_run(recordings, tmp_path):
    run_batch(recordings[3:], tmp_path)
    (again,) = run_batch(recordings[3:], tmp_path)
    assert not again.ok and not again.reused


def test_inputs_sharing_a_stem_are_refused_instead_of_overwritten(recordings, tmp_path):
    twin = tmp_path / "elsewhere"
    twin.mkdir()
    copy = twin / recordings[0].name
    copy.write_bytes(recordings[0].read_bytes())
    results = run_batch([recordings[0], copy], tmp_path / "out")
    assert results[0].ok and not results[1].ok
    assert "same file name stem" in results[1].error


def test_process_pool_with_progress_matches_the_serial_run(recordings, tmp_path, capsys):
    serial = run_batch(recordings, tmp_path / "serial")
    pooled = run_batch(recordings, tmp_path / "pool", workers=2, progress=True)
    assert _outputs(tmp_path / "pool") == _outputs(tmp_path / "serial")
    assert [r.ok for r in pooled] == [r.ok for r in serial]
    err = capsys.readouterr().err
    assert "files" in err and "4/4" in err
    done, total = re.findall(r"samples: 100%\|[^|]*\| (\S+)/(\S+)", err)[-1]
    assert done == total  # the total grew with each file opened and every sample was read


def test_dask_local_cluster_gives_bit_identical_results(recordings, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    serial = run_batch(recordings, tmp_path / "serial")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = run_batch(recordings, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "serial")
    assert len(_outputs(tmp_path / "serial")) == 3
    assert [(r.ok, r.n_events, r.per_label) for r in on_dask] == \
        [(r.ok, r.n_events, r.per_label) for r in serial]


def test_a_crash_mid_rerun_never_leaves_a_record_vouching_for_its_outputs(
        recordings, tmp_path, monkeypatch):
    import emgspasm.batch.task

    good = recordings[:1]
    assert run_batch(good, tmp_path)[0].ok

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C (or the OOM killer) half way through a rerun

    with monkeypatch.context() as m:
        m.setattr(emgspasm.batch.task, "analyze", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_batch(good, tmp_path, AnalyzeOptions(mains_hz=(60.0,)))
    (again,) = run_batch(good, tmp_path)
    assert again.ok and not again.reused


def test_an_unexpected_exception_is_one_recordings_error_not_the_batchs(
        recordings, tmp_path, monkeypatch):
    import emgspasm.batch.task

    real = emgspasm.batch.task.analyze

    def buggy(path, *args, **kwargs):
        if Path(path).name == "rec1.edf":
            raise IndexError("a bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(emgspasm.batch.task, "analyze", buggy)
    results = run_batch(recordings[:3], tmp_path)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == "IndexError: a bug"


class _Reaper:
    """SIGKILLs any process of ours holding `target` open -- the OOM killer's view of a
    recording too big for its worker, or a crash in native code on a malformed file.
    `times` bounds how many kills (None: every time a worker opens it)."""

    def __init__(self, target: Path, times: int | None = None) -> None:
        self.target, self.times, self.kills = str(target.resolve()), times, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _Reaper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _descendants(self) -> list[int]:
        parent: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(stat.parent.name)] = int(fields[1])
        mine, found = {os.getpid()}, True
        while found:
            found = False
            for pid, ppid in parent.items():
                if ppid in mine and pid not in mine:
                    mine.add(pid)
                    found = True
        return sorted(mine - {os.getpid()})

    def _holds_target(self, pid: int) -> bool:
        try:
            return any(os.readlink(fd) == self.target for fd in Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            return False

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            if self.times is not None and self.kills >= self.times:
                return
            for pid in self._descendants():
                if self._holds_target(pid):
                    os.kill(pid, signal.SIGKILL)
                    self.kills += 1
                    break


@pytest.fixture(scope="module")
def batch_of_six(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("six")
    return [write_simulation(simulate(duration_s=60.0, fs=500.0, n_channels=2, seed=60 + k),
                             folder / f"s{k}.bdf")[0] for k in range(6)]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to find workers")
def test_a_recording_that_kills_its_worker_fails_alone(batch_of_six, tmp_path):
    serial = run_batch(batch_of_six, tmp_path / "serial")
    doomed = batch_of_six[1]
    with _Reaper(doomed) as reaper:
        pooled = run_batch(batch_of_six, tmp_path / "pool", workers=2)
    assert reaper.kills >= 2  # in the shared pool, then again when run alone
    assert [r.ok for r in pooled] == [k != 1 for k in range(6)]
    assert pooled[1].error.startswith("WorkerDied: the process analysing this recording died")
    # Every other recording -- including those the broken pool held -- was analysed, and
    # exactly as in a serial run.
    assert {k: v for k, v in _outputs(tmp_path / "pool").items()} == \
        {k: v for k, v in _outputs(tmp_path / "serial").items() if not k.startswith("s1.")}
    assert all(r.ok for k, r in enumerate(serial))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to find workers")
def test_a_worker_killed_once_costs_nothing(batch_of_six, tmp_path):
    serial = run_batch(batch_of_six, tmp_path / "serial")
    with _Reaper(batch_of_six[3], times=1) as reaper:
        pooled = run_batch(batch_of_six, tmp_path / "pool", workers=2)
    assert reaper.kills == 1
    assert all(r.ok for r in pooled)
    assert _outputs(tmp_path / "pool") == _outputs(tmp_path / "serial")
    assert [r.n_events for r in pooled] == [r.n_events for r in serial]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to find workers")
def test_on_dask_a_recording_that_kills_its_workers_fails_alone(batch_of_six, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    import dask

    serial = run_batch(batch_of_six, tmp_path / "serial")
    # Dask gives up on every task that was on a worker when it died more than
    # `allowed-failures` times -- with 0, at once, including tasks merely queued beside the
    # culprit: those innocents must come back from their run alone, the culprit must not.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            _Reaper(batch_of_six[2]) as reaper:
        on_dask = run_batch(batch_of_six, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert reaper.kills >= 2
    assert [r.ok for r in on_dask] == [k != 2 for k in range(6)]
    assert on_dask[2].error.startswith("KilledWorker")
    assert _outputs(tmp_path / "dask") == \
        {k: v for k, v in _outputs(tmp_path / "serial").items() if not k.startswith("s2.")}
    assert all(r.ok for r in serial)
