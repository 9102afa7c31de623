"""Fixtures for the recordings I/O tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emgspasm.recording import Annotation, Recording

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
"""Reference recordings beside the project (absent in a fresh clone: tests skip)."""


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


def make_recording(
    n: int = 2500, fs: float = 500.0, n_channels: int = 3, amplitude_uv: float = 800.0,
    seed: int = 0,
) -> Recording:
    """A small multichannel recording with annotations and gaps."""
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((n, n_channels)) * amplitude_uv / 4
    samples[n // 3, 0] = amplitude_uv  # a known peak
    return Recording(
        samples=samples,
        fs=fs,
        channels=[f"EMG{i + 1}" for i in range(n_channels)],
        annotations=[Annotation(0.5, 0.25, "contraction"), Annotation(2.0, 0.0, "marker")],
        gaps=[(n // 4, 7), (n // 2, 1)],
    )


@pytest.fixture
def recording() -> Recording:
    return make_recording()
