"""How each emulated device answers the host: its commands, preamble and wire encoding.

A real board does nothing until told (`b` for OpenBCI and EMGF, a start byte with a channel mask
for BITalino) and answers a few other commands; an Arduino sketch printing lines just streams
from power-up. Each personality captures that behaviour for one protocol and encodes samples
with the project's own codec (`encode_samples`), so the emulator emits exactly the bytes of
docs/devices.md. The table `PERSONALITIES` maps a codec name to its personality class.

Serial devices read commands byte by byte (a command may arrive split across reads); a BLE
device receives each command as one GATT write (Myo's ``01 03 …`` set-mode message), so a
personality reacts to a whole `write`, which by default is a run of single-byte commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from firmware_bridge.protocols.base import Codec
from firmware_bridge.protocols.bitalino import SAMPLING_RATES, BitalinoCodec
from firmware_bridge.protocols.emgf import EmgfCodec
from firmware_bridge.protocols.myo import N_CHARACTERISTICS, SAMPLES_PER_NOTIFICATION
from firmware_bridge.protocols.registry import make_codec


@dataclass(frozen=True, slots=True)
class Reaction:
    """What a command makes the device do."""

    start: bool = False
    stop: bool = False
    reply: bytes = b""


_IGNORE = Reaction()


class Personality:
    """One device's behaviour on the wire.

    ``codec`` encodes the samples; ``channels`` are the signal columns streamed (BITalino's
    start mask can choose fewer); ``samples_per_unit`` is how many samples one wire unit holds.
    The base device ignores every command (an Arduino sketch printing lines).
    """

    streams_on_power_up: ClassVar[bool] = False
    samples_per_unit: int = 1

    def __init__(self, codec: Codec, fs: float, n_channels: int) -> None:
        self.codec = codec
        self.fs = float(fs)
        self.channels = list(range(n_channels))

    @property
    def n_channels(self) -> int:
        """Channels currently streamed."""
        return len(self.channels)

    def command(self, byte: int, streaming: bool) -> Reaction:
        """React to one command byte from the host."""
        return _IGNORE

    def write(self, data: bytes, streaming: bool) -> Iterator[Reaction]:
        """React to bytes from the host, in order: one `command` per byte, each seeing the
        streaming state the previous ones left."""
        for byte in data:
            reaction = self.command(byte, streaming)
            streaming = reaction.start or (streaming and not reaction.stop)
            yield reaction

    def notify_channel(self, start_index: int) -> int:
        """Transport channel of the unit starting at ``start_index`` (BLE: index of the
        notifying characteristic; one stream for most devices)."""
        return 0

    def preamble(self) -> bytes:
        """Bytes sent when streaming starts, before the first samples."""
        return b""

    def encode(self, counts: np.ndarray, start_index: int) -> list[bytes]:
        """Wire units for ``counts`` (a whole number of units), numbered from ``start_index``."""
        return self.codec.encode_samples(counts, start_index)


class CytonPersonality(Personality):
    """OpenBCI Cyton: ``b`` start, ``s`` stop, ``v`` soft reset (stops, replies, ends ``$$$``)."""

    VERSION_REPLY: ClassVar[bytes] = (
        b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n"
        b"LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$"
    )
    COMMANDS: ClassVar[dict[int, Reaction]] = {
        ord("b"): Reaction(start=True),
        ord("s"): Reaction(stop=True),
        ord("v"): Reaction(stop=True, reply=VERSION_REPLY),
        ord("d"): Reaction(reply=b"Updating channel settings to default$$$"),
    }

    def command(self, byte: int, streaming: bool) -> Reaction:
        return self.COMMANDS.get(byte, _IGNORE)


class BitalinoPersonality(Personality):
    """BITalino: rate ``(code << 6) | 3`` and version ``0x07`` while idle; start
    ``(mask << 2) | 1`` (the mask picks A1..A6); stop ``0x00``. Live, other bytes are trigger
    commands, which the emulator ignores."""

    _RATES: ClassVar[dict[int, float]] = {
        (code << 6) | 0x03: fs for code, fs in enumerate(SAMPLING_RATES)
    }

    def command(self, byte: int, streaming: bool) -> Reaction:
        if byte == 0x00:
            return Reaction(stop=True)
        if streaming:
            return _IGNORE
        if byte in self._RATES:
            self.fs = self._RATES[byte]
            self._rebuild()
            return _IGNORE
        if byte == 0x07:
            return Reaction(reply=b"BITalino_v5.2_emulated\n")
        if byte & 0x03 == 0x01:
            mask = byte >> 2
            self.channels = [i for i in range(6) if mask >> i & 1] or [0]
            self._rebuild()
            return Reaction(start=True)
        return _IGNORE

    def _rebuild(self) -> None:
        old = self.codec
        assert isinstance(old, BitalinoCodec)
        self.codec = BitalinoCodec(self.n_channels, fs=self.fs)


class EmgfPersonality(Personality):
    """EMGF v1 firmware: ``b`` start (info frame first; again if already streaming), ``s`` stop,
    ``i`` info frame; frames of `samples_per_unit` samples (10 ms at 1 kHz, as the firmware)."""

    def __init__(
        self, codec: Codec, fs: float, n_channels: int, *, uv_per_count: float = 0.5,
        samples_per_frame: int = 10, device: str = "emgf-emulator",
    ) -> None:
        super().__init__(EmgfCodec(fs=fs, uv_per_count=uv_per_count), fs, n_channels)
        # one wire unit must be one frame: at most 255 samples and 4096 payload bytes (int16)
        self.samples_per_unit = max(1, min(samples_per_frame, 255, 4092 // (2 * n_channels)))
        self.info: dict[str, Any] = {
            "device": device,
            "fw": "1.0.0",
            "fs": float(fs),
            "channels": [f"ch{i + 1}" for i in range(n_channels)],
            "uv_per_count": float(uv_per_count),
        }

    def command(self, byte: int, streaming: bool) -> Reaction:
        if byte == ord("b"):
            return Reaction(start=True)
        if byte == ord("s"):
            return Reaction(stop=True)
        if byte == ord("i"):
            return Reaction(reply=self.info_frame())
        return _IGNORE

    def info_frame(self) -> bytes:
        """The info frame (compact JSON), as sent after ``i`` and at stream start."""
        return EmgfCodec.encode_info(self.info)

    def preamble(self) -> bytes:
        return self.info_frame()

    def encode(self, counts: np.ndarray, start_index: int) -> list[bytes]:
        assert isinstance(self.codec, EmgfCodec)
        return self.codec.encode_samples(
            counts, start_index, max_samples_per_frame=self.samples_per_unit
        )


class AsciiPersonality(Personality):
    """An Arduino sketch printing lines: streams from power-up, ignores what it is sent."""

    streams_on_power_up: ClassVar[bool] = True


class MyoPersonality(Personality):
    """Thalmic Myo (myohw.h): commands are whole writes to the command characteristic, a
    header ``command, payload_size`` then the payload. Set mode (``0x01``, 3 bytes: EMG, IMU,
    classifier mode) streams EMG for EMG mode ``0x02`` (filtered) or ``0x03`` (raw) and stops
    for ``0x00``; everything else (sleep mode ``0x09``, vibrate, unlock …) is accepted and has
    no effect on the stream. One unit is one notification of 2 samples, notified on the four
    EMG characteristics in rotation."""

    SET_MODE: ClassVar[int] = 0x01
    EMG_STREAMING_MODES: ClassVar[frozenset[int]] = frozenset({0x02, 0x03})

    samples_per_unit = SAMPLES_PER_NOTIFICATION

    def write(self, data: bytes, streaming: bool) -> Iterator[Reaction]:
        if len(data) >= 3 and data[0] == self.SET_MODE and data[1] == len(data) - 2 == 3:
            streams = data[2] in self.EMG_STREAMING_MODES
            yield Reaction(start=streams, stop=not streams)

    def notify_channel(self, start_index: int) -> int:
        return (start_index // SAMPLES_PER_NOTIFICATION) % N_CHARACTERISTICS


PERSONALITIES: dict[str, type[Personality]] = {
    "cyton": CytonPersonality,
    "bitalino": BitalinoPersonality,
    "emgf": EmgfPersonality,
    "ascii": AsciiPersonality,
    "myo": MyoPersonality,
}
"""Codec name -> personality of the device that speaks it."""

EMGF_DEFAULT_FS = 1000.0
EMGF_DEFAULT_CHANNELS = 4


def make_personality(
    codec_name: str,
    codec_options: dict[str, Any] | None = None,
    *,
    fs: float | None = None,
    n_channels: int | None = None,
    **options: Any,
) -> Personality:
    """The personality for a codec, configured like the registry's device entry."""
    try:
        cls = PERSONALITIES[codec_name]
    except KeyError:
        known = ", ".join(sorted(PERSONALITIES))
        raise KeyError(f"no emulator for protocol {codec_name!r}; have: {known}") from None
    codec_opts = dict(codec_options or {})
    if codec_name == "emgf":  # the device states its own format: take it from the options
        rate = float(fs or codec_opts.get("fs") or EMGF_DEFAULT_FS)
        n = int(n_channels or codec_opts.get("n_channels") or EMGF_DEFAULT_CHANNELS)
        return cls(EmgfCodec(fs=rate), rate, n, **options)
    if n_channels is not None:
        codec_opts["n_channels"] = n_channels
    codec = make_codec(codec_name, **codec_opts)
    device_fs = fs or codec.fs
    if not device_fs:
        raise ValueError(f"{codec_name}: the emulator needs a sampling rate")
    return cls(codec, float(device_fs), codec.n_channels, **options)


def info_json(personality: Personality) -> str:
    """A one-line description for logs and `emgspasm emulate`."""
    return json.dumps({
        "protocol": personality.codec.name,
        "fs": personality.fs,
        "channels": personality.n_channels,
        "samples_per_unit": personality.samples_per_unit,
    })
