"""An ``org.bluez`` stand-in whose radio is Bumble: what bleak talks to on the BLE test stack.

bleak's Linux backend is a D-Bus client of BlueZ: it reads the ``org.bluez`` object tree
(``Adapter1``, ``Device1``, ``GattService1``, ``GattCharacteristic1``), calls methods on it
(``StartDiscovery``, ``Connect``, ``StartNotify``, ``WriteValue`` …) and listens for
``PropertiesChanged`` and ``InterfacesAdded``/``Removed``. This module serves that object
tree on a (private) bus, and does what bluetoothd would do with a Bumble central device as
the adapter's controller: scan, connect, exchange the MTU, discover the GATT database, forward
writes and notifications. The real bleak then runs unmodified against emulated peripherals
(`ble_peripheral`), which is how bleak's own tests use Bumble, too (docs/testing.md).

What is deliberately not emulated: pairing, bonding, the GATT cache across connections,
``AcquireNotify``/``AcquireWrite`` (bleak falls back to ``StartNotify`` and ``WriteValue`` when a
characteristic does not offer them), and bluetoothd's ``InProgress`` quirks — hardware tests
cover those.

Two dbus-fast pitfalls shape the code (docs/testing.md): a `ServiceInterface` must not set
``self.name`` (it overwrites the D-Bus interface name, and bleak silently ignores the object),
and dbus-fast reads D-Bus signatures from the annotations at run time (``Annotated`` with a
``DBusSignature``), so this module does not postpone annotations.
"""

import contextlib
import logging
import uuid
from typing import Annotated, Any

from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt import Characteristic
from bumble.gatt_client import CharacteristicProxy, ServiceProxy
from dbus_fast import DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusDict,
    DBusInt16,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt16,
)
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method

log = logging.getLogger(__name__)

DBusStrList = Annotated[list[str], DBusSignature("as")]
DBusManufacturerData = Annotated[dict[int, Variant], DBusSignature("a{qv}")]

BLUEZ_NAME = "org.bluez"
ADAPTER_PATH = "/org/bluez/hci0"
ADAPTER_ADDRESS = "F1:F1:F1:F1:F1:F1"
CONNECT_TIMEOUT_S = 5.0
DEFAULT_MTU = 247
"""ATT MTU the stand-in requests after connecting, as bluetoothd does (a typical nRF52 value;
notifications then carry up to MTU − 3 = 244 bytes)."""

