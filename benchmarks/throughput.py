"""Throughput against the floor, start-up, memory and push latency (figures for the README).

    python benchmarks/throughput.py                    # 1 h × 8 ch × 2 kHz, 3 rounds
    python benchmarks/throughput.py --rounds 5 --hours 1
    python benchmarks/throughput.py --hours 24 --rounds 1 --no-latency   # 24 h: memory flat?

1. Writes the recording of issue 12 to a temporary EDF+, chunk by chunk (never held in
   memory): white noise (5 µV RMS), two bursts of 0.5-4 s (80 µV RMS) per channel per minute,
   50 Hz hum (20 µV). `--kind simulated` stitches simulator sessions instead.
2. Times, alternately and each in a fresh process, the **floor** any EMG pipeline pays on
   that file -- read the EDF in 10 s blocks with pyedflib, causal 4th-order 20-450 Hz
   band-pass plus one 50 Hz notch with carried `sosfilt` state, 200 ms RMS: plain
   numpy/scipy/pyedflib, written out below -- and `emgspasm analyze` (the command line, so
   start-up, model loading and the event files are included). Both are wall times of the
   whole child process, with its CPU time (user + system: waiting for a core is not in it);
   the ratio analyze/floor is the headline (absolute times move by ±20 % on a shared machine,
   a ratio measured side by side much less). Also the real-time
   factor and the peak RSS (VmHWM) of the analyze process.
3. Start-up: `emgspasm --help`, every subcommand's `--help`, and `emgspasm analyze` of a
   1-second file (median of `--startup-runs`).
4. `Pipeline.push` of 20 ms blocks (8 ch, 2 kHz, alerts on) over 120 s of simulated signal:
   latency percentiles per block.
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEGMENT_S = 120.0
NOISE_UV = 5.0
BURST_UV = 80.0
HUM_UV = 20.0
BURSTS_PER_MINUTE = 2
BURST_S = (0.5, 4.0)
MAINS_HZ = 50.0
PUSH_BLOCK_S = 0.02
SUBCOMMANDS = ("analyze", "simulate", "evaluate", "train", "demo", "stream", "replay",
               "emulate", "devices")

CHILD_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1"}
"""One core for every child: the floor and analyze are single-threaded streams."""


def write_bursts(path: Path, hours: float, channels: int, fs: float, seed: int = 0) -> None:
    """The recording of issue 12, a minute at a time (only one minute is ever in memory)."""
    from emgspasm.io import open_writer

    rng = np.random.default_rng(seed)
    n = round(60.0 * fs)
    t = np.arange(n) / fs
    names = [f"ch{i + 1}" for i in range(channels)]
    with open_writer(path, fs, names, physical_range_uv=5000.0) as w:
        for minute in range(max(1, round(hours * 60))):
            x = rng.normal(0.0, NOISE_UV, size=(n, channels))
            for c in range(channels):
                for _ in range(BURSTS_PER_MINUTE):
                    dur = rng.uniform(*BURST_S)
                    start = round(rng.uniform(0.0, 60.0 - dur) * fs)
                    k = round(dur * fs)
                    x[start:start + k, c] += rng.normal(0.0, BURST_UV, size=k)
            x += HUM_UV * np.sin(2 * np.pi * MAINS_HZ * (t + 60.0 * minute))[:, None]
            w.write(x)


def write_simulated(path: Path, hours: float, channels: int, fs: float,
                    distinct: int = 30) -> None:
    """Stitch simulated 2-minute segments into one file, chunk by chunk; at most `distinct`
    are simulated (cached as .npy), longer recordings cycle through them."""
    from emgspasm.io import open_writer
    from emgspasm.simulate import simulate

    n_segments = max(1, round(hours * 3600 / SEGMENT_S))
    names = [f"ch{i + 1}" for i in range(channels)]
    cache_dir = path.parent / "segments"
    cache_dir.mkdir(exist_ok=True)
    with open_writer(path, fs, names, physical_range_uv=200_000.0) as w:
        for k in range(n_segments):
            cached = cache_dir / f"{k % distinct}.npy"
            if cached.exists():
                w.write(np.load(cached))
                continue
            # Fixed gain and noise: stitched segments join without a step in noise level.
            sim = simulate(duration_s=SEGMENT_S, fs=fs, n_channels=channels,
                           seed=10_000 + k % distinct, gain=1.0, noise_uv=3.0)
            if n_segments > distinct:
                np.save(cached, sim.recording.samples)
            w.write(sim.recording.samples)


FLOOR_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np, pyedflib
from scipy.signal import butter, iirnotch, sosfilt, tf2sos
f = pyedflib.EdfReader(sys.argv[1])
fs = f.getSampleFrequency(0)
n_ch, total = f.signals_in_file, int(f.getNSamples()[0])
sos = np.vstack([butter(4, [20.0, 450.0], btype="bandpass", fs=fs, output="sos"),
                 tf2sos(*iirnotch(50.0, 30.0, fs=fs))])
zi = np.zeros((sos.shape[0], 2, n_ch))
block, win = int(10 * fs), int(0.2 * fs)
rms = 0
for s in range(0, total, block):
    k = min(block, total - s)
    x = np.empty((k, n_ch))
    for c in range(n_ch):
        x[:, c] = f.readSignal(c, s, k)
    y, zi = sosfilt(sos, x, axis=0, zi=zi)
    m = k // win * win
    rms += np.sqrt(np.mean(y[:m].reshape(-1, win, n_ch) ** 2, axis=1)).size
print(json.dumps({"work_s": time.perf_counter() - t0, "rms_values": rms}))
"""

