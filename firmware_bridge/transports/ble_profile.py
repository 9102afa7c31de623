"""`BleProfile`: how a BLE device is driven, as plain data.

Why a module of its own: the device registry (`firmware_bridge.devices`) describes each BLE
device with one, and the BLE transport (`transports.ble`) follows it. The profile is upstream
of both, so the registry never needs the transport (nor bleak, which the transport imports) to
describe a device, and the transport never needs the registry to read a profile.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BleProfile:
    """How a BLE device is driven: its GATT service and characteristics, in lowercase 128-bit
    UUIDs (as BlueZ reports them)."""

    service: str
    notify: tuple[str, ...]
    """Characteristics to subscribe to; a notification's transport channel is the index here."""
    write: str | None
    """Characteristic that takes commands (setup, start and stop bytes)."""
    setup: tuple[bytes, ...] = ()
    """Written after every connection, before the start commands."""
    pick_by_property: bool = False
    """Choose notify/write characteristics by their properties, not their names (NUS vendors
    swap RX/TX names by perspective)."""
    advertised: str | None = None
    """Service UUID the device advertises, when not `service` (Myo advertises its control
    service): a scan without an address looks for it."""

    @property
    def advertised_service(self) -> str:
        """The service UUID to look for in advertisements."""
        return self.advertised or self.service
