"""Device registry: a device name -> how to reach it, decode it and scale it.

Data, not code paths (docs/architecture.md#design-choices): each supported device is one
`DeviceSpec` in `DEVICES` naming its transport, codec (and codec options), start/stop commands,
rate, channel names and µV scale. `open_source` turns an entry into a live `Source` by looking the
transport up in a table, never with ``if device == ...``. Adding a device is adding an entry.

BLE devices (Myo, gForce, EMGF over the Nordic UART Service) carry a `BleProfile`
(`transports.ble_profile`, re-exported here): their GATT service, characteristics and setup
writes, which the BLE transport (`transports.ble`, bleak +
bleak-retry-connector) follows. A transport whose libraries are missing raises
`TransportUnavailable` with the install command instead of pretending.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_bridge.protocols.base import Codec
from firmware_bridge.protocols.registry import make_codec
from firmware_bridge.transports.ble_profile import BleProfile
from firmware_bridge.transports.link import Link
from firmware_bridge.transports.session import decoder_from_header, session_header


class TransportUnavailable(NotImplementedError):
    """The device needs a transport this installation cannot provide (yet)."""


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """Everything needed to stream one kind of device."""

    name: str
    description: str
    transport: str
    """Key into the transport table: ``"serial"`` or ``"ble"``."""
    codec: str
    """Key into `firmware_bridge.protocols.CODECS`."""
    codec_options: Mapping[str, Any] = field(default_factory=dict)
    fs: float | None = None
    """Nominal rate in Hz; None when the device states it (EMGF info frame)."""
    channels: tuple[str, ...] = ()
    """Channel names; empty when the device states them (EMGF info frame)."""
    start_commands: tuple[bytes, ...] = ()
    stop_commands: tuple[bytes, ...] = ()
    baudrate: int = 115200
    ble: BleProfile | None = None
    channel_keyword: str | None = None
    """`Codec.feed` keyword that receives the transport channel (Myo: ``char_index``)."""
    scale: str = ""
    """How counts become µV, in words (the numbers come from the codec)."""
    channel_pattern: str = "ch{}"
    """Names for channel counts other than `channels` (e.g. ``--opt n_channels=3``)."""
    self_describing: bool = False
    """Rate, channel names and scale come from the device itself (EMGF info frame)."""

    def make_codec(self) -> Codec:
        """A fresh codec configured for this device."""
        return make_codec(self.codec, **dict(self.codec_options))

    def with_options(self, **codec_options: Any) -> DeviceSpec:
        """This device with codec options overridden (e.g. ``n_channels=2, has_seq=False``)."""
        if not codec_options:
            return self
        merged = {**dict(self.codec_options), **codec_options}
        fs = merged.get("fs", self.fs)
        return dataclasses.replace(self, codec_options=merged, fs=fs)

    def channel_names(self, n_channels: int) -> tuple[str, ...]:
        """`channels` when the count matches, else names from `channel_pattern`."""
        if len(self.channels) == n_channels:
            return self.channels
        return tuple(self.channel_pattern.format(i + 1) for i in range(n_channels))

    @property
    def uv_per_count(self) -> float | np.ndarray:
        """µV per count of the default configuration (EMGF: until the info frame says)."""
        return self.make_codec().uv_per_count

    def session_header(self, endpoint: str | None = None) -> dict[str, Any]:
        """The decoding description a live session and its capture share."""
        codec = self.make_codec()
        n = codec.n_channels
        channel_names = self.ble.notify if self.ble else ("serial",)
        return session_header(
            device=self.name,
            codec=self.codec,
            codec_options=self.codec_options,
            channels=self.channel_names(n) if n else None,
            fs=self.fs,
            transport=self.transport,
            endpoint=endpoint,
            channel_keyword=self.channel_keyword,
            channel_names=channel_names,
        )


def _names(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i + 1}" for i in range(n))


_MYO_BASE = "d506{:04x}-a904-deb9-4748-2c7f4a124842"
_NUS = "6e40{:04x}-b5a3-f393-e0a9-e50e24dcca9e"

# One DeviceSpec per device, alike in shape only: a data table, each entry the device's own facts.
DEVICES: dict[str, DeviceSpec] = {
    spec.name: spec
    for spec in (
        DeviceSpec(
            name="cyton",
            description="OpenBCI Cyton (8 ch, 250 Hz) via the USB RF dongle",
            transport="serial",
            codec="cyton",
            fs=250.0,
            channels=_names("EXG", 8),
            start_commands=(b"b",),
            stop_commands=(b"s",),
            baudrate=115200,
            scale="4.5 V / gain 24 / (2^23 - 1) = 0.02235 µV per count",
            channel_pattern="EXG{}",
        ),
        DeviceSpec(
            name="bitalino",
            description="BITalino (r)evolution, A1..A4 at 1000 Hz (USB or Bluetooth SPP port)",
            transport="serial",
            codec="bitalino",
            codec_options={"n_channels": 4, "fs": 1000.0},
            fs=1000.0,
            channels=_names("A", 4),
            # sampling rate 1000 Hz: (3 << 6) | 0x03; start A1..A4: (0b1111 << 2) | 0x01
            start_commands=(bytes([0xC3]), bytes([0x3D])),
            stop_commands=(bytes([0x00]),),
            baudrate=115200,
            scale="EMG sensor: (ADC / 2^10 - 1/2) * 3.3 V / 1009 = 3.19 µV per count",
            channel_pattern="A{}",
        ),
        DeviceSpec(
            name="emgf",
            description="EMGF v1 reference firmware (ESP32 + MyoWare / ADS129x) over USB serial",
            transport="serial",
            codec="emgf",
            start_commands=(b"b",),
            stop_commands=(b"s",),
            baudrate=921600,
            scale="from the device's info frame (uv_per_count)",
            self_describing=True,
        ),
        DeviceSpec(
            name="ascii",
            description="Arduino/ESP32 printing 'seq,v0[,v1...]' lines (MyoWare RAW, 10-bit ADC)",
            transport="serial",
            codec="ascii",
            codec_options={"n_channels": 1, "has_seq": True, "fs": 1000.0},
            fs=1000.0,
            channels=("emg1",),
            baudrate=115200,
            scale="(ADC * 5 V / 2^10 - 2.5 V) / gain 200 = 24.4 µV per count",
            channel_pattern="emg{}",
        ),
        DeviceSpec(
            name="myo",
            description="Thalmic Myo armband, raw EMG (8 ch, 200 Hz, int8)",
            transport="ble",
            codec="myo",
            fs=200.0,
            channels=_names("emg", 8),
            # set mode: EMG raw, IMU off, classifier off; then never sleep
            start_commands=(bytes.fromhex("0103030000"),),
            stop_commands=(bytes.fromhex("0103000000"),),
            ble=BleProfile(
                service=_MYO_BASE.format(0x0005),
                notify=tuple(_MYO_BASE.format(0x0105 + 0x100 * k) for k in range(4)),
                write=_MYO_BASE.format(0x0401),
                setup=(bytes.fromhex("090101"),),
                advertised=_MYO_BASE.format(0x0001),
            ),
            channel_keyword="char_index",
            scale="unitless int8 (no published µV scale; nominal 1.0)",
            channel_pattern="emg{}",
        ),
        DeviceSpec(
            name="gforce",
            description="OyMotion gForce armband, raw EMG (8 ch, 500 Hz, 8-bit)",
            transport="ble",
            codec="gforce",
            codec_options={"n_channels": 8, "resolution": 8, "fs": 500.0},
            fs=500.0,
            channels=_names("emg", 8),
            # 0x4F data-notification switch, 32-bit LE mask: EMG raw = 0x80 (off: 0)
            start_commands=(bytes.fromhex("4f80000000"),),
            stop_commands=(bytes.fromhex("4f00000000"),),
            ble=BleProfile(
                service="0000ffd0-0000-1000-8000-00805f9b34fb",
                notify=("f000ffe2-0451-4000-b000-000000000000",),
                write="f000ffe1-0451-4000-b000-000000000000",
                # 0x3F EMG raw config: fs 500 (u16), channel mask 0x00FF (u16), batch 16, 8 bit
                setup=(bytes.fromhex("3ff401ff001008"),),
            ),
            scale="(raw - 128) * 2.5 V / 1200 / 127 = 16.4 µV per count",
            channel_pattern="emg{}",
        ),
        DeviceSpec(
            name="emgf-ble",
            description="EMGF v1 reference firmware over BLE (Nordic UART Service)",
            transport="ble",
            codec="emgf",
            start_commands=(b"b",),
            stop_commands=(b"s",),
            ble=BleProfile(
                service=_NUS.format(0x0001),
                notify=(_NUS.format(0x0003),),
                write=_NUS.format(0x0002),
                pick_by_property=True,
            ),
            scale="from the device's info frame (uv_per_count)",
            self_describing=True,
        ),
    )
}


def get_device(name: str) -> DeviceSpec:
    """The registry entry for ``name``; the error lists the known devices."""
    try:
        return DEVICES[name]
    except KeyError:
        raise KeyError(f"unknown device {name!r}; known: {', '.join(sorted(DEVICES))}") from None


# ---- transports -------------------------------------------------------------------------------

LinkBuilder = Callable[[DeviceSpec, str | None], Callable[[Callable[[], float]], Link]]


def _serial_links(spec: DeviceSpec, endpoint: str | None) -> Callable[[Callable[[], float]], Link]:
    if not endpoint:
        raise ValueError(
            f"device {spec.name!r} is a serial device: give its port (e.g. --port /dev/ttyUSB0; "
            "`emgspasm devices` lists the ports it can see)"
        )
    from firmware_bridge.transports.serial import SerialLink

    def make(clock: Callable[[], float]) -> Link:
        return SerialLink(endpoint, baudrate=spec.baudrate, clock=clock)

    return make


def _ble_links(spec: DeviceSpec, endpoint: str | None) -> Callable[[Callable[[], float]], Link]:
    profile = spec.ble
    if profile is None:
        raise ValueError(f"device {spec.name!r} has no BLE profile in the registry")
    try:
        from firmware_bridge.transports.ble import BleLink
    except ImportError as exc:
        raise TransportUnavailable(
            f"device {spec.name!r} streams over BLE, which needs bleak and "
            f"bleak-retry-connector ({exc.name} is missing): pip install 'emgspasm[devices]'"
        ) from exc

    def make(clock: Callable[[], float]) -> Link:
        return BleLink(profile, endpoint, clock=clock)

    return make


TRANSPORTS: dict[str, LinkBuilder] = {"serial": _serial_links, "ble": _ble_links}
"""Transport name -> builder of link factories for a device and its endpoint (port/address)."""


def open_source(
    device: str | DeviceSpec,
    *,
    port: str | None = None,
    address: str | None = None,
    options: Mapping[str, Any] | None = None,
    capture_path: str | os.PathLike[str] | None = None,
    silence_timeout_s: float | None = 5.0,
    backoff: Any = None,
) -> Any:
    """A `ReconnectingSource` streaming ``device`` from ``port`` (serial) or ``address`` (BLE:
    an address, an advertised name, or None for the first device advertising its service).

    ``options`` override codec options (e.g. ``{"n_channels": 2}``); ``capture_path`` also
    writes a raw ``.emgcap`` capture of the session (closed when the source ends).
    """
    from firmware_bridge.transports.capture import CaptureWriter
    from firmware_bridge.transports.reconnect import ReconnectingSource

    spec = device if isinstance(device, DeviceSpec) else get_device(device)
    spec = spec.with_options(**dict(options or {}))
    endpoint = port if spec.transport == "serial" else address
    link_factory = TRANSPORTS[spec.transport](spec, endpoint)
    header = spec.session_header(endpoint)
    capture = CaptureWriter(capture_path, header) if capture_path is not None else None
    setup = spec.ble.setup if spec.ble else ()
    return ReconnectingSource(
        link_factory,
        decoder_from_header(header),
        name=f"{spec.name}@{endpoint or 'scan'}",
        start_commands=(*setup, *spec.start_commands),
        stop_commands=spec.stop_commands,
        silence_timeout_s=silence_timeout_s,
        backoff=backoff,
        capture=capture,
        close_capture=True,
    )


def describe(spec: DeviceSpec) -> dict[str, Any]:
    """A JSON-able description of a registry entry (for `emgspasm devices`)."""
    uv = np.unique(np.asarray(spec.uv_per_count, dtype=float))
    if spec.self_describing:
        uv_text = "from device"
    elif uv.size == 1:
        uv_text = f"{float(uv[0]):.5g}"
    else:
        uv_text = "/".join(f"{u:.4g}" for u in uv)
    return {
        "name": spec.name,
        "transport": spec.transport,
        "codec": spec.codec,
        "fs": spec.fs,
        "self_describing": spec.self_describing,
        "channels": list(spec.channels),
        "uv_per_count": uv_text,
        "scale": spec.scale,
        "start": [c.hex() for c in spec.start_commands],
        "stop": [c.hex() for c in spec.stop_commands],
        "ble": _ble_dict(spec.ble),
        "description": spec.description,
    }


def _ble_dict(profile: BleProfile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    d = dataclasses.asdict(profile)
    d["setup"] = [b.hex() for b in profile.setup]
    return d


def serial_devices() -> list[DeviceSpec]:
    """Registry entries that stream over a serial port (and so have pty emulators)."""
    return [spec for spec in DEVICES.values() if spec.transport == "serial"]


def ble_devices() -> list[DeviceSpec]:
    """Registry entries that stream over BLE."""
    return [spec for spec in DEVICES.values() if spec.ble is not None]