ANALYZE_CODE = r"""
import sys
from emgspasm.cli import main
rc = main(sys.argv[1:])
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print("PEAK_RSS_KB", hwm, file=sys.stderr)
sys.exit(rc)
"""


def _cpu_children() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and CPU time (user + system) of a child process, and its outcome. CPU time
    moves less than wall time when other work shares the cores (waiting for a core is not
    counted), so both are reported."""
    cpu = _cpu_children()
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=CHILD_ENV)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, _cpu_children() - cpu, done


def time_floor(path: Path) -> tuple[float, float]:
    """Wall and CPU time of the floor in a fresh process (imports included, as for analyze)."""
    return _timed([sys.executable, "-c", FLOOR_CODE, str(path)])[:2]


def time_analyze(path: Path, out: Path) -> tuple[float, float, float, int]:
    """Wall time, CPU time, peak RSS (MB) and event count of `emgspasm analyze` in a fresh
    process."""
    elapsed, cpu, done = _timed([sys.executable, "-c", ANALYZE_CODE, "analyze", str(path),
                                 "--out", str(out), "--force", "--no-progress"])
    rss = next(int(line.split()[1]) for line in done.stderr.splitlines()
               if line.startswith("PEAK_RSS_KB")) / 1024
    events = sum(1 for _ in (out / f"{path.stem}.events.jsonl").open())
    return elapsed, cpu, rss, events


def startup(tmp: Path, runs: int) -> dict[str, float]:
    """Median wall time of `emgspasm --help`, each subcommand's, and a 1-second analyze."""
    base = [sys.executable, "-m", "emgspasm.cli"]
    one = tmp / "one_second.edf"
    write_bursts(one, hours=1 / 3600, channels=8, fs=2000.0)  # one minute: the shortest
    short = tmp / "one_second_cut.edf"
    from emgspasm.io import open_reader, open_writer

    with open_reader(one) as r, open_writer(short, r.fs, r.channels,
                                            physical_range_uv=5000.0) as w:
        w.write(r.read_span(0, round(r.fs)))
    cases = {"--help": [*base, "--help"]}
    cases |= {f"{c} --help": [*base, c, "--help"] for c in SUBCOMMANDS}
    cases["analyze 1 s file"] = [*base, "analyze", str(short), "--out", str(tmp / "one"),
                                 "--force", "--no-progress"]
    return {name: statistics.median(_timed(cmd)[0] for _ in range(runs))
            for name, cmd in cases.items()}


