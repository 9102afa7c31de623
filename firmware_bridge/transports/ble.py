"""BLE links through bleak: one connection to a GATT peripheral, its notifications as chunks.

What a `BleLink` does on `open`, in order:

1. find the device with `BleakScanner`: by address when the endpoint is one (``AA:BB:…`` or a
   macOS UUID), else by advertised name, else (no endpoint) the first device advertising the
   profile's service;
2. connect with `bleak_retry_connector.establish_connection`, which rides out BlueZ's transient
   errors (``InProgress``, stale connections, a stale GATT cache) that a bare
   ``BleakClient.connect`` turns into failures;
3. pick the characteristics: by UUID, or — for the Nordic UART Service, whose vendors name RX
   and TX from opposite perspectives — by property (the notifying one and the writable one);
4. subscribe to every notify characteristic. The setup and start commands are then written by
   the reconnect loop like any link's commands (and recorded in a capture like them).

Each notification becomes one `Received` with the host receive time taken in bleak's callback
and the transport channel set to the characteristic's index in the profile (Myo notifies EMG on
four), so the `StreamDecoder` sees a BLE session exactly as it sees a serial one. A disconnect
(bleak's ``disconnected_callback``) ends `chunks` with `LinkLost`; what to do next — retry
with backoff, keep the codec and its counters, mark the outage as a gap — is the reconnect
loop's business (`reconnect.py`), not the link's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

from bleak import BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTServiceCollection
from bleak.exc import BleakBluetoothNotAvailableError, BleakError
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

from firmware_bridge.transports.ble_profile import BleProfile
from firmware_bridge.transports.events import Received
from firmware_bridge.transports.inbox import Inbox
from firmware_bridge.transports.link import Link, LinkError, LinkLost

BUS_VARIABLE = "DBUS_SYSTEM_BUS_ADDRESS"
"""Where bleak's Linux backend (through dbus-fast) finds the system bus and so BlueZ."""

SCAN_TIMEOUT_S = 5.0
"""How long one connection attempt scans for the device before it counts as not found."""
CONNECT_ATTEMPTS = 2
"""bleak-retry-connector's own attempts per connection attempt of the reconnect loop (which
keeps retrying with backoff after that)."""
DISCONNECT_TIMEOUT_S = 5.0

BLE_ERRORS = (BleakError, OSError, EOFError, TimeoutError)
"""What bleak and dbus-fast raise when a device or the Bluetooth stack cannot be reached
(no D-Bus system bus, no BlueZ, no adapter, the device gone)."""

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"
                      r"|^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
"""A Bluetooth address, or the UUID CoreBluetooth uses instead on macOS."""


def explain(exc: BaseException) -> str:
    """What a BLE failure means for the person at the keyboard: a missing Bluetooth stack reads
    very differently from a device out of range, and bleak's own messages do not say which."""
    text = str(exc) or type(exc).__name__
    bus = os.environ.get(BUS_VARIABLE, "the default system bus")
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError) or "ServiceUnknown" in text:
        return (f"no Bluetooth stack: BlueZ is not reachable on D-Bus ({bus}: {text}). Start "
                f"bluetoothd, or for an emulated device export {BUS_VARIABLE} as "
                "`emgspasm emulate` prints it")
    if isinstance(exc, BleakBluetoothNotAvailableError) or "adapter" in text.lower():
        return f"no Bluetooth adapter available ({text})"
    return text


def is_address(endpoint: str) -> bool:
    """Whether ``endpoint`` is a device address rather than an advertised name."""
    return bool(_ADDRESS.match(endpoint))


@dataclass(frozen=True, slots=True)
class ResolvedProfile:
    """The characteristics of one connected device that a profile designates."""

    notify: tuple[BleakGATTCharacteristic, ...]
    write: BleakGATTCharacteristic | None

    @property
    def write_with_response(self) -> bool:
        """Write commands as requests when the device accepts them (errors come back)."""
        return self.write is not None and "write" in self.write.properties


def resolve_profile(services: BleakGATTServiceCollection, profile: BleProfile) -> ResolvedProfile:
    """Find ``profile``'s characteristics among a connected device's services.

    By property when ``profile.pick_by_property`` (in the profile's service: the characteristics
    that notify or indicate, in handle order, and the first writable one), else by UUID
    anywhere on the device (Myo's command characteristic is not in its EMG service).
    Raises `LinkError` naming what is missing: the device is not what the profile describes.
    """
    if profile.pick_by_property:
        service = services.get_service(profile.service)
        if service is None:
            raise LinkError(f"the device has no service {profile.service}")
        chars = sorted(service.characteristics, key=lambda c: c.handle)
        notify = [c for c in chars if {"notify", "indicate"} & set(c.properties)]
        writable = [c for c in chars if {"write", "write-without-response"} & set(c.properties)]
        if len(notify) < len(profile.notify) or (profile.write and not writable):
            raise LinkError(f"service {profile.service} lacks a notify or a writable "
                            "characteristic")
        return ResolvedProfile(tuple(notify[: len(profile.notify)]),
                               writable[0] if profile.write else None)
    notify = [services.get_characteristic(u) for u in profile.notify]
    write = services.get_characteristic(profile.write) if profile.write else None
    missing = [u for u, c in zip(profile.notify, notify, strict=True) if c is None]
    if profile.write and write is None:
        missing.append(profile.write)
    if missing:
        raise LinkError(f"the device has no characteristic {', '.join(missing)}")
    return ResolvedProfile(tuple(c for c in notify if c is not None), write)


