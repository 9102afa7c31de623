"""The in-memory recording handed between readers, the simulator and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Annotation:
    """A time-stamped note carried with a recording (EDF+ annotation, gap, marker)."""

    onset_s: float
    duration_s: float
    text: str


@dataclass
class Recording:
    """Samples in µV, shape (n_samples, n_channels), with their rate and channel names.

    `gaps` lists (sample_index, n_missing) pairs: data known to be missing *before* that sample
    index (dropped packets, outages). The pipeline restarts its filters there rather than
    bridging the hole as if the signal were continuous.
    """

    samples: np.ndarray
    fs: float
    channels: list[str]
    annotations: list[Annotation] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    path: Path | None = None

    def __post_init__(self) -> None:
        self.samples = np.asarray(self.samples, dtype=np.float64)
        if self.samples.ndim == 1:
            self.samples = self.samples[:, None]
        if self.samples.ndim != 2:
            raise ValueError(
                f"samples must be 2-D (n_samples, n_channels), got {self.samples.shape}"
            )
        if self.samples.shape[1] != len(self.channels):
            raise ValueError(
                f"{self.samples.shape[1]} sample columns but {len(self.channels)} channel names"
            )
        if not self.fs > 0:
            raise ValueError(f"sampling rate must be positive, got {self.fs}")

    # Derived sizes of a record: property blocks look alike everywhere (shape only).
    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs
