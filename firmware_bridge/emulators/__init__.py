"""Virtual devices: every protocol of the registry with an emulator, with injectable faults.

`make_emulator("cyton", uv=...)` gives a `PtyDevice` (serial devices, on a pseudo-terminal) and
`make_emulator("myo")` a `BleEmulator` (BLE devices: a Bumble peripheral on the BLE test stack of
docs/testing.md, reached through unmodified bleak). Both behave like the real device — wait for the
start command, stream at its rate on its own clock (`DeviceCore`) — and send exactly the bytes
the project's codecs encode.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from firmware_bridge.devices import DEVICES, DeviceSpec, TransportUnavailable, get_device
from firmware_bridge.emulators.ble_stack import BleEmulator, BleTestStack, unavailable_reason
from firmware_bridge.emulators.core import DeviceCore, EmulatorStats
from firmware_bridge.emulators.faults import FaultPlan, FaultSchedule, UnitFaults
from firmware_bridge.emulators.personality import (
    PERSONALITIES,
    Personality,
    Reaction,
    make_personality,
)
from firmware_bridge.emulators.pty_device import PtyDevice
from firmware_bridge.emulators.signal import EmulatedSignal

__all__ = [
    "PERSONALITIES",
    "BleEmulator",
    "BleTestStack",
    "DeviceCore",
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
    "unavailable_reason",
]


def device_personality(spec: DeviceSpec, **options: Any) -> Personality:
    """The emulator personality for a registry entry; `TransportUnavailable` for a device
    without an emulator (gForce)."""
    try:
        return make_personality(spec.codec, dict(spec.codec_options), fs=spec.fs, **options)
    except KeyError as exc:
        raise TransportUnavailable(
            f"device {spec.name!r} has no emulator (protocol {spec.codec!r}); emulated: "
            f"{', '.join(emulated_devices())}"
        ) from exc


def emulated_devices() -> list[str]:
    """Registry names of the devices that have an emulator."""
    return [spec.name for spec in DEVICES.values() if spec.codec in PERSONALITIES]


def make_emulator(
    device: str | DeviceSpec,
    *,
    signal: EmulatedSignal | None = None,
    uv: np.ndarray | None = None,
    faults: FaultPlan | None = None,
    link_path: str | os.PathLike[str] | None = None,
    address: str | None = None,
    seed: int = 0,
    personality_options: dict[str, Any] | None = None,
) -> PtyDevice | BleEmulator:
    """An (unstarted) emulator of ``device``: a `PtyDevice` for a serial device (reachable
    through the stable symlink ``link_path``), a `BleEmulator` for a BLE device (at
    ``address``, default ``F0:E0:00:00:00:01``).

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
    if spec.transport == "ble":
        return BleEmulator(personality, signal, faults=faults,
                           **({"address": address} if address else {}))
    return PtyDevice(personality, signal, faults=faults, link_path=link_path)