_FLAG_NAMES = (
    (Characteristic.Properties.BROADCAST, "broadcast"),
    (Characteristic.Properties.READ, "read"),
    (Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
    (Characteristic.Properties.WRITE, "write"),
    (Characteristic.Properties.NOTIFY, "notify"),
    (Characteristic.Properties.INDICATE, "indicate"),
)
_UUID_LISTS = (
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


def bluez_uuid(value: UUID) -> str:
    """A Bumble UUID as BlueZ writes it: lowercase, 128-bit, dashed."""
    return str(uuid.UUID(bytes=bytes(reversed(value.to_bytes(force_128=True)))))


def bluez_flags(properties: Characteristic.Properties) -> list[str]:
    """BlueZ's ``Flags`` strings for a characteristic's GATT properties."""
    return [name for flag, name in _FLAG_NAMES if properties & flag]


def advertised_uuids(data: AdvertisingData) -> list[str]:
    """Service UUIDs listed in an advertisement, BlueZ style."""
    return [bluez_uuid(u) for kind in _UUID_LISTS for group in data.get_all(kind) for u in group]


class Adapter1(ServiceInterface):
    """``org.bluez.Adapter1`` of the one adapter, ``hci0``: discovery on and off."""

    def __init__(self, bluez: "FakeBluez") -> None:
        super().__init__("org.bluez.Adapter1")
        self._bluez = bluez

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return ADAPTER_ADDRESS

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return "emgspasm-test-hci0"

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return "emgspasm-test-hci0"

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> DBusBool:
        return self._bluez.discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> DBusStrList:
        return ["central", "peripheral"]

    @method()
    def SetDiscoveryFilter(self, properties: DBusDict):
        """Accepted and ignored: bleak filters advertisements itself as well."""

    @method()
    async def StartDiscovery(self):
        await self._bluez.start_discovery()

    @method()
    async def StopDiscovery(self):
        await self._bluez.stop_discovery()

    @method()
    def RemoveDevice(self, device: DBusObjectPath):
        """Accepted and ignored: a device stays known, as after pairing."""


class Device1(ServiceInterface):
    """``org.bluez.Device1`` of one peripheral seen advertising; `Connect` makes the link."""

    def __init__(self, bluez: "FakeBluez", advertisement: Advertisement) -> None:
        super().__init__("org.bluez.Device1")
        self._bluez = bluez
        self.address = advertisement.address
        self.text_address = str(self.address).split("/")[0]  # Bumble appends "/P" if public
        self.path = f"{ADAPTER_PATH}/dev_{self.text_address.replace(':', '_')}"
        self.local_name = ""
        self.rssi = 0
        self.uuids: list[str] = []
        self.connection: Connection | None = None
        self.connected = False
        self.resolved = False
        self.gatt_paths: list[str] = []
        self.update(advertisement)

    def update(self, advertisement: Advertisement) -> dict[str, Any]:
        """Take what a new advertisement says; return the D-Bus properties it changed. The
        RSSI is always among them: BlueZ reports every advertisement that way when asked for
        duplicates (bleak asks), and that is how bleak's scanner sees a known device again."""
        data = advertisement.data
        changed: dict[str, Any] = {}
        name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(
            AdvertisingData.SHORTENED_LOCAL_NAME)
        if isinstance(name, str) and name and name != self.local_name:
            self.local_name = changed["Name"] = changed["Alias"] = name
        uuids = advertised_uuids(data)
        if uuids and uuids != self.uuids:
            self.uuids = changed["UUIDs"] = uuids
        self.rssi = changed["RSSI"] = advertisement.rssi
        return changed

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> DBusStr:
        return self.text_address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> DBusStr:
        return "random"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> DBusStr:
        return self.local_name or self.text_address.replace(":", "-")

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> DBusStr:
        return self.local_name or self.text_address.replace(":", "-")

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> DBusObjectPath:
        return ADAPTER_PATH

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> DBusInt16:
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> DBusStrList:
        return self.uuids

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Trusted(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> DBusBool:
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> DBusBool:
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> DBusBool:
        return self.resolved

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> DBusManufacturerData:
        return {}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> DBusDict:
        return {}

    @method()
    async def Connect(self):
        await self._bluez.connect(self)

    @method()
    async def Disconnect(self):
        await self._bluez.disconnect(self)


class GattService1(ServiceInterface):
    """``org.bluez.GattService1``: one primary service of a connected device."""

    def __init__(self, service: ServiceProxy, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self._uuid = bluez_uuid(service.uuid)
        self._device_path = device_path

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> DBusBool:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> DBusObjectPath:
        return self._device_path


class GattCharacteristic1(ServiceInterface):
    """``org.bluez.GattCharacteristic1``: reads, writes and notifications go to the peer's
    characteristic through Bumble's GATT client; each notification becomes a change of
    ``Value`` (``PropertiesChanged``), which is how BlueZ delivers ``StartNotify`` data."""

    def __init__(self, proxy: CharacteristicProxy, service_path: str, connection: Connection):
        super().__init__("org.bluez.GattCharacteristic1")
        self._proxy = proxy
        self._service_path = service_path
        self._connection = connection
        self._uuid = bluez_uuid(proxy.uuid)
        self._flags = bluez_flags(proxy.properties)
        self._value = b""
        self._notifying = False

    # BlueZ's D-Bus properties, one per name its API defines: alike in shape only.
    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> DBusObjectPath:
        return self._service_path

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> DBusStrList:
        return self._flags

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> DBusBool:
        return self._notifying

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> DBusBytes:
        return self._value

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> DBusUInt16:
        return self._connection.att_mtu

    @method()
    async def ReadValue(self, options: DBusDict) -> DBusBytes:
        self._value = bytes(await self._proxy.read_value())
        return self._value

    @method()
    async def WriteValue(self, value: DBusBytes, options: DBusDict):
        kind = options.get("type")
        with_response = kind is None or kind.value == "request"
        await self._proxy.write_value(bytes(value), with_response=with_response)

    @method()
    async def StartNotify(self):
        if not self._notifying:
            await self._proxy.subscribe(self._on_value)
            self._notifying = True
            self.emit_properties_changed({"Notifying": True})

    @method()
    async def StopNotify(self):
        if self._notifying:
            await self._proxy.unsubscribe(self._on_value)
            self._notifying = False
            self.emit_properties_changed({"Notifying": False})

    def _on_value(self, value: bytes) -> None:
        self._value = bytes(value)
        self.emit_properties_changed({"Value": self._value})


class FakeBluez:
    """Serves ``org.bluez`` on a bus, with ``central`` (a powered-on Bumble device) as the
    radio of adapter ``hci0``. Create and use it inside the event loop Bumble runs in."""

    def __init__(self, central: Device, *, mtu: int = DEFAULT_MTU) -> None:
        self.central = central
        self.mtu = mtu
        self.devices: dict[str, Device1] = {}
        self.discovering = False
        self._discovery_sessions = 0
        self._bus: MessageBus | None = None
        self._adapter = Adapter1(self)
        central.on("advertisement", self._on_advertisement)

    async def start(self, bus_address: str) -> None:
        """Connect to the bus, publish the adapter and own ``org.bluez``."""
        self._bus = await MessageBus(bus_address=bus_address).connect()
        self._bus.export(ADAPTER_PATH, self._adapter)
        await self._bus.request_name(BLUEZ_NAME)

    async def close(self) -> None:
        """Drop every link and leave the bus."""
        for device in self.devices.values():
            if device.connection is not None:
                with contextlib.suppress(Exception):
                    await device.connection.disconnect()
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    # ---- discovery ------------------------------------------------------------------------

    async def start_discovery(self) -> None:
        """One more discovery session; the radio scans while any is open."""
        self._discovery_sessions += 1
        if not self.discovering:
            await self.central.start_scanning(filter_duplicates=False)
            self.discovering = True
            self._adapter.emit_properties_changed({"Discovering": True})

    async def stop_discovery(self) -> None:
        """One discovery session fewer; the radio stops scanning after the last."""
        self._discovery_sessions = max(0, self._discovery_sessions - 1)
        if self.discovering and self._discovery_sessions == 0:
            await self.central.stop_scanning()
            self.discovering = False
            self._adapter.emit_properties_changed({"Discovering": False})

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        if self._bus is None:
            return
        key = str(advertisement.address).split("/")[0]
        device = self.devices.get(key)
        if device is None:
            device = self.devices[key] = Device1(self, advertisement)
            self._bus.export(device.path, device)  # InterfacesAdded: bleak's scanner sees it
            return
        device.emit_properties_changed(device.update(advertisement))

    # ---- connections ----------------------------------------------------------------------

    async def connect(self, device: Device1) -> None:
        """``Device1.Connect``: link, MTU exchange, GATT discovery, then the object tree."""
        if device.connected:
            return
        try:
            connection = await self.central.connect(device.address, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # Bumble raises several kinds; BlueZ says Failed for all
            raise DBusError("org.bluez.Error.Failed", f"connection failed: {exc}") from exc
        device.connection = connection
        connection.on("disconnection", lambda reason: self._on_disconnection(device, reason))
        peer = Peer(connection)
        try:
            await peer.request_mtu(self.mtu)
            await peer.discover_services()
            await peer.discover_characteristics()
        except Exception as exc:
            with contextlib.suppress(Exception):
                await connection.disconnect()
            raise DBusError("org.bluez.Error.Failed", f"service discovery failed: {exc}") from exc
        device.connected = True
        device.emit_properties_changed({"Connected": True})
        self._export_gatt(device, peer, connection)
        device.resolved = True
        device.emit_properties_changed({"ServicesResolved": True})

    async def disconnect(self, device: Device1) -> None:
        """``Device1.Disconnect``: returns once the link is down."""
        if device.connection is not None:
            with contextlib.suppress(Exception):
                await device.connection.disconnect()

    def _export_gatt(self, device: Device1, peer: Peer, connection: Connection) -> None:
        assert self._bus is not None
        for service in peer.services:
            service_path = f"{device.path}/service{service.handle:04x}"
            self._bus.export(service_path, GattService1(service, device.path))
            device.gatt_paths.append(service_path)
            for char in service.characteristics:
                char_path = f"{service_path}/char{char.handle:04x}"
                self._bus.export(char_path, GattCharacteristic1(char, service_path, connection))
                device.gatt_paths.append(char_path)

    def _on_disconnection(self, device: Device1, reason: Any) -> None:
        """The link is gone (either side, or the radio): tell bleak, drop the GATT tree."""
        log.debug("%s disconnected (reason %s)", device.text_address, reason)
        device.connection = None
        device.connected = device.resolved = False
        device.emit_properties_changed({"Connected": False, "ServicesResolved": False})
        if self._bus is not None:
            for path in reversed(device.gatt_paths):
                self._bus.unexport(path)
        device.gatt_paths.clear()
