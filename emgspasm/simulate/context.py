"""The state shared by the class generators while one session is being synthesised.

Why a context object: each class generator (scenarios/) draws its parameters, writes muscle
activity into the per-channel EMG buffer or artifacts into the artifact buffer, and returns its
truth; the session assembles the rest (crosstalk, background, gain). Keeping the buffers, pools
and noise levels in one place keeps the generators small and independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emgspasm.simulate.motor_units import MotorUnitPool
from emgspasm.simulate.muap import place_muaps


@dataclass
class SpikeRecord:
    """Discharges the generator placed for one event on one channel (debug / physiology tests).

    `role`: "agonist", "antagonist", "cramp", "precursor", "rigidity" or "fasciculation".
    `units` index the channel's pool (times in seconds from the recording start).
    """

    event: int
    label: str
    role: str
    channel: int
    times: np.ndarray
    units: np.ndarray


@dataclass
class PostOp:
    """A non-additive artifact applied after everything is summed: "clip" to ±value or "flat"."""

    kind: str
    channel: int
    i0: int
    i1: int
    value: float


@dataclass
class Fasciculator:
    """A fasciculating unit of a channel: its pool rank and its peak amplitude (µV, pre-gain)."""

    unit: int
    peak_uv: float


@dataclass
class Plan:
    """One scheduled event: where and when, and every parameter drawn for it."""

    label: str
    channels: list[int]
    start_s: float
    span_s: float
    params: dict[str, Any]


@dataclass
class SimContext:
    """Buffers are (n_channels, n_samples), µV before gain; sample i is at i / fs."""

    fs: float
    n_samples: int
    duration_s: float
    names: list[str]
    groups: list[tuple[int, ...]]
    pools: list[MotorUnitPool]
    noise_uv: np.ndarray
    gain: float
    mains_hz: float
    fasciculators: list[list[Fasciculator]]
    wide: bool = False
    """The wide variety (training): kinds and ranges beyond the standard ones (params.py)."""
    emg: np.ndarray = field(init=False)
    art: np.ndarray = field(init=False)
    post_ops: list[PostOp] = field(default_factory=list)
    spikes: list[SpikeRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.emg = np.zeros((len(self.names), self.n_samples))
        self.art = np.zeros((len(self.names), self.n_samples))

    @property
    def n_channels(self) -> int:
        return len(self.names)

    def index(self, t_s: float) -> int:
        """Sample index at time `t_s`, clipped to the recording."""
        return int(np.clip(round(t_s * self.fs), 0, self.n_samples))

    def add_discharges(
        self,
        event: int,
        label: str,
        role: str,
        channel: int,
        times: np.ndarray,
        units: np.ndarray,
        amplitudes: np.ndarray | None = None,
    ) -> None:
        """Place MUAPs of the channel's pool at `times` and record the spike train."""
        pool = self.pools[channel]
        amps = pool.amplitudes[units] if amplitudes is None else amplitudes
        place_muaps(self.emg[channel], self.fs, times, units, amps, pool.muaps)
        self.spikes.append(SpikeRecord(event, label, role, channel, times, units))
