"""A short simulated recording written to disk, its truth events and its profile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from emgspasm.events import Event
from emgspasm.io import open_reader
from emgspasm.report import RecordingProfile
from emgspasm.simulate import write_simulation
from tests.conftest import simulated

SEED = 4
"""A 60-s mixed session whose truth holds every label."""


@dataclass
class Written:
    path: Path
    events: list[Event]
    profile: RecordingProfile


def profile_of(path: Path, chunk_s: float = 10.0, **reader_kwargs) -> RecordingProfile:
    """One chunked pass, as `analyze` makes it: samples and gaps into a profile."""
    with open_reader(path, **reader_kwargs) as reader:
        profile = RecordingProfile(reader.fs, reader.channels)
        pending = sorted(reader.gaps)
        position = 0
        for block in reader.chunks(max(1, round(chunk_s * reader.fs))):
            start = 0
            while pending and pending[0][0] < position + block.shape[0]:
                at, missing = pending.pop(0)
                profile.update(block[start:at - position])
                profile.add_gap(missing)
                start = at - position
            profile.update(block[start:])
            position += block.shape[0]
        for _, missing in pending:
            profile.add_gap(missing)
    return profile


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    sim = simulated(60.0, 1000.0, 4, SEED)
    path, _ = write_simulation(sim, tmp_path_factory.mktemp("rec") / "session.bdf")
    return Written(path, list(sim.truth), profile_of(path))