def push_latency(fs: float, channels: int, seconds: float = 120.0) -> dict[str, float]:
    """Per-block `Pipeline.push` latency (ms) of 20 ms blocks, alerts on, as a live stream."""
    from emgspasm.pipeline import Pipeline
    from emgspasm.simulate import simulate

    rec = simulate(duration_s=seconds, fs=fs, n_channels=channels, seed=77).recording
    pipe = Pipeline(rec.fs, rec.channels, alerts=True)
    block = round(PUSH_BLOCK_S * fs)
    times = []
    for i in range(0, rec.n_samples, block):
        chunk = rec.samples[i:i + block]
        t = time.perf_counter()
        pipe.push(chunk)
        pipe.take_alerts()
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1e3
    return {"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90)),
            "p99": float(np.percentile(ms, 99)), "max": float(ms.max())}


def _span(values: list[float], fmt: str = "{:.2f}") -> str:
    lo, mid, hi = min(values), statistics.median(values), max(values)
    return f"{fmt.format(mid)} ({fmt.format(lo)}-{fmt.format(hi)})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hours", type=float, default=1.0)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--fs", type=float, default=2000.0)
    p.add_argument("--kind", choices=("bursts", "simulated"), default="bursts",
                   help="the issue's noise+bursts+hum file (default) or simulator sessions")
    p.add_argument("--distinct", type=int, default=30,
                   help="--kind simulated: distinct 2-minute segments, cycled (default 30)")
    p.add_argument("--rounds", type=int, default=3,
                   help="floor/analyze pairs, run alternately (default 3)")
    p.add_argument("--startup-runs", type=int, default=5)
    p.add_argument("--no-latency", action="store_true", help="skip the Pipeline.push timing")
    p.add_argument("--no-startup", action="store_true", help="skip the start-up timings")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    figures: dict = {"hours": args.hours, "channels": args.channels, "fs": args.fs,
                     "kind": args.kind}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "long.edf"
        t = time.perf_counter()
        writer = write_bursts if args.kind == "bursts" else write_simulated
        if args.kind == "bursts":
            writer(path, args.hours, args.channels, args.fs)
        else:
            writer(path, args.hours, args.channels, args.fs, args.distinct)
        duration = args.hours * 3600.0
        print(f"wrote {args.hours:g} h × {args.channels} ch @ {args.fs:g} Hz ({args.kind}, "
              f"{path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        floors, analyses, ratios, rss = [], [], [], []
        floor_cpu, analyze_cpu, cpu_ratios = [], [], []
        events = 0
        for k in range(args.rounds):
            fl, fl_cpu = time_floor(path)
            an, an_cpu, peak, events = time_analyze(path, tmp / "out")
            floors.append(fl)
            analyses.append(an)
            ratios.append(an / fl)
            floor_cpu.append(fl_cpu)
            analyze_cpu.append(an_cpu)
            cpu_ratios.append(an_cpu / fl_cpu)
            rss.append(peak)
            print(f"  round {k + 1}: floor {fl:.2f} s ({fl_cpu:.2f} s CPU), analyze {an:.2f} s "
                  f"({an_cpu:.2f} s CPU), ratio {an / fl:.2f} ({an_cpu / fl_cpu:.2f} CPU), "
                  f"peak RSS {peak:.0f} MB, {events} events", flush=True)
        figures.update(floor_s=floors, analyze_s=analyses, ratio=ratios, peak_rss_mb=rss,
                       floor_cpu_s=floor_cpu, analyze_cpu_s=analyze_cpu,
                       cpu_ratio=cpu_ratios, events=events)
        print(f"RATIO analyze/floor: wall {_span(ratios)}, CPU {_span(cpu_ratios)}  "
              f"(median (min-max) of {args.rounds})")
        print(f"floor {_span(floors)} s; analyze {_span(analyses)} s = real-time factor "
              f"{_span([duration / a for a in analyses], '{:.0f}')}x; peak RSS "
              f"{_span(rss, '{:.0f}')} MB")
        if not args.no_startup:
            st = startup(tmp, args.startup_runs)
            figures["startup_s"] = st
            print(f"start-up (median of {args.startup_runs}): "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in st.items()))
    if not args.no_latency:
        lat = push_latency(args.fs, args.channels)
        figures["push_ms"] = lat
        print(f"Pipeline.push, 20 ms blocks ({args.channels} ch @ {args.fs:g} Hz, alerts on): "
              f"median {lat['median']:.2f} ms, p90 {lat['p90']:.2f} ms, "
              f"p99 {lat['p99']:.2f} ms, max {lat['max']:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
