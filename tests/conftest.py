"""Shared fixtures: small simulated sessions (cached per test session) and the reference data."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@cache
def simulated(duration_s: float, fs: float, n_channels: int, seed: int, scenario: str = "mixed"):
    from emgspasm.simulate import simulate

    return simulate(duration_s=duration_s, fs=fs, n_channels=n_channels, seed=seed,
                    scenario=scenario)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA
