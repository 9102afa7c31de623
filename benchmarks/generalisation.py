"""One scoring protocol on three kinds of data, side by side: does the model generalise?

    python benchmarks/generalisation.py [--parts a,b,c,d] [--workers 2] [--json out.json]
                                        [--model my-model.skops]
                                        [--quick] [--shared DIR] [--seed 9100] ...

Figures on our own simulator say the model learnt the simulator. This puts them beside data it
was never tuned on, scored the same way (emgspasm.evaluate.score, docs/scoring.md):

(a) sim: the simulator's held-out splits, `test`, `wearable` and `test-wide` (as accuracy.py).
(b) genb: sessions of an independent generator written from the label spec alone, run as an
    external program (`--genb`, default DIR/validation/genb.py) into a temporary directory and read
    back with emgspasm.read, one column per device profile (lab, myo, cyton, diy). Session k
    of a profile is the generator's session 0 of seed `--seed` + k, so every session is its
    own job and any one can be regenerated alone. The meta file's agonist/antagonist pairs and
    neighbours (channels over adjacent muscles or armband sectors) go to analyze (a user would
    say which channels face each other and which lie side by side); mains stays at the default
    (50 and 60 Hz both candidates; the canceller finds which), since a user need not know it.
(c) real: healthy people's Myo recordings (DIR/realdata, the held-out sessions of
    emgspasm.realdata only): labels per hour at rest (g0) and during gesture minutes
    (g1..g7), and on the LibEMG stream. Every cramp, twitch or rigidity label there is a false
    alarm; gestures should come out as voluntary.
(d) stress: the genb lab sessions again with background the generator draws milder or rarer:
    mains hum with its fundamental at 5x the channel's noise RMS, at the session's own grid
    frequency (its meta file's mains_hz: the sessions hold both 50 and 60 Hz grids; a second
    grid beside the first is not a recording anyone makes), 3rd and 5th harmonics, slowly
    drifting amplitude; continuous ECG crosstalk
    (QRS-T complexes, 50-110 bpm, 3 % RR jitter, 30-100 µV p-p on 1-2 channels), and both.

DIR is `--shared` (default: the `shared` folder beside the repository); a part whose input is
absent is skipped with a message. The printed tables are F1 per class (labels per hour for
the real columns), precision/recall and false alarms per hour; `--json` writes every report.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from held_out import pool_map
from scipy.signal import oaconvolve

from emgspasm import realdata
from emgspasm.analyze import analyze
from emgspasm.detect.config import DetectorConfig
from emgspasm.detect.decision import hidden_labels
from emgspasm.evaluate import Report, score
from emgspasm.events import LABELS, Event, read_events
from emgspasm.io import read
from emgspasm.recording import Recording

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_SEED = 9100
"""genb seeds 9100+: the model never trained on genb at all, and no split of emgspasm.sets
comes near this range, so nothing here can have been seen in training."""

PROFILES = ("lab", "myo", "cyton", "diy")
DEFAULT_GENB_SESSIONS = {"lab": 12, "myo": 12, "cyton": 12, "diy": 12}
"""Sessions per profile: with 6 per armband profile (about 20 cramps each), two trainings of the
same recipe differed by up to 0.17 in cramp F1 there, so 12 each, like lab."""
STRESSES = ("hum", "ecg", "hum+ecg")
SIM_SPLITS = ("test", "wearable", "test-wide")
REAL_COLUMNS = {realdata.REST: "real:rest", realdata.STREAM: "real:libemg"}
REAL_GESTURE_COLUMN = "real:gesture"

HUM_OVER_NOISE = 5.0
"""Hum fundamental RMS over the channel's noise RMS: the top half of genb's own 0.2-10 range,
on every channel at once."""
HUM_HARMONICS = {3: (0.2, 0.5), 5: (0.1, 0.3)}
"""Odd harmonics (relative amplitude ranges) as a transformer's magnetising current makes."""
ECG_BPM = (50.0, 110.0)
ECG_RR_JITTER = 0.03
ECG_PP_UV = (30.0, 100.0)
_HUM_SALT, _ECG_SALT = 0x48554D, 0x454347


@dataclass
class Scored:
    """One analysed recording, ready for `score`: which column it belongs to, truth, events."""

    column: str
    name: str
    truth: list[Event]
    events: list[Event]
    duration_s: float
    hidden: list[str]
    """Labels the pipeline said this recording cannot show (left out of its scores)."""


