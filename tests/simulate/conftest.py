"""Session-scoped simulations shared by the simulator tests."""

from __future__ import annotations

import pytest

from emgspasm.simulate import Simulation

from ._sim_helpers import cached


@pytest.fixture(scope="session")
def sims_by_scenario() -> dict[str, list[Simulation]]:
    """Three seeds of every class scenario plus mixed (60 s, 1 kHz, 4 channels)."""
    names = ("mixed", "voluntary", "cramp", "twitch", "rigidity", "artifact")
    return {s: [cached(s, seed) for seed in (1, 2, 3)] for s in names}
