"""Virtual devices: every serial protocol of the registry, on a pty, with injectable faults.

`make_emulator("cyton", uv=...)` gives a `PtyDevice` that behaves like the board (waits for its
start command, streams at its rate on its own clock) and sends exactly the bytes the project's
codecs encode. The BLE devices (Myo, EMGF over NUS) need the BLE test stack of TESTING.md, which
comes with the BLE transport; asking for one raises `TransportUnavailable`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from firmware_bridge.devices import DeviceSpec, TransportUnavailable, get_device
from firmware_bridge.emulators.faults import FaultPlan, FaultSchedule, UnitFaults
from firmware_bridge.emulators.personality import (
    PERSONALITIES,
    Personality,
    Reaction,
    make_personality,
)
from firmware_bridge.emulators.pty_device import EmulatorStats, PtyDevice
from firmware_bridge.emulators.signal import EmulatedSignal

__all__ = [
    "PERSONALITIES",
    "EmulatedSignal",
    "EmulatorStats",
    "FaultPlan",
    "FaultSchedule",
    "Personality",
    "PtyDevice",
    "Reaction",
    "UnitFaults",
    "device_personality",
    "make_emulator",
]


def device_personality(spec: DeviceSpec, **options: Any) -> Personality:
    """The emulator personality for a registry entry (serial devices only)."""
    if spec.transport != "serial":
        raise TransportUnavailable(
            f"device {spec.name!r} is a BLE device: its emulator runs on the BLE test stack "
            "(bleak against a Bumble peripheral), which comes with the BLE transport and is not "
            "implemented yet. Serial devices with pty emulators: cyton, bitalino, emgf, ascii."
        )
    return make_personality(spec.codec, dict(spec.codec_options), fs=spec.fs, **options)


def make_emulator(
    device: str | DeviceSpec,
    *,
    signal: EmulatedSignal | None = None,
    uv: np.ndarray | None = None,
    faults: FaultPlan | None = None,
    link_path: str | os.PathLike[str] | None = None,
    seed: int = 0,
    personality_options: dict[str, Any] | None = None,
) -> PtyDevice:
    """An (unstarted) pty emulator of ``device``.

    The signal is ``signal`` (counts), else ``uv`` (µV at the device rate, converted with the
    device's codec), else 60 s of random counts over the full range.
    """
    spec = device if isinstance(device, DeviceSpec) else get_device(device)
    personality = device_personality(spec, **dict(personality_options or {}))
    if signal is None:
        if uv is not None:
            signal = EmulatedSignal.from_uv(uv, personality.codec, personality.n_channels)
        else:
            signal = EmulatedSignal.random(
                personality.codec, round(60 * personality.fs),
                n_channels=personality.n_channels, seed=seed, loop=True,
            )
    return PtyDevice(personality, signal, faults=faults, link_path=link_path)
