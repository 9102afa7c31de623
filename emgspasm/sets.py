"""Seeded recipes for the standard simulated sets: train, validation and test.

The splits differ in seed ranges *and* in their sampling rates, so accuracy on `test` measures
generalisation to rates the model never saw (300 Hz, 1500 Hz) as well as to new draws of every
other simulation parameter. `wearable` holds the armband rates (Myo 200 Hz, Cyton 250 Hz),
reported separately because at those rates most of a MUAP's energy is above Nyquist and
fasciculations are partly invisible (see README, "Honest limits"). `train-wide` and `test-wide`
use the simulator's wide variety (strong hum, continuous ECG, 8-bit armband signals, postural
holds, strong efforts, gait, shallow cramps, single-channel rigidity); the others keep the
standard one. The shipped model is trained on `train` and `train-wide` together (docs/training.md).
Nothing here is stored: a set is regenerated from its recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLITS: dict[str, dict] = {
    "train": {"first_seed": 1000, "rates": (200.0, 250.0, 500.0, 1000.0, 2000.0),
              "channels": (2, 4, 6), "duration_s": 120.0},
    "train-wide": {"first_seed": 6000, "rates": (200.0, 250.0, 500.0, 1000.0, 2000.0),
                   "channels": (2, 4, 6, 8), "duration_s": 180.0, "variety": "wide"},
    "validation": {"first_seed": 2000, "rates": (250.0, 1000.0, 2000.0, 4000.0),
                   "channels": (2, 4), "duration_s": 120.0},
    "test": {"first_seed": 3000, "rates": (300.0, 500.0, 1000.0, 1500.0, 2000.0),
             "channels": (2, 4, 6), "duration_s": 150.0},
    "wearable": {"first_seed": 4000, "rates": (200.0, 250.0),
                 "channels": (2, 4, 8), "duration_s": 150.0},
    "test-wide": {"first_seed": 5000, "rates": (200.0, 300.0, 1000.0, 1500.0, 2000.0),
                  "channels": (2, 4, 8), "duration_s": 180.0, "variety": "wide"},
}


@dataclass(frozen=True)
class SessionSpec:
    """Everything needed to regenerate one simulated session."""

    split: str
    index: int
    seed: int
    fs: float
    n_channels: int
    duration_s: float
    variety: str = "standard"

    @property
    def name(self) -> str:
        return f"{self.split}-{self.index:04d}"


def session_spec(split: str, index: int) -> SessionSpec:
    """The `index`-th session of a split (deterministic)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {sorted(SPLITS)}")
    recipe = SPLITS[split]
    seed = recipe["first_seed"] + index
    rng = np.random.default_rng([seed, 7])
    return SessionSpec(
        split=split, index=index, seed=seed,
        fs=float(rng.choice(recipe["rates"])),
        n_channels=int(rng.choice(recipe["channels"])),
        duration_s=float(recipe["duration_s"]),
        variety=recipe.get("variety", "standard"),
    )


def simulate_session(spec: SessionSpec):
    """Run the simulator for a spec (imported lazily: the simulator is heavy)."""
    from emgspasm.simulate import simulate

    return simulate(duration_s=spec.duration_s, fs=spec.fs, n_channels=spec.n_channels,
                    seed=spec.seed, scenario="mixed", variety=spec.variety)
