"""Helpers for the simulator tests: cached simulations, a high-pass, ISI statistics."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import signal

from emgspasm.simulate import Simulation, default_pairs, simulate


@cache
def cached(
    scenario: str, seed: int, duration_s: float = 60.0, fs: float = 1000.0, n_channels: int = 4
) -> Simulation:
    """One simulation per argument tuple, reused across tests (never mutate it)."""
    return simulate(duration_s, fs=fs, n_channels=n_channels, seed=seed, scenario=scenario)


def highpass(x: np.ndarray, fs: float, hz: float = 20.0) -> np.ndarray:
    """Zero-phase 20 Hz high-pass (removes baseline wander) for amplitude checks."""
    sos = signal.butter(4, hz, btype="high", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x, axis=0)


def isi_stats(times: np.ndarray, units: np.ndarray, min_isis: int = 5):
    """Per-unit (CV, mean rate) of inter-spike intervals, for units with ≥ `min_isis` ISIs."""
    cvs, rates = [], []
    for u in np.unique(units):
        isi = np.diff(np.sort(times[units == u]))
        if isi.size >= min_isis:
            cvs.append(isi.std() / isi.mean())
            rates.append(1.0 / isi.mean())
    return np.array(cvs), np.array(rates)


def group_of(name: str, n_channels: int) -> int:
    """Index of the scheduling group (pair, or unpaired last channel) of a channel name."""
    ch = int(name[2:]) - 1
    for g, (a, b) in enumerate(default_pairs(n_channels)):
        if ch in (a, b):
            return g
    return len(default_pairs(n_channels))


def event_records(sim: Simulation) -> dict[int, dict]:
    """Per-event parameter records keyed by id (truth events carry `sim_event`)."""
    return {r["id"]: r for r in sim.params["events"]}
