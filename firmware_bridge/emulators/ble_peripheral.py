"""Emulated BLE armbands: Bumble GATT peripherals that stream a `DeviceCore`'s output.

Each kind of peripheral is a `GattLayout` written from docs/devices.md (not from the host's device
registry, so a wrong UUID on either side fails the tests instead of agreeing with itself):

* **Myo**: the control service with the command characteristic (``d5060401``, write), the raw
  EMG service with four notify characteristics (``d5060105`` … ``d5060405``), a battery
  service; it advertises its control service as the real armband does. One unit is one
  16-byte notification (2 samples × 8 channels, int8), on the four characteristics in turn.
* **EMGF over the Nordic UART Service**: RX ``6e400002`` (write, write without response) and
  TX ``6e400003`` (notify). EMGF is a byte stream, so frames are cut into notifications of at
  most ATT_MTU − 3 bytes regardless of frame boundaries, as a UART bridge does.

Timing and faults come from `DeviceCore` (the same behaviour as the pty emulators): the device
streams after its start command, on its own clock, and injected drops, garbage and stalls
apply per unit. An unplug is the armband leaving radio range: the link drops (the host sees
the disconnection at once) and the device stops advertising for the outage, then advertises
again; its clock runs on, so what fell due in between is never sent. A host that simply
disconnects finds the device advertising again straight away, waiting for its next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from firmware_bridge.emulators.core import DeviceCore
from firmware_bridge.emulators.faults import FaultPlan
from firmware_bridge.emulators.lifecycle import DeviceFront
from firmware_bridge.emulators.personality import Personality
from firmware_bridge.emulators.signal import EmulatedSignal

log = logging.getLogger(__name__)

TICK_S = 0.005
"""How often a peripheral sends what fell due (the Myo notifies every 10 ms in pairs)."""

ADVERTISING_INTERVAL_MS = 50.0
"""Fast advertising, as BLE peripherals do right after power-up or a lost link. A scan finds the
device, and a connection is made, at its next advertisement (Bumble's default is one second)."""

_P = Characteristic.Properties
_MAX_ADVERTISING_BYTES = 31


@dataclass(frozen=True, slots=True)
class CharDef:
    """One characteristic of a layout; ``value`` is what a read returns."""

    uuid: str
    properties: Characteristic.Properties
    value: bytes = b""


@dataclass(frozen=True, slots=True)
class GattLayout:
    """The GATT database and advertisement of one kind of peripheral."""

    local_name: str
    advertised: str
    """Service UUID in the advertisement (what a scan for this kind of device looks for)."""
    services: tuple[tuple[str, tuple[CharDef, ...]], ...]
    notify: tuple[str, ...]
    """Characteristics that stream, in transport-channel order."""
    command: str
    """Characteristic the host writes commands to."""

    def advertising_data(self) -> bytes:
        """Flags, the advertised service and the name, in one legacy advertisement."""
        data = bytes(AdvertisingData([
            (AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
            (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
             UUID(self.advertised).to_bytes(force_128=True)),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.local_name.encode()),
        ]))
        if len(data) > _MAX_ADVERTISING_BYTES:
            raise ValueError(f"advertisement of {self.local_name!r} is {len(data)} bytes, "
                             f"legacy advertising carries {_MAX_ADVERTISING_BYTES}")
        return data


def _myo(short: int) -> str:
    return f"d506{short:04x}-a904-deb9-4748-2c7f4a124842"


def _nus(short: int) -> str:
    return f"6e40{short:04x}-b5a3-f393-e0a9-e50e24dcca9e"


_MYO_EMG = tuple(_myo(0x0105 + 0x100 * k) for k in range(4))

MYO_LAYOUT = GattLayout(
    local_name="Myo",
    advertised=_myo(0x0001),
    services=(
        (_myo(0x0001), (
            CharDef(_myo(0x0101), _P.READ, bytes(20)),  # info: serial number and more
            CharDef(_myo(0x0201), _P.READ, bytes.fromhex("01000500b2070200")),  # fw 1.5.1970
            CharDef(_myo(0x0401), _P.WRITE),  # command
        )),
        (_myo(0x0005), tuple(CharDef(u, _P.NOTIFY) for u in _MYO_EMG)),
        ("0000180f-0000-1000-8000-00805f9b34fb", (
            CharDef("00002a19-0000-1000-8000-00805f9b34fb", _P.READ | _P.NOTIFY, b"\x64"),
        )),
    ),
    notify=_MYO_EMG,
    command=_myo(0x0401),
)

NUS_LAYOUT = GattLayout(
    local_name="EMGF-NUS",
    advertised=_nus(0x0001),
    services=((_nus(0x0001), (
        CharDef(_nus(0x0002), _P.WRITE | _P.WRITE_WITHOUT_RESPONSE),  # RX: host -> device
        CharDef(_nus(0x0003), _P.NOTIFY),  # TX: device -> host
    )),),
    notify=(_nus(0x0003),),
    command=_nus(0x0002),
)

LAYOUTS: dict[str, GattLayout] = {"myo": MYO_LAYOUT, "emgf": NUS_LAYOUT}
"""Codec name -> the BLE peripheral that speaks it (EMGF travels over NUS)."""


def bumble_device(link: LocalLink, address: str, label: str) -> Device:
    """A Bumble device with its own emulated controller on ``link`` (not yet powered on)."""
    controller = Controller(label, link=link, public_address=address)
    return Device(address=Address(address), host=Host(controller, AsyncPipeSink(controller)))


class BlePeripheral(DeviceFront):
    """One emulated BLE device: a `DeviceCore` behind a Bumble GATT server.

    Configure it anywhere; `BleTestStack` attaches it to its radio link inside the stack's
    event loop. Its counts (`stats`, `next_index` …) may be read from any thread.

    Parameters
    ----------
    personality : protocol behaviour (`personality.make_personality`).
    signal : the counts to send.
    layout : GATT layout (default: the one for the personality's codec in `LAYOUTS`).
    faults : scheduled and random faults; an unplug is a radio outage (module docstring).
    address : the device address (a random static address: top two bits set).
    """

    def __init__(
        self,
        personality: Personality,
        signal: EmulatedSignal,
        *,
        layout: GattLayout | None = None,
        faults: FaultPlan | None = None,
        address: str = "F0:E0:00:00:00:01",
    ) -> None:
        codec_name = personality.codec.name
        if layout is None:
            if codec_name not in LAYOUTS:
                known = ", ".join(sorted(LAYOUTS))
                raise KeyError(f"no BLE peripheral for protocol {codec_name!r}; have: {known}")
            layout = LAYOUTS[codec_name]
        self.layout = layout
        self.address = address
        self.core = DeviceCore(personality, signal, faults)
        self._message_framed = personality.codec.message_framed
        self._device: Device | None = None
        self._notify_chars: list[Characteristic] = []
        self._connection: Connection | None = None
        self._pending: list[tuple[int, bytes]] = []  # (notify channel, notification)
        self._stream = bytearray()  # byte-stream devices: not yet cut into notifications
        self._outage = False
        self._tasks: set[asyncio.Task[None]] = set()  # streaming, outages, re-advertising

    # ---- state, readable from any thread ------------------------------------------------------

    @property
    def name(self) -> str:
        """The advertised name."""
        return self.layout.local_name

    # ---- lifecycle (inside the stack's event loop) -------------------------------------------

    async def attach(self, link: LocalLink) -> None:
        """Power on a controller on ``link``, serve the GATT database, advertise, stream."""
        device = bumble_device(link, self.address, f"peripheral {self.address}")
        services = []
        for service_uuid, chars in self.layout.services:
            services.append(Service(service_uuid, [self._characteristic(c) for c in chars]))
        device.add_services(services)
        by_uuid = {str(c.uuid).lower(): c for s in services for c in s.characteristics}
        self._notify_chars = [by_uuid[u] for u in self.layout.notify]
        device.advertising_data = self.layout.advertising_data()
        device.on("connection", self._on_connection)
        await device.power_on()
        self._device = device
        await self._advertise()
        self._spawn(self._run())

    async def detach(self) -> None:
        """Stop streaming and drop any link."""
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.disconnect()

    def _characteristic(self, spec: CharDef) -> Characteristic:
        permissions = 0
        if spec.properties & _P.READ:
            permissions |= Characteristic.READABLE
        if spec.properties & (_P.WRITE | _P.WRITE_WITHOUT_RESPONSE):
            permissions |= Characteristic.WRITEABLE
        value: bytes | CharacteristicValue = spec.value
        if spec.uuid == self.layout.command:
            value = CharacteristicValue(write=self._on_write)
        return Characteristic(spec.uuid, spec.properties, permissions, value)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background, kept referenced until done (and cancelled on
        `detach`)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _advertise(self) -> None:
        assert self._device is not None
        await self._device.stop_advertising()  # a connection ended the previous advertising
        await self._device.start_advertising(
            auto_restart=False,
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    # ---- links --------------------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        connection.on("disconnection", lambda reason: self._on_disconnection(connection))
        self.core.connected(time.monotonic(), self)

    def _on_disconnection(self, connection: Connection) -> None:
        if connection is not self._connection:
            return
        self._connection = None
        self._pending.clear()
        self._stream.clear()
        self.core.disconnected()
        if not self._outage:  # the host left: be discoverable for the next session
            self._spawn(self._advertise())

    def _on_write(self, connection: Connection, value: bytes) -> None:
        self.core.receive(bytes(value), time.monotonic(), self)

    def _start_outage(self, duration_s: float) -> None:
        if self._outage or self._device is None:
            return
        self._outage = True
        self.core.stats.unplugs += 1
        log.info("%s: out of range for %g s", self.address, duration_s)
        self._spawn(self._outage_for(duration_s))

    async def _outage_for(self, duration_s: float) -> None:
        assert self._device is not None
        await self._device.stop_advertising()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.disconnect()
        await asyncio.sleep(duration_s)
        self._outage = False
        self.core.stats.replugs += 1
        await self._advertise()
        log.info("%s: back in range", self.address)

    # ---- streaming ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if self._connection is not None and not self._outage:
                unplug_s = self.core.produce(time.monotonic(), self)
                await self._flush()
                if unplug_s is not None:
                    self._start_outage(unplug_s)
            await asyncio.sleep(TICK_S)

    # Wire: where DeviceCore puts its output
    def send_unit(self, data: bytes, start: int) -> bool:
        if self._message_framed:
            self._pending.append((self.core.personality.notify_channel(start), data))
        else:
            self._stream += data
        return True

    def send_bytes(self, data: bytes) -> None:
        if not data:
            return
        if self._message_framed:  # e.g. garbage: one malformed notification
            channel = self.core.personality.notify_channel(self.core.next_index)
            self._pending.append((channel, data))
        else:
            self._stream += data

    async def _flush(self) -> None:
        """Notify what is pending: message units as they are, a byte stream cut to the MTU."""
        connection = self._connection
        if connection is None or self._device is None:
            return
        if self._stream:
            size = connection.att_mtu - 3
            self._pending += [(0, bytes(self._stream[i : i + size]))
                              for i in range(0, len(self._stream), size)]
            self._stream.clear()
        pending, self._pending = self._pending, []
        for channel, data in pending:
            await self._device.notify_subscriber(connection, self._notify_chars[channel], data)
            self.core.stats.bytes_written += len(data)
            self.core.stats.notifications += 1
