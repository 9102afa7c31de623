"""The BLE test stack of docs/testing.md in one object, and a BLE device emulator built on it.

::

    bleak (unmodified; any process that sets DBUS_SYSTEM_BUS_ADDRESS)
      -> dbus-fast -> private dbus-daemon (`ble_bus.PrivateBus`)
      -> org.bluez stand-in (`ble_bluez.FakeBluez`) = a Bumble central
      -> Bumble controller -> LocalLink -> Bumble controller
      -> emulated armband (`ble_peripheral.BlePeripheral`, a Bumble GATT server)

There is no Bluetooth in the kernel on the machines this runs on (and none is needed): the
radio is Bumble's controller emulation, in process. Everything except the daemon runs in one
thread with its own event loop, as the pty emulator runs in its own thread, so the code under
test keeps its event loop to itself and reaches the stack only through the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from firmware_bridge.emulators.ble_bus import BUS_VARIABLE, PrivateBus, dbus_daemon_missing
from firmware_bridge.emulators.faults import FaultPlan
from firmware_bridge.emulators.lifecycle import DeviceFront, StartedInWith
from firmware_bridge.emulators.personality import Personality
from firmware_bridge.emulators.signal import EmulatedSignal

if TYPE_CHECKING:  # Bumble is imported only once a stack runs (`unavailable_reason` first)
    from firmware_bridge.emulators.ble_peripheral import BlePeripheral

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0


def unavailable_reason() -> str | None:
    """Why the BLE test stack cannot run here (None: it can)."""
    missing = [m for m in ("bumble", "dbus_fast") if importlib.util.find_spec(m) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (pip install 'emgspasm[test]' "
                "installs the BLE test stack)")
    return dbus_daemon_missing()


class BleTestStack(StartedInWith):
    """A private bus, the ``org.bluez`` stand-in and ``peripherals`` on one emulated radio.

    Use as a context manager or `start()` / `close()`; point bleak at `bus_address` (see
    `environment`). ``mtu`` is the ATT MTU the stand-in negotiates after connecting.
    """

    def __init__(
        self, peripherals: Sequence[BlePeripheral] = (), *, mtu: int | None = None
    ) -> None:
        self.peripherals = list(peripherals)
        self.mtu = mtu
        self.error: BaseException | None = None
        self._bus = PrivateBus()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._ready = threading.Event()

    @property
    def bus_address(self) -> str:
        """The private bus's address (what ``DBUS_SYSTEM_BUS_ADDRESS`` must hold)."""
        if self._bus.address is None:
            raise RuntimeError("BLE test stack not started")
        return self._bus.address

    @property
    def environment(self) -> dict[str, str]:
        """Environment a bleak process needs to find this stack's adapter and devices."""
        return {BUS_VARIABLE: self.bus_address}

    def start(self) -> str:
        """Start the daemon and the stack thread; return the bus address once devices
        advertise."""
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(f"the BLE test stack cannot run here: {reason}")
        address = self._bus.start()
        self._thread = threading.Thread(target=self._thread_main, name="ble-test-stack",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self.error is not None:
            self.close()
            raise RuntimeError(f"the BLE test stack did not start: {self.error}") from self.error
        return address

    def close(self) -> None:
        """Drop every link, stop the thread and the daemon. Safe to call twice."""
        loop, closing = self._loop, self._closing
        if loop is not None and closing is not None:
            with contextlib.suppress(RuntimeError):  # loop already finished
                loop.call_soon_threadsafe(closing.set)
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None
        self._bus.close()


    # ---- the stack thread ---------------------------------------------------------------------

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by start() and by `error`
            self.error = exc
            log.exception("BLE test stack failed")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        from bumble.link import LocalLink

        from firmware_bridge.emulators.ble_bluez import ADAPTER_ADDRESS, DEFAULT_MTU, FakeBluez
        from firmware_bridge.emulators.ble_peripheral import bumble_device

        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        link = LocalLink()
        central = bumble_device(link, ADAPTER_ADDRESS, "hci0")
        await central.power_on()
        for peripheral in self.peripherals:
            await peripheral.attach(link)
        bluez = FakeBluez(central, mtu=self.mtu or DEFAULT_MTU)
        await bluez.start(self.bus_address)
        self._ready.set()
        try:
            await self._closing.wait()
        finally:
            for peripheral in self.peripherals:
                await peripheral.detach()
            await bluez.close()


class BleEmulator(DeviceFront, StartedInWith):
    """One emulated BLE device on a test stack of its own: what ``emgspasm emulate`` runs for
    a BLE device and what the BLE integration tests stream from. It offers what `PtyDevice`
    offers (start/close, stats, `exhausted`), with the device address as endpoint; outages come
    from its `FaultPlan`.
    """

    endpoint_option = "--address"
    """The ``emgspasm stream`` option that takes `endpoint`."""

    def __init__(
        self,
        personality: Personality,
        signal: EmulatedSignal,
        *,
        faults: FaultPlan | None = None,
        address: str = "F0:E0:00:00:00:01",
        mtu: int | None = None,
    ) -> None:
        from firmware_bridge.emulators.ble_peripheral import BlePeripheral

        self.personality = personality
        self.peripheral = BlePeripheral(personality, signal, faults=faults, address=address)
        self.core = self.peripheral.core
        self.stack = BleTestStack([self.peripheral], mtu=mtu)

    @property
    def endpoint(self) -> str:
        """The device address (``emgspasm stream --address``)."""
        return self.peripheral.address

    @property
    def where(self) -> str:
        """Where the device is, for people."""
        return f"{self.peripheral.address} ('{self.peripheral.name}') on a private BLE test stack"

    @property
    def environment(self) -> dict[str, str]:
        """Environment a host process needs to see the device."""
        return self.stack.environment

    @property
    def error(self) -> BaseException | None:
        """Why the stack thread failed, if it did."""
        return self.stack.error

    def start(self) -> str:
        """Start the stack; return the device address."""
        self.stack.start()
        return self.endpoint

    def close(self) -> None:
        """Stop the stack. Safe to call twice."""
        self.stack.close()