class BleLink(Link):
    """One bleak connection to a device described by a `BleProfile` (module docstring).

    ``endpoint`` is an address, an advertised name, or None for the first device advertising
    ``profile.advertised_service``.
    """

    def __init__(
        self,
        profile: BleProfile,
        endpoint: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        scan_timeout_s: float = SCAN_TIMEOUT_S,
        connect_attempts: int = CONNECT_ATTEMPTS,
    ) -> None:
        self.profile = profile
        self.endpoint = endpoint
        self.description = f"BLE {endpoint or 'device advertising ' + profile.advertised_service}"
        self._clock = clock
        self._scan_timeout_s = scan_timeout_s
        self._connect_attempts = connect_attempts
        self._client: BleakClientWithServiceCache | None = None
        self._chars: ResolvedProfile | None = None
        self._inbox: Inbox | None = None

    # ---- Link -----------------------------------------------------------------------------

    async def open(self) -> None:
        inbox = self._inbox = Inbox(self.description)
        try:
            device = await self._find()
            client = await establish_connection(
                BleakClientWithServiceCache, device, device.name or device.address,
                disconnected_callback=lambda _client: inbox.lost("disconnected"),
                max_attempts=self._connect_attempts,
            )
            self._client = client
            self._chars = resolve_profile(client.services, self.profile)
            for channel, char in enumerate(self._chars.notify):
                await client.start_notify(char, self._receiver(inbox, channel))
        except LinkError:
            raise
        except BLE_ERRORS as exc:
            raise LinkError(f"{self.description}: {explain(exc)}") from exc
        self.description = inbox.name = f"BLE {device.address} ({device.name or 'no name'})"

    async def write(self, data: bytes, channel: int = 0) -> None:
        client, chars = self._client, self._chars
        if client is None or chars is None or chars.write is None:
            raise LinkLost(f"{self.description}: not connected (or nothing to write to)")
        try:
            await client.write_gatt_char(chars.write, data, response=chars.write_with_response)
        except BLE_ERRORS as exc:
            raise LinkLost(f"{self.description}: write failed: {exc}") from exc

    # The Link interface over an Inbox, as in SerialLink: two delegating lines, alike in shape.
    def chunks(self, silence_timeout_s: float | None) -> AsyncIterator[Received]:
        if self._inbox is None:
            raise LinkLost(f"{self.description}: not open")
        return self._inbox.chunks(silence_timeout_s)

    def interrupt(self) -> None:
        if self._inbox is not None:
            self._inbox.interrupt()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*BLE_ERRORS):
                await asyncio.wait_for(client.disconnect(), DISCONNECT_TIMEOUT_S)

    # ---- internals --------------------------------------------------------------------------

    async def _find(self) -> BLEDevice:
        endpoint, timeout = self.endpoint, self._scan_timeout_s
        if endpoint and is_address(endpoint):
            device = await BleakScanner.find_device_by_address(endpoint, timeout=timeout)
        elif endpoint:
            device = await BleakScanner.find_device_by_name(endpoint, timeout=timeout)
        else:
            wanted = self.profile.advertised_service

            def advertises(_device: BLEDevice, adv: AdvertisementData) -> bool:
                return wanted in (u.lower() for u in adv.service_uuids)

            device = await BleakScanner.find_device_by_filter(advertises, timeout=timeout)
        if device is None:
            raise LinkError(f"{self.description}: not found in {timeout:g} s of scanning "
                            "(out of range, switched off, or connected to another host)")
        return device

    def _receiver(
        self, inbox: Inbox, channel: int
    ) -> Callable[[BleakGATTCharacteristic, bytearray], None]:
        """A notification callback stamping each notification on arrival."""
        clock = self._clock

        def on_notification(_char: BleakGATTCharacteristic, data: bytearray) -> None:
            inbox.put_nowait(Received(bytes(data), clock(), channel))

        return on_notification


@dataclass(frozen=True, slots=True)
class Sighting:
    """A BLE device seen advertising, and the registry devices whose service it advertises."""

    address: str
    name: str
    rssi: int | None
    devices: tuple[str, ...]


async def scan(timeout_s: float, advertised: Mapping[str, str]) -> list[Sighting]:
    """Devices in range after scanning ``timeout_s`` seconds, strongest first; ``advertised``
    maps a registry name to the service UUID its devices advertise. Raises what bleak raises
    when there is no Bluetooth stack (`BleakError`, `OSError` …)."""
    found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    sightings = []
    for device, adv in found.values():
        uuids = {u.lower() for u in adv.service_uuids}
        matches = tuple(name for name, uuid in advertised.items() if uuid in uuids)
        sightings.append(Sighting(device.address, adv.local_name or device.name or "",
                                  adv.rssi, matches))
    return sorted(sightings, key=lambda s: -(s.rssi if s.rssi is not None else -999))

