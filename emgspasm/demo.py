"""`emgspasm demo`: the main job end to end on a simulated session.

Simulates a mixed multichannel session (every class interleaved), streams it through the
`Pipeline` in 20 ms blocks as a wearable would deliver it, prints each label the moment it is
decided (a cramp or rigidity in progress as soon as it is decidable, before its event), then the
event table and the scoring against the simulator's truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from emgspasm.evaluate import score
from emgspasm.events import Event
from emgspasm.live.terminal import format_alert, format_event
from emgspasm.pipeline import Pipeline

BLOCK_S = 0.02
"""Block size of the simulated stream: one BLE connection interval's worth of samples."""


def run_demo(*, duration_s: float = 120.0, fs: float = 1000.0, n_channels: int = 4,
             seed: int = 7, realtime: bool = False,
             out: Callable[[str], None] = print) -> dict:
    """Run the demo and return the evaluation report as a dict."""
    from emgspasm.simulate import simulate

    sim = simulate(duration_s=duration_s, fs=fs, n_channels=n_channels, seed=seed)
    rec = sim.recording
    out(f"Simulated {duration_s:.0f} s, {n_channels} channels at {fs:.0f} Hz (seed {seed}); "
        f"{len(sim.truth)} true events. Streaming in {BLOCK_S * 1000:.0f} ms blocks…\n")
    pipe = Pipeline(rec.fs, rec.channels)
    block = max(1, round(BLOCK_S * rec.fs))
    events: list[Event] = []
    t0 = time.perf_counter()
    out("decided at   label     channels          start -      end   (CAPITALS: in progress)")
    for i in range(0, rec.n_samples, block):
        if realtime:
            time.sleep(max(0.0, i / rec.fs - (time.perf_counter() - t0)))
        pushed = pipe.push(rec.samples[i:i + block])
        for alert in pipe.take_alerts():  # an alert precedes any event of its block
            out(format_alert(alert))
        for ev in pushed:
            out(format_event(ev))
            events.append(ev)
    for ev in pipe.flush():
        out(format_event(ev))
        events.append(ev)
    elapsed = time.perf_counter() - t0
    out(f"\nProcessed {duration_s:.0f} s of signal in {elapsed:.2f} s "
        f"({duration_s / max(elapsed, 1e-9):.0f}× real time).\n")
    out("Event table (time order):")
    for ev in sorted(events, key=lambda e: e.start_s):
        out(f"  {ev.start_s:8.2f} – {ev.end_s:8.2f} s  {ev.label:<9} {','.join(ev.channels)}")
    report = score({"demo": sim.truth}, {"demo": events}, {"demo": duration_s})
    out("\nAgainst the simulator's truth:")
    out(report.to_text())
    return report.to_dict()