# ---------------------------------------------------------------------------- (a) simulator


def sim_job(split: str, index: int, model: str | None = None) -> list[Scored]:
    """A held-out simulated session, analysed exactly as accuracy.py does."""
    from accuracy import one

    name, truth, events, duration, hidden = one(split, index, model)
    return [Scored(f"sim:{split}", name, truth, events, duration, hidden)]


# ---------------------------------------------------------------------------- (b, d) genb


def genb_job(genb: str, profile: str, seed: int, index: int, minutes: float,
             variants: tuple[str, ...], model: str | None = None) -> list[Scored]:
    """Generate one genb session, then analyse it clean and/or with each added background."""
    with tempfile.TemporaryDirectory(prefix="genb-") as tmp:
        meta_path = _generate(genb, profile, seed + index, minutes, Path(tmp))
        stem = meta_path.name.removesuffix(".meta.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        rec = _read_checked(meta_path.parent / meta["file"], meta)
        truth = read_events(meta_path.with_name(f"{stem}.truth.jsonl"))
    pairs = [(int(a), int(b)) for a, b in meta["pairs"]]
    neighbours = [(int(a), int(b)) for a, b in meta.get("neighbours", [])]
    out = []
    for variant in variants:
        noisy = rec if variant == "clean" else with_background(rec, meta, variant, index)
        column = f"genb:{profile}" if variant == "clean" else f"{profile}+{variant}"
        events = analyze(noisy, pairs=pairs, neighbours=neighbours, model=model)
        out.append(Scored(column, stem, truth, events, rec.duration_s,
                          list(hidden_labels(rec.fs, DetectorConfig()))))
    return out


def _generate(genb: str, profile: str, seed: int, minutes: float, out: Path) -> Path:
    """Run genb as a separate program (never imported: it must stay independent of us)."""
    cmd = [sys.executable, genb, str(out), "--sessions", "1", "--minutes", str(minutes),
           "--seed", str(seed), "--profile", profile, "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    metas = sorted(out.glob("*.meta.json"))
    if len(metas) != 1:
        raise RuntimeError(f"genb wrote {len(metas)} meta files in {out}, expected 1")
    return metas[0]


def _read_checked(path: Path, meta: dict) -> Recording:
    """Read with emgspasm.read and insist on the generator's rate, channels and length: a
    reader that got any of them wrong would make every figure below meaningless."""
    rec = read(path)
    problems = []
    if not math.isclose(rec.fs, float(meta["fs"]), rel_tol=1e-9):
        problems.append(f"fs {rec.fs} != {meta['fs']}")
    if list(rec.channels) != list(meta["channels"]):
        problems.append(f"channels {rec.channels} != {meta['channels']}")
    if abs(rec.duration_s - float(meta["seconds"])) > 1.0 / rec.fs:
        problems.append(f"duration {rec.duration_s} s != {meta['seconds']} s")
    if problems:
        raise RuntimeError(f"{path.name} read wrongly: " + "; ".join(problems))
    return rec


def with_background(rec: Recording, meta: dict, variant: str, index: int) -> Recording:
    """`rec` plus the variant's extra background (``hum``, ``ecg`` or ``hum+ecg``), seeded by
    the session so each variant of a session gets the same hum and the same heart."""
    extra = np.zeros_like(rec.samples)
    seed = int(meta["seed"])
    if "hum" in variant.split("+"):
        rng = np.random.default_rng([seed, _HUM_SALT])
        grid = meta.get("mains_hz")
        f = float(grid) if grid else (50.0 if index % 2 == 0 else 60.0) + rng.uniform(-0.05, 0.05)
        for ch, noise in enumerate(meta["noise_rms_uv"]):
            extra[:, ch] += HUM_OVER_NOISE * noise * mains_hum(rec.n_samples, rec.fs, f, rng)
    if "ecg" in variant.split("+"):
        rng = np.random.default_rng([seed, _ECG_SALT])
        heart = ecg_crosstalk(rec.n_samples, rec.fs, rng)
        n_on = int(rng.integers(1, min(2, rec.samples.shape[1]) + 1))
        for ch in rng.choice(rec.samples.shape[1], size=n_on, replace=False):
            extra[:, ch] += rng.choice([-1.0, 1.0]) * rng.uniform(*ECG_PP_UV) * heart
    return Recording(rec.samples + extra, rec.fs, list(rec.channels))


def mains_hum(n: int, fs: float, f: float, rng: np.random.Generator) -> np.ndarray:
    """Hum at `f` Hz whose fundamental has unit RMS: 3rd/5th harmonics, a random phase each,
    and an amplitude that drifts log-normally over tens of seconds (as load on nearby
    equipment changes), so a notch or estimate fitted once is not enough. When the grid's
    frequency is not known, the caller draws the grid's ±0.05 Hz offset from nominal."""
    t = np.arange(n) / fs
    wave = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    for k, (lo, hi) in HUM_HARMONICS.items():
        if k * f < fs / 2:
            wave += rng.uniform(lo, hi) * np.sin(2 * np.pi * k * f * t + rng.uniform(0, 2 * np.pi))
    return np.sqrt(2.0) * wave * slow_drift(t, rng)


def slow_drift(t: np.ndarray, rng: np.random.Generator, sd: float = 0.2) -> np.ndarray:
    """A positive gain around 1 whose log wanders with SD `sd` over periods of 20-100 s."""
    periods = rng.uniform(20.0, 100.0, 3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    z = np.sum([np.sin(2 * np.pi * t / p + ph) for p, ph in zip(periods, phases, strict=True)],
               axis=0) * np.sqrt(2.0 / 3.0)
    return np.exp(sd * z - 0.5 * sd**2)


def ecg_crosstalk(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Continuous ECG of unit peak-to-peak: a QRS-T template at a rate drawn in `ECG_BPM`,
    every RR interval jittered by `ECG_RR_JITTER`. QRS energy sits at 10-40 Hz, inside the EMG
    band, which is why crosstalk from the heart is a classic source of false bursts."""
    rr = 60.0 / rng.uniform(*ECG_BPM)
    n_beats = int(n / fs / rr * 1.2) + 2
    beats = rng.uniform(0, rr) + np.cumsum(rr * (1 + ECG_RR_JITTER * rng.standard_normal(n_beats)))
    at = np.round(beats * fs).astype(np.int64)
    impulses = np.zeros(n)
    np.add.at(impulses, at[at < n], 1.0)
    r_peak = round(0.1 * fs)  # the template's R sits this many samples in
    return oaconvolve(impulses, _qrst(fs))[r_peak:r_peak + n]


def _qrst(fs: float) -> np.ndarray:
    """Q, R, S and T waves as Gaussians from -0.1 s to +0.45 s around the R peak, unit p-p."""
    t = np.arange(round(-0.1 * fs), round(0.45 * fs)) / fs
    waves = ((-0.12, -0.025, 0.008), (1.0, 0.0, 0.010), (-0.3, 0.028, 0.009), (0.25, 0.25, 0.04))
    tpl = sum(a * np.exp(-0.5 * ((t - mu) / sd) ** 2) for a, mu, sd in waves)
    return tpl / np.ptp(tpl)


# ---------------------------------------------------------------------------- (c) real data


def real_job(path: str, model: str | None = None) -> list[Scored]:
    """Every minute of one real archive, analysed on its own; no truth (healthy people)."""
    return [Scored(_real_column(m.gesture), m.name, [], analyze(m.recording, model=model),
                   m.recording.duration_s, list(hidden_labels(m.recording.fs, DetectorConfig())))
            for m in realdata.load(path)]


def _real_column(gesture: int) -> str:
    return REAL_COLUMNS.get(gesture, REAL_GESTURE_COLUMN)


# ---------------------------------------------------------------------------- planning


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                   help="folder holding validation/genb.py and realdata/ (default: %(default)s)")
    p.add_argument("--genb", type=Path, default=None, help="genb.py (default: SHARED/validation)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="first genb seed")
    p.add_argument("--sessions", type=int, default=None,
                   help="genb sessions per profile (default: 12 for every profile)")
    p.add_argument("--minutes", type=float, default=10.0, help="minutes per genb session")
    p.add_argument("--profiles", default=",".join(PROFILES), help="genb profiles for part b")
    p.add_argument("--stress", default=",".join(STRESSES), help="backgrounds for part d")
    p.add_argument("--sim-sessions", type=int, default=24, help="sessions per split in part a")
    p.add_argument("--model", type=Path, default=None,
                   help="model file to score, as `emgspasm train` writes it (its .npz beside "
                        "it; default: the shipped model)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 2 sim sessions per split, 1 one-minute genb session per "
                        "profile, the first take of each real session")
    p.add_argument("--json", type=Path, default=None, help="write every report here")
    args = p.parse_args(argv)
    args.parts = _csv(args.parts, "abcd", "part")
    args.profiles = _csv(args.profiles, PROFILES, "profile")
    args.stress = _csv(args.stress, STRESSES, "stress")
    args.genb = args.genb or args.shared / "validation" / "genb.py"
    if args.quick:
        args.sim_sessions, args.minutes = min(args.sim_sessions, 2), 1.0
        args.sessions = 1 if args.sessions is None else args.sessions
    return args


def _csv(text: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad:
        raise SystemExit(f"unknown {what}(s) {bad}; choose from {list(allowed)}")
    return items


def plan(args: argparse.Namespace) -> tuple[list[Callable[[], list[Scored]]], dict]:
    """The jobs to run (longest first, so the pool's last job is short) and what was planned."""
    jobs: list[Callable[[], list[Scored]]] = []
    info: dict = {"skipped": {}}
    genb_parts = [x for x in "bd" if x in args.parts]
    if genb_parts and not args.genb.is_file():
        for x in genb_parts:
            info["skipped"][x] = f"genb not found at {args.genb}"
    elif genb_parts:
        jobs += _genb_jobs(args)
    if "a" in args.parts:
        jobs += [partial(sim_job, s, i, _model(args)) for s in SIM_SPLITS
                 for i in range(args.sim_sessions)]
    if "c" in args.parts:
        try:
            files = realdata.recordings(args.shared / "realdata")
        except FileNotFoundError as exc:
            info["skipped"]["c"] = str(exc)
        else:
            files = _first_takes(files) if args.quick else files
            info["realdata"] = {"held_out_files": [f.name for f in files],
                                "training_ids": sorted(realdata.TRAINING_IDS)}
            jobs += [partial(real_job, str(f), _model(args)) for f in files]
    return jobs, info


def _genb_jobs(args: argparse.Namespace) -> list[Callable[[], list[Scored]]]:
    """One job per genb session; a lab session carries its stress variants too, so it is
    generated once for parts b and d."""
    profiles = list(args.profiles) if "b" in args.parts else []
    if "d" in args.parts and "lab" not in profiles:
        profiles.insert(0, "lab")
    jobs = []
    for profile in profiles:
        variants = ("clean",) if "b" in args.parts and profile in args.profiles else ()
        if profile == "lab" and "d" in args.parts:
            variants += tuple(args.stress)
        n = args.sessions if args.sessions is not None else DEFAULT_GENB_SESSIONS[profile]
        jobs += [partial(genb_job, str(args.genb), profile, args.seed, i, args.minutes, variants,
                         _model(args)) for i in range(n)]
    return jobs


def _model(args: argparse.Namespace) -> str | None:
    return None if args.model is None else str(args.model)


def _first_takes(files: Sequence[Path]) -> list[Path]:
    seen: set[str] = set()
    out = []
    for f in files:
        if realdata.session_id(f) not in seen:
            seen.add(realdata.session_id(f))
            out.append(f)
    return out


def _call(job: Callable[[], list[Scored]]) -> list[Scored]:
    return job()


# ---------------------------------------------------------------------------- reporting


def collate(results: Sequence[Scored]) -> dict[str, Report]:
    """One `score` report per column, columns in a fixed order (sim, genb, stress, real)."""
    groups: dict[str, list[Scored]] = defaultdict(list)
    for r in results:
        groups[r.column].append(r)
    order = ([f"sim:{s}" for s in SIM_SPLITS] + [f"genb:{p}" for p in PROFILES]
             + [f"lab+{s}" for s in STRESSES] + [REAL_COLUMNS[realdata.REST],
                                                 REAL_GESTURE_COLUMN,
                                                 REAL_COLUMNS[realdata.STREAM]])
    return {c: score({r.name: r.truth for r in groups[c]}, {r.name: r.events for r in groups[c]},
                     {r.name: r.duration_s for r in groups[c]},
                     hidden={r.name: r.hidden for r in groups[c]})
            for c in order if c in groups}


def _is_real(column: str) -> bool:
    return column.startswith("real:")


def _header(column: str) -> str:
    short = column.split(":", 1)[-1].replace("lab+", "+").replace("gesture", "gest")
    return f"{short}/h" if _is_real(column) else short


def _cell(value: float, spec: str = "{:.2f}") -> str:
    return "n/a" if value is None or math.isnan(value) else spec.format(value)


def _per_hour(report: Report, label: str) -> float:
    """Labels per hour (all false alarms: no truth); 0 for a label never predicted."""
    hours = report.duration_s / 3600.0
    stats = report.labels.get(label)
    return (stats.n_pred if stats else 0) / hours if hours > 0 else math.nan


def _grid(title: str, reports: dict[str, Report], rows: list[tuple[str, Callable]],
          min_width: int = 9) -> str:
    """A text table: one column per report, one row per (name, cell function)."""
    width = max(min_width, *(len(_header(c)) + 1 for c in reports))
    lines = [title, f"{'':<11}" + "".join(f"{_header(c):>{width}}" for c in reports)]
    for name, cell in rows:
        lines.append(f"{name:<11}" + "".join(f"{cell(c, r):>{width}}"
                                             for c, r in reports.items()))
    return "\n".join(lines)


def _hidden_everywhere(report: Report, label: str) -> bool:
    """True when the pipeline said, on every recording of the column, it cannot show `label`
    (then the column says so instead of a score or a rate of zero)."""
    return bool(report.recordings) and all(label in report.hidden.get(name, ())
                                           for name in report.recordings)


def _label_cell(label: str, what: str) -> Callable[[str, Report], str]:
    def cell(column: str, report: Report) -> str:
        if _hidden_everywhere(report, label):
            return "hidden"
        if _is_real(column):
            return _cell(_per_hour(report, label), "{:.1f}") if what != "pr" else ""
        stats = report.labels.get(label)
        if stats is None:
            return "n/a"
        if what == "f1":
            return _cell(stats.f1)
        if what == "fa":
            return _cell(stats.false_alarms_per_hour, "{:.1f}")
        return f"{_cell(stats.precision)}/{_cell(stats.recall)}"
    return cell


def tables(reports: dict[str, Report]) -> str:
    """F1 (labels/h on real data), then P/R, then false alarms per hour, per class and column."""
    common = [("macro F1", lambda c, r: "" if _is_real(c) else _cell(r.macro_f1)),
              ("recordings", lambda c, r: str(len(r.recordings))),
              ("hours", lambda c, r: f"{r.duration_s / 3600:.2f}")]
    f1 = _grid("F1 per class (real columns: labels per hour, every cramp/twitch/rigidity a "
               "false alarm; hidden: not labelled at that rate, Pipeline.hidden)", reports,
               [(x, _label_cell(x, "f1")) for x in LABELS] + common)
    scored = {c: r for c, r in reports.items() if not _is_real(c)}
    if not scored:
        return f1
    pr = _grid("precision/recall", scored, [(x, _label_cell(x, "pr")) for x in LABELS],
               min_width=11)
    fa = _grid("false alarms per hour", scored, [(x, _label_cell(x, "fa")) for x in LABELS])
    return "\n\n".join([f1, pr, fa])


def write_json(path: Path, args: argparse.Namespace, info: dict, reports: dict[str, Report],
               seconds: float) -> None:
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                if k != "json"}
    doc = {"settings": settings, "wall_s": round(seconds, 1), **info,
           "columns": {c: {"labels_per_hour": {x: _finite(_per_hour(r, x)) for x in LABELS}
                           if _is_real(c) else None, "report": r.to_dict()}
                       for c, r in reports.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def _finite(x: float) -> float | None:
    """NaN -> None, as the reports do: strict JSON has no NaN."""
    return None if math.isnan(x) else x


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.model is not None and not args.model.is_file():
        raise SystemExit(f"no model file at {args.model}")
    jobs, info = plan(args)
    for part, why in info["skipped"].items():
        print(f"part {part} skipped: {why}", file=sys.stderr)
    if not jobs:
        raise SystemExit("nothing to run")
    t0 = time.perf_counter()
    results = [s for batch in pool_map(_call, jobs, workers=args.workers) for s in batch]
    reports = collate(results)
    seconds = time.perf_counter() - t0
    print(f"{len(jobs)} jobs in {seconds:.0f} s; genb seeds {args.seed}+, "
          f"{args.minutes:g} min per genb session; model: {args.model or 'shipped'}")
    if "realdata" in info:
        print("real data, held-out files: " + ", ".join(info["realdata"]["held_out_files"]))
        print("real data, training session ids (not scored): "
              + ", ".join(info["realdata"]["training_ids"]))
    print()
    print(tables(reports))
    if args.json:
        write_json(args.json, args, info, reports, seconds)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
