"""The commands that need no device: ``analyze``, ``simulate``, ``evaluate``, ``train``, ``demo``.

`add_offline_commands(subparsers)` adds them to the `emgspasm` parser (`emgspasm.cli`;
docs/architecture.md#contracts). Each handler imports what it needs when it runs, so building
the parser (``emgspasm --help``) imports none of numpy, scipy or the pipeline.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from emgspasm.cli.montage import add_montage_options


# The argparse types below share a shape (parse, check, ArgumentTypeError) and nothing else:
# each is one option's rule and message, so they stay apart.
def _mains(text: str) -> tuple[float, ...]:
    if text.lower() in ("none", "off"):
        return ()
    return tuple(float(x) for x in text.split(","))


def _exports(text: str) -> frozenset[str]:
    kinds = frozenset(filter(None, (k.strip().lower() for k in text.split(","))))
    unknown = kinds - {"csv", "annotations"}
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown export {', '.join(sorted(unknown))}; use csv and/or annotations")
    return kinds


def _positive(text: str) -> float:
    """A finite number > 0 (seconds, Hz): rejected by the parser, not by a traceback later."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _simulation_fs(text: str) -> float:
    """A rate the simulator can render (`emgspasm.simulate.simulation.MIN_FS` and up)."""
    from emgspasm.simulate.simulation import MIN_FS

    value = _positive(text)
    if value < MIN_FS:
        raise argparse.ArgumentTypeError(
            f"the simulator needs at least {MIN_FS:g} Hz to render EMG, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def cmd_analyze(args: argparse.Namespace) -> int:
    from emgspasm.analyze import AnalyzeOptions
    from emgspasm.batch.cache import BatchOutputs
    from emgspasm.batch.run import run_batch
    from emgspasm.batch.task import summary_table

    if args.model:
        from emgspasm.detect.classifier import load_model

        try:  # once, here: a bad model file is one error, not one per recording
            load_model(args.model)
        except (OSError, ValueError) as exc:  # missing, or `ModelFileError` (names the file)
            print(f"error: {exc}", file=sys.stderr)
            return 2
    opts = AnalyzeOptions(fs=args.fs, units=args.units, model=args.model, pairs=args.pairs,
                          neighbours=args.neighbours, mains_hz=args.mains,
                          ecg_highpass_hz=args.ecg_highpass, alerts=args.alerts)
    outputs = BatchOutputs(report=args.report, csv="csv" in args.export,
                           annotated="annotations" in args.export)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    try:
        results = run_batch(args.paths, args.out, opts, outputs=outputs, workers=args.workers,
                            scheduler=args.scheduler, force=args.force, progress=progress)
    except (RuntimeError, OSError) as exc:  # no Dask, an unreachable scheduler, no --out
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from emgspasm.atomic import write_text_atomic

    print(summary_table(results))
    out = Path(args.out)
    summary_ok = True
    try:
        write_text_atomic(out / "summary.json",
                          json.dumps([r.to_dict() for r in results], indent=1))
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        summary_ok = False
    failed = [r for r in results if not r.ok]
    if args.report:
        from emgspasm.batch.report import write_batch_summary

        try:
            print(f"report: {write_batch_summary(results, out / 'summary.html')}")
        except (ImportError, OSError) as exc:
            print(f"error: summary report not written: {exc}", file=sys.stderr)
            summary_ok = False
    for r in failed:
        print(f"error: {r.path}: {r.error}", file=sys.stderr)
    for r in results:
        for reason in dict.fromkeys(r.hidden.values()):  # one reason may hide every label
            print(f"note: {r.path}: {reason}")
    reused = sum(r.reused for r in results)
    if reused:
        print(f"{reused} of {len(results)} recordings had current results and were not redone "
              "(--force redoes them)")
    return 1 if failed or not summary_ok else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from emgspasm.simulate import simulate, write_simulation

    sim = simulate(duration_s=args.duration, fs=args.fs, n_channels=args.channels,
                   seed=args.seed, scenario=args.scenario)
    rec_path, truth_path = write_simulation(sim, args.out)[:2]
    print(f"wrote {rec_path} and {truth_path} ({len(sim.truth)} true events)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from emgspasm.evaluate import evaluate_dirs

    report = evaluate_dirs(args.truth, args.pred)
    print(report.to_text())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=1))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.convert:
        from emgspasm.detect.classifier import export_walk
        from emgspasm.detect.model_file import ModelFileError

        try:
            walk = export_walk(args.convert, args.out)
        except (OSError, ModelFileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {walk} (tree walk of {args.convert}, checked against scikit-learn)")
        return 0
    if not args.out:
        print("error: train needs --out (or --convert MODEL.skops)", file=sys.stderr)
        return 2
    from emgspasm.train import TRAINING_SPLITS, train

    model = train(args.out, n_sessions=args.sessions, workers=args.workers,
                  random_state=args.seed, real_dir=args.real_negatives,
                  splits=args.split or TRAINING_SPLITS)
    from emgspasm.detect.walk_file import walk_path

    print(f"trained on {model.recipe['n_episodes']} episodes "
          f"{model.recipe['episodes_per_label']}; saved {args.out} and its tree walk "
          f"{walk_path(args.out)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from emgspasm.demo import run_demo

    run_demo(duration_s=args.duration, fs=args.fs, n_channels=args.channels, seed=args.seed,
             realtime=args.realtime)
    return 0


def add_offline_commands(sub: Any) -> None:
    """Add analyze, simulate, evaluate, train and demo to the subparsers `sub`."""
    a = sub.add_parser("analyze", help="analyse recordings (EDF/BDF/CSV/text) into event files")
    a.add_argument("paths", nargs="+", help="recordings to analyse")
    a.add_argument("--out", required=True, help="output directory (DIR/<stem>.events.jsonl)")
    a.add_argument("--fs", type=float, help="sampling rate for CSV files without time_s")
    a.add_argument("--units", choices=["uV", "mV", "V"], help="units of CSV values (default uV)")
    add_montage_options(a)
    a.add_argument("--mains", type=_mains, default=(50.0, 60.0),
                   help="mains frequencies to notch, e.g. 50 or 50,60 or none (default 50,60)")
    a.add_argument("--ecg-highpass", type=float, default=None,
                   help="extra high-pass corner in Hz against ECG on trunk muscles (e.g. 30)")
    a.add_argument("--model", help="model file (default: the shipped model)")
    a.add_argument("--alerts", action="store_true",
                   help="also look for sustained events in progress, as a live stream does, so "
                        "events carry alerted_at_s (streaming latency); slower")
    a.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    a.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://host:8786 (workers must see the "
                        "same paths; needs emgspasm[dist])")
    a.add_argument("--force", action="store_true",
                   help="redo recordings whose results in --out are already current")
    a.add_argument("--report", action="store_true",
                   help="write an HTML report per recording and summary.html across them")
    a.add_argument("--export", type=_exports, default=frozenset(), metavar="KINDS",
                   help="also write csv (events as CSV) and/or annotations (a copy of the "
                        "recording with the events as EDF+/BDF+ annotations), e.g. csv,annotations")
    a.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars for files and samples (default: when on a terminal)")
    a.set_defaults(func=cmd_analyze)

    s = sub.add_parser("simulate", help="write a simulated recording and its truth")
    s.add_argument("--out", required=True, help="recording path (.bdf, .edf or .csv)")
    s.add_argument("--duration", type=_positive, default=120.0, help="seconds (default 120)")
    s.add_argument("--fs", type=_simulation_fs, default=1000.0,
                   help="sampling rate in Hz (default 1000)")
    s.add_argument("--channels", type=_count, default=4, help="channel count (default 4)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument("--scenario", default="mixed", help="mixed (default), rest, voluntary, "
                   "cramp, twitch, rigidity or artifact")
    s.set_defaults(func=cmd_simulate)

    e = sub.add_parser("evaluate", help="score predicted events against truth (docs/scoring.md)")
    e.add_argument("--truth", required=True, help="directory of X.truth.jsonl files")
    e.add_argument("--pred", required=True, help="directory of X.events.jsonl files")
    e.add_argument("--json", help="also write the report as JSON here")
    e.set_defaults(func=cmd_evaluate)

    t = sub.add_parser("train", help="retrain the episode classifier on simulated sessions")
    t.add_argument("--out", help="model file to write (.skops; its tree walk goes beside it "
                   "as .npz); with --convert, where the .npz goes")
    t.add_argument("--convert", metavar="MODEL.skops",
                   help="train nothing: write the tree-walk file (.npz) of an existing skops "
                        "model, checked against scikit-learn, beside it (or to --out)")
    t.add_argument("--sessions", type=int, default=200,
                   help="training sessions per split (default 200)")
    t.add_argument("--split", action="append", choices=["train", "train-wide"],
                   help="simulated split to train on; repeat for several (default: both, the "
                        "shipped recipe)")
    t.add_argument("--real-negatives", metavar="DIR",
                   help="also train on the training sessions (emgspasm.realdata) of the real "
                        "healthy-person armband archives in DIR, as voluntary/none")
    t.add_argument("--workers", type=int, default=1, help="parallel processes")
    t.add_argument("--seed", type=int, default=0, help="estimator random_state (default 0)")
    t.set_defaults(func=cmd_train)

    d = sub.add_parser("demo", help="simulate a session, stream it, print labels and scores")
    d.add_argument("--duration", type=float, default=120.0,
                   help="seconds of simulated session (default 120)")
    d.add_argument("--fs", type=float, default=1000.0,
                   help="sampling rate in Hz (default 1000; below 400 no twitch is labelled)")
    d.add_argument("--channels", type=int, default=4,
                   help="number of EMG channels (default 4)")
    d.add_argument("--seed", type=int, default=7,
                   help="simulator seed: the same seed gives the same session (default 7)")
    d.add_argument("--realtime", action="store_true", help="pace the stream at real time")
    d.set_defaults(func=cmd_demo)
