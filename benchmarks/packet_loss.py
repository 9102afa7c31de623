"""Lost packets must not split or relabel events: the same sessions, lossless and lossy.

    python benchmarks/packet_loss.py [--sessions 16] [--loss 0.02] [--packet-ms 20]
                                     [--workers 2] [--json out.json]

A wireless link drops packets at random (a BLE link in a busy room: 1-3 % of notifications).
Each held-out `test` session of our simulator is streamed through `Pipeline.push` twice, in
packets of `--packet-ms`: once whole, once with each packet lost with probability `--loss`
(seeded per session), the loss announced as `gap_before` as the device readers do. The lossless
run's events are the reference, and the lossy run is scored against them with the project's
own scoring (`emgspasm.evaluate.score`, docs/scoring.md) at intersection-over-union >= 0.5:
the recall per class is the share of events that came out with the same label, the same
channels (Jaccard >= 0.5) and nearly the same span. A twitch lost *inside* a dropped packet
cannot be seen by anyone; those are counted apart (`twitch in a hole`) and left out of the
twitch figure, which is about what the bridging does to the twitches that arrived.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from held_out import pool_map

IOU_MIN = 0.5
"""The overlap that counts an event as the same event (stricter than scoring truth's 0.2)."""


def lossy_run(split: str, index: int, loss: float, packet_s: float) -> dict:
    """Events of one session streamed whole and with lost packets, and the holes' spans."""
    from emgspasm.pipeline import Pipeline
    from emgspasm.sets import session_spec, simulate_session

    spec = session_spec(split, index)
    rec = simulate_session(spec).recording
    packet = max(1, round(packet_s * rec.fs))
    starts = np.arange(0, rec.n_samples, packet)
    lost = np.random.default_rng([spec.seed, 31]).random(starts.size) < loss
    runs = {}
    for name, drop in (("whole", np.zeros_like(lost)), ("lossy", lost)):
        pipe = Pipeline(rec.fs, rec.channels)
        events, gap = [], 0
        for i, keep in zip(starts, ~drop, strict=True):
            block = rec.samples[i:i + packet]
            if not keep:
                gap += block.shape[0]
                continue
            events += pipe.push(block, gap_before=gap)
            gap = 0
        events += pipe.push(rec.samples[:0], gap_before=gap) + pipe.flush()
        runs[name] = events
    holes = [(i / rec.fs, min(i + packet, rec.n_samples) / rec.fs) for i in starts[lost]]
    return {"name": spec.name, "seconds": rec.duration_s, "holes": holes,
            "lost": int(lost.sum()), "packets": int(starts.size), **runs}


def in_hole(event, holes: list[tuple[float, float]]) -> bool:
    return any(a < event.end_s and event.start_s < b for a, b in holes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--loss", type=float, default=0.02, help="probability a packet is lost")
    parser.add_argument("--packet-ms", type=float, default=20.0, help="packet length in ms")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    from emgspasm.evaluate import score

    t0 = time.perf_counter()
    n = args.sessions
    results = pool_map(lossy_run, [args.split] * n, range(n), [args.loss] * n,
                       [args.packet_ms / 1000.0] * n, workers=args.workers)
    reference, swallowed = {}, 0
    for r in results:
        keep = [e for e in r["whole"] if not (e.label == "twitch" and in_hole(e, r["holes"]))]
        swallowed += len(r["whole"]) - len(keep)
        reference[r["name"]] = keep
    report = score(reference, {r["name"]: r["lossy"] for r in results},
                   {r["name"]: r["seconds"] for r in results}, iou_min=IOU_MIN)
    lost = sum(r["lost"] for r in results) / sum(r["packets"] for r in results)
    print(f"{n} {args.split} sessions, {args.packet_ms:g} ms packets, {lost:.1%} lost, "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"{'label':10s} {'events':>7s} {'kept':>6s} {'new':>5s}")
    figures = {}
    for label, st in sorted(report.labels.items()):
        events = st.tp + st.fn
        figures[label] = {"events": events, "kept": st.recall, "new": st.fp}
        print(f"{label:10s} {events:7d} {st.recall:6.3f} {st.fp:5d}")
    print(f"twitch in a hole (not counted): {swallowed}")
    if args.json:
        args.json.write_text(json.dumps({"labels": figures, "twitch_in_hole": swallowed,
                                         "lost_share": lost}, indent=1))


if __name__ == "__main__":
    main()
