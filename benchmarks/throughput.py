"""Throughput, memory and latency of the analysis path (figures for the README).

    python benchmarks/throughput.py [--hours 1] [--channels 8] [--fs 2000]
    python benchmarks/throughput.py --hours 24 --no-latency   # the 24-hour memory check

1. Writes a synthetic recording of the requested length (simulated mixed sessions stitched
   together) to a temporary BDF+, chunk by chunk: it is never held in memory.
2. Runs `emgspasm.analyze` on it in a fresh process (one core) and reports the real-time
   factor and that process's peak RSS (VmHWM: `ru_maxrss` would include the parent's RSS
   at fork time, which Linux carries across exec).
3. Pushes 120 s of it through `Pipeline.push` in 20 ms blocks, as a live stream would, and
   reports per-block latency percentiles.
Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEGMENT_S = 120.0


def write_recording(path: Path, hours: float, channels: int, fs: float,
                    distinct: int = 30) -> None:
    """Stitch simulated 2-minute segments into one file, chunk by chunk.

    At most `distinct` segments are simulated (an hour by default); longer recordings cycle
    through them, so a 24-hour file takes minutes to write instead of an hour of simulation.
    Only one segment is in memory at a time.
    """
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
            # Fixed gain and noise: stitched segments then join without a step in noise level
            # (a step the noise floor takes minutes to follow by design).
            sim = simulate(duration_s=SEGMENT_S, fs=fs, n_channels=channels,
                           seed=10_000 + k % distinct, gain=1.0, noise_uv=3.0)
            if n_segments > distinct:
                np.save(cached, sim.recording.samples)
            w.write(sim.recording.samples)


def analyze_in_child(path: Path) -> dict:
    code = (
        "import json, sys, time, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from emgspasm.analyze import analyze\n"
        "from emgspasm.io import open_reader\n"
        "with open_reader(sys.argv[1]) as r: dur = r.n_samples / r.fs\n"
        "t = time.perf_counter(); ev = analyze(sys.argv[1]); dt = time.perf_counter() - t\n"
        "rss = [int(l.split()[1]) for l in open('/proc/self/status')"
        " if l.startswith('VmHWM')][0] / 1024\n"
        "print(json.dumps({'seconds': dt, 'duration_s': dur, 'events': len(ev),"
        " 'peak_rss_mb': rss}))\n"
    )
    env_cmd = [sys.executable, "-c", code, str(path)]
    out = subprocess.run(env_cmd, capture_output=True, text=True, check=True,
                         env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                              **__import__("os").environ})
    return json.loads(out.stdout.strip().splitlines()[-1])


def push_latency(fs: float, channels: int, seconds: float = 120.0) -> dict:
    from emgspasm.pipeline import Pipeline
    from emgspasm.simulate import simulate

    rec = simulate(duration_s=seconds, fs=fs, n_channels=channels, seed=77).recording
    pipe = Pipeline(rec.fs, rec.channels)
    block = round(0.02 * fs)
    times = []
    for i in range(0, rec.n_samples, block):
        t = time.perf_counter()
        pipe.push(rec.samples[i:i + block])
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1e3
    return {"block_ms": 20.0, "median_ms": float(np.median(ms)),
            "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max())}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hours", type=float, default=1.0)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--fs", type=float, default=2000.0)
    p.add_argument("--distinct", type=int, default=30,
                   help="distinct 2-minute segments, cycled for longer recordings (default 30)")
    p.add_argument("--no-latency", action="store_true", help="skip the Pipeline.push timing")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.bdf"
        t = time.perf_counter()
        write_recording(path, args.hours, args.channels, args.fs, args.distinct)
        print(f"wrote {args.hours:g} h × {args.channels} ch @ {args.fs:g} Hz "
              f"({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        res = analyze_in_child(path)
    rtf = res["duration_s"] / res["seconds"]
    print(f"analyze: {res['seconds']:.1f} s for {res['duration_s'] / 3600:.2f} h → "
          f"real-time factor {rtf:.0f}×, peak RSS {res['peak_rss_mb']:.0f} MB, "
          f"{res['events']} events")
    if args.no_latency:
        return
    lat = push_latency(args.fs, args.channels)
    print(f"Pipeline.push, 20 ms blocks ({args.channels} ch @ {args.fs:g} Hz): median "
          f"{lat['median_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms, max {lat['max_ms']:.1f} ms")


if __name__ == "__main__":
    main()
