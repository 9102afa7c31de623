"""Physiologically grounded surface-EMG simulator with ground truth (docs/signal.md#the-simulator).

Public API::

    SCENARIOS   # ("mixed", "rest", "voluntary", "cramp", "twitch", "rigidity", "artifact")
    simulate(duration_s=120.0, fs=1000.0, n_channels=4, seed=0, scenario="mixed",
             *, snr_db=None, gain=None, mains_hz=None, noise_uv=None) -> Simulation
    Simulation(recording, truth, params)   # + .spikes: the generator's own discharge times
    default_pairs(n_channels) -> [(0, 1), (2, 3), ...]
    write_simulation(sim, path) -> (recording_path, truth_path)   # + <stem>.meta.json

The package module is itself callable (`emgspasm.simulate(...)` ≡ `simulate(...)`), so the
contract `emgspasm.simulate(...)` (docs/architecture.md#python-api) holds without shadowing this
subpackage.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from emgspasm.simulate.montage import channel_names, default_pairs
from emgspasm.simulate.output import write_simulation
from emgspasm.simulate.params import MIN_TWITCH_PEAK_SNR, REF_CONTRACTION_MVC
from emgspasm.simulate.simulation import SCENARIOS, Simulation, simulate

__all__ = [
    "MIN_TWITCH_PEAK_SNR",
    "REF_CONTRACTION_MVC",
    "SCENARIOS",
    "Simulation",
    "channel_names",
    "default_pairs",
    "simulate",
    "write_simulation",
]


class _CallableModule(types.ModuleType):
    """Lets `emgspasm.simulate(...)` call `simulate` while keeping the subpackage importable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Simulation:
        return simulate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
