"""Many recordings: map `analyze_recording` over them here, in a process pool, or on Dask.

The executors differ only in where the pure per-recording function runs:
- serially in this process (``workers=1``);
- a local process pool (``workers=N``; spawned, not forked: a fork after scikit-learn's
  OpenMP threads have started can deadlock the child);
- a Dask distributed cluster (``scheduler="tcp://host:8786"``), whose workers must see the
  same paths (a shared filesystem), as for any Dask file job.
Results come back in input order. Recordings whose results are current are skipped (see
`emgspasm.batch.cache`) unless ``force``; two inputs that would write the same output names
are refused with an error entry rather than silently overwriting each other. Progress goes to
two tqdm bars, files and samples (samples are counted per chunk in this process and in pool
workers; from a Dask cluster they arrive per finished file). A job that raises becomes that
recording's error entry; the batch goes on. A pool worker that dies takes the pool down with
it: the jobs that had started are retried one by one, the others in a fresh pool, so only a
recording that kills its worker again is reported. Dask retries tasks of a dead worker itself;
a task it gives up on (`KilledWorker`, possibly an innocent queued beside the culprit) is run
again alone, and reported only if it kills its worker again.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from emgspasm.analyze import AnalyzeOptions
from emgspasm.batch.cache import AnalysisResult, BatchOutputs, current_result
from emgspasm.batch.task import Progress, analyze_recording, failed


def run_batch(paths: Sequence[str | Path], out_dir: str | Path,
              options: AnalyzeOptions | None = None, *, outputs: BatchOutputs | None = None,
              workers: int = 1, scheduler: str | None = None, force: bool = False,
              progress: bool = False) -> list[AnalysisResult]:
    """Analyse every path into `out_dir`; one result per path, in input order."""
    opts = options or AnalyzeOptions()
    outputs = outputs or BatchOutputs()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[int, AnalysisResult] = {}
    todo: list[int] = []
    seen: dict[str, str] = {}
    for i, p in enumerate(paths):
        stem = Path(p).stem
        if stem in seen:
            results[i] = AnalysisResult(path=str(p), ok=False, error=(
                f"ValueError: its outputs would overwrite those of {seen[stem]} (same file "
                f"name stem {stem!r}); analyse them into different --out directories"))
            continue
        seen[stem] = str(p)
        reused = None if force else current_result(p, out, opts, outputs)
        if reused is not None:
            results[i] = reused
        else:
            todo.append(i)
    with _Bars(len(paths), enabled=progress) as bars:
        bars.files.update(len(paths) - len(todo))
        jobs = [(i, paths[i]) for i in todo]
        if scheduler:
            run = _on_dask(scheduler)
        elif workers > 1 and len(jobs) > 1:
            run = _in_pool(workers)
        else:
            run = _here
        for i, result in run(jobs, out, opts, outputs, bars):
            results[i] = result
            bars.files.update(1)
    return [results[i] for i in range(len(paths))]


Job = tuple[int, "str | Path"]
Runner = Callable[..., Iterator[tuple[int, AnalysisResult]]]


def _here(jobs: Sequence[Job], out: Path, opts: AnalyzeOptions, outputs: BatchOutputs,
          bars: _Bars) -> Iterator[tuple[int, AnalysisResult]]:
    for i, p in jobs:
        try:
            yield i, analyze_recording(p, out, opts, outputs,
                                       progress=bars.progress if bars.enabled else None)
        except Exception as exc:  # e.g. the output directory became unwritable
            yield i, failed(p, exc)


def _in_pool(workers: int) -> Runner:
    def run(jobs: Sequence[Job], out: Path, opts: AnalyzeOptions, outputs: BatchOutputs,
            bars: _Bars) -> Iterator[tuple[int, AnalysisResult]]:
        ctx = get_context("spawn")
        with ExitStack() as stack:
            report = None
            if bars.enabled:
                counts = stack.enter_context(ctx.Manager()).Queue()
                stack.enter_context(_drain(counts, bars.progress))
                report = _QueueProgress(counts)

            def pool_round(batch: Sequence[Job], n: int) -> Iterator[tuple[Job, _Ended]]:
                return _pool_round(ctx, n, batch, (out, opts, outputs, report))

            # A worker that dies (killed, out of memory, a crash in native code) breaks the
            # whole pool and fails every job it held. Each job that had started is then run
            # alone, so only one that kills its worker again is reported; jobs that never
            # started go back into a fresh shared pool.
            pending = list(jobs)
            while pending:
                started: list[Job] = []
                queued: list[Job] = []
                for job, ended in pool_round(pending, workers):
                    if ended.result is not None:
                        yield job[0], ended.result
                    else:
                        (started if ended.started else queued).append(job)
                for job in started:
                    for (i, p), ended in pool_round([job], 1):
                        yield i, ended.result or failed(p, WorkerDied(
                            "the process analysing this recording died (killed, out of "
                            "memory, or a crash in native code), also when run alone"))
                if queued and not started:  # the pool broke before any job began
                    for i, p in queued:
                        yield i, failed(p, WorkerDied("the worker processes died on start"))
                    queued = []
                pending = queued
    return run


class WorkerDied(RuntimeError):
    """A pool worker process ended without returning a result."""


class _Ended:
    """How a pool job ended: its result, or none because the pool broke (`started`: the job
    had begun, so it may be what broke it)."""

    def __init__(self, result: AnalysisResult | None, started: bool) -> None:
        self.result = result
        self.started = started


def _pool_round(ctx, workers: int, jobs: Sequence[Job],
                args: tuple) -> Iterator[tuple[Job, _Ended]]:
    """Run `jobs` in one fresh spawned pool; a shared flag per job records that it began."""
    began = ctx.RawArray("b", len(jobs))
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_share_flags,
                             initargs=(began,)) as pool:
        futures: dict[Future, tuple[int, Job]] = {
            pool.submit(_flagged, k, job[1], *args): (k, job) for k, job in enumerate(jobs)}
        for fut in as_completed(futures):
            k, job = futures[fut]
            if isinstance(fut.exception(), BrokenProcessPool):
                yield job, _Ended(None, bool(began[k]))
            else:
                yield job, _Ended(_outcome(fut, job[1]), True)


_began = None  # in a pool worker: the shared start flags of its round


def _share_flags(flags) -> None:
    global _began
    _began = flags


def _flagged(k: int, path: str | Path, *args) -> AnalysisResult:
    _began[k] = 1
    return analyze_recording(path, *args)


def _on_dask(address: str) -> Runner:
    def run(jobs: Sequence[Job], out: Path, opts: AnalyzeOptions, outputs: BatchOutputs,
            bars: _Bars) -> Iterator[tuple[int, AnalysisResult]]:
        try:
            from dask.distributed import Client, KilledWorker
            from dask.distributed import as_completed as dask_completed
        except ImportError as exc:
            raise RuntimeError("--scheduler needs Dask: pip install 'emgspasm[dist]'") from exc
        with Client(address) as client:
            def submit(p: str | Path):
                # pure=False: a rerun must analyse again (the file or model may have changed
                # under the same name), and every submission gets its own task key.
                return client.submit(analyze_recording, p, str(out), opts, outputs, pure=False)

            futures = {submit(p): (i, p) for i, p in jobs}
            suspects: list[Job] = []
            for fut in dask_completed(list(futures)):
                i, p = futures[fut]
                if isinstance(fut.exception(), KilledWorker):
                    suspects.append((i, p))
                    continue
                result = _outcome(fut, p)
                bars.progress(result.n_samples, result.n_samples)
                yield i, result
            # Dask gives up on a task once `allowed-failures` workers died running it, and a
            # task merely queued on a worker that the culprit killed counts too. Run each such
            # task alone, so only one that kills its worker again is reported.
            for i, p in suspects:
                result = _outcome(submit(p), p)
                bars.progress(result.n_samples, result.n_samples)
                yield i, result
    return run


def _outcome(future, path: str | Path) -> AnalysisResult:
    """A finished job's result, or the error entry of a job that raised (or, on Dask, whose
    worker kept dying: `KilledWorker`): the batch goes on either way."""
    try:
        return future.result()
    except Exception as exc:
        return failed(path, exc)


class _QueueProgress:
    """Picklable progress callback for pool workers: counts go back through a queue."""

    def __init__(self, counts) -> None:
        self.counts = counts

    def __call__(self, read: int, total: int = 0) -> None:
        self.counts.put((read, total))


@contextmanager
def _drain(counts, sink: Progress) -> Iterator[None]:
    """Move sample counts from worker processes to the progress bar while jobs run."""
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set() or not counts.empty():
            try:
                sink(*counts.get(timeout=0.1))
            except queue.Empty:
                continue
            except (EOFError, OSError):  # the manager went away: nothing more will come
                return

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class _Bars:
    """A files bar and a samples bar (tqdm), or nothing when progress is off.

    The samples total grows as each recording is opened (its header says how long it is),
    so nothing is read twice just to size a bar."""

    def __init__(self, n_files: int, enabled: bool) -> None:
        self.enabled = enabled
        self.files = tqdm(total=n_files, unit="file", desc="files", disable=not enabled,
                          position=0)
        self.samples = tqdm(total=0, unit="sample", unit_scale=True, desc="samples",
                            disable=not enabled, position=1)
        self._lock = threading.Lock()

    def progress(self, read: int, total: int = 0) -> None:
        with self._lock:
            if total:
                self.samples.total += total
                self.samples.refresh()
            if read:
                self.samples.update(read)

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc) -> None:
        self.samples.close()
        self.files.close()
