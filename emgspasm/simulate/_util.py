"""Small helpers shared by the simulator modules (random draws, JSON conversion)."""

from __future__ import annotations

from typing import Any

import numpy as np


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """One uniform draw from `bounds` as a Python float (JSON-able)."""
    return float(rng.uniform(bounds[0], bounds[1]))


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float], size: int | None = None):
    """Log-uniform draw: for scale parameters spanning a decade (gains, amplitudes, durations)."""
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    value = np.exp(rng.uniform(lo, hi, size))
    return float(value) if size is None else value


def integer(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """Inclusive integer draw."""
    return int(rng.integers(bounds[0], bounds[1] + 1))


def jsonable(value: Any, digits: int = 6) -> Any:
    """Convert numpy scalars/arrays (recursively) to JSON-able Python values.

    Floats keep `digits` significant digits so `Simulation.params` stays readable in a
    `.meta.json` beside the recording while still recording every drawn value.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, digits) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v, digits) for v in value.tolist()]
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, float | np.floating):
        f = float(value)
        return float(f"{f:.{digits}g}") if np.isfinite(f) else None
    return value
