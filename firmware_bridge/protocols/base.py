"""What every wire codec hands upward, and the interface every codec offers.

A codec turns a device's bytes into blocks of integer ADC counts and back. It is pure: no I/O,
no threads, no clocks of its own. The transport layer reads bytes, stamps them with the host
receive time and calls `feed`; emulators call `encode` / `encode_samples` to produce exactly the
bytes a real device would send (docs/devices.md). Keeping the codec pure is what lets the same
object run on a live port, on a capture replay and inside a hypothesis test.

Counts, not µV, leave the codec: the raw counts are what a lossless recording stores, and the
device layer converts with `Codec.to_uv` when it builds the float µV block that crosses into
emgspasm (docs/architecture.md#the-sample-block).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

Gap = int | tuple[int, int]
"""Samples missing before a packet: an exact count, or a ``(min, max)`` bound when the device
gives no counter (or one that may have wrapped). ``0`` means "nothing known to be missing"."""


def gap_bounds(gap: Gap) -> tuple[int, int]:
    """Return ``(min, max)`` for either form of `Gap`, so consumers need one code path."""
    if isinstance(gap, tuple):
        return gap
    return (gap, gap)


class PacketKind(StrEnum):
    """What a packet carries. Only SAMPLES packets have rows in `Packet.samples`."""

    SAMPLES = "samples"
    INFO = "info"
    """Device self-description (EMGF info frame): `Packet.message` holds the JSON object."""
    MARKER = "marker"
    """A device-side event or marker (EMGF type 0x03): `Packet.message` holds the JSON value."""


@dataclass(frozen=True, slots=True, eq=False)
class Packet:
    """One decoded unit of a device stream, in integer counts.

    Consecutive frames that follow each other with no gap may be merged into one packet; a gap,
    a counter restart or a change of kind always starts a new one. So a consumer can rebuild the
    exact sample timeline from ``samples`` lengths and ``gap_before`` alone, whatever the
    chunking of the byte stream.
    """

    samples: np.ndarray
    """Shape ``(n, n_channels)``, int64 counts as sent (unsigned devices are not re-centred)."""
    first_index: int | None
    """The device's counter value for the first sample, as sent (it wraps at the codec's
    `counter_modulus`), or None when the device sends no counter (Myo, gForce)."""
    gap_before: Gap = 0
    """Samples missing between the previous SAMPLES packet and this one."""
    host_time: float | None = None
    """Host receive time of the bytes that completed this packet (what the caller passed)."""
    device_time_us: int | None = None
    """Device clock at the first sample in µs, when the wire carries one (EMGF, ASCII t_us)."""
    kind: PacketKind = PacketKind.SAMPLES
    message: Any = None
    """Parsed JSON for INFO and MARKER packets."""
    restart: bool = False
    """The device counter went backwards: the device restarted, so continuity with the previous
    packet is unknown and `gap_before` is not meaningful. Counted in `DecoderStats.restarts`."""
    aux: np.ndarray | None = None
    """Per-sample device extras kept for lossless recording: Cyton ``(n, 7)`` = 6 aux bytes and
    the stop byte; BITalino ``(n, 4)`` = digital inputs I1, I2, O1, O2 (D0..D3)."""

    @property
    def n_samples(self) -> int:
        """Rows in `samples` (0 for INFO and MARKER packets)."""
        return int(self.samples.shape[0])


DecodedBlock = Packet
"""Alias: the brief and some callers call the unit a decoded block."""


@dataclass(slots=True)
class DecoderStats:
    """Running counts that make every loss visible ("Nothing lost silently",
    docs/architecture.md#invariants).

    Invariant for byte-stream codecs once `Codec.flush` has run: every byte fed is either in
    ``bytes_ok`` (part of an accepted frame) or in ``skipped_bytes``.
    """

    frames_ok: int = 0
    bad_frames: int = 0
    """Rejected frame candidates: bad CRC, impossible header, bad stop byte, unparsable line,
    broken fragment chain, wrong length. What one "candidate" is differs by protocol and is
    documented on each codec."""
    skipped_bytes: int = 0
    gaps: int = 0
    """Number of packets with a non-zero `gap_before` (exact or bounded)."""
    samples_lost_min: int = 0
    samples_lost_max: int = 0
    restarts: int = 0
    counter_jumps: int = 0
    """Of the `restarts`, those where the counter jumped further than the elapsed host time
    allows (a reset, corruption or stale backlog): reported as restarts, never as loss."""
    stalls: int = 0
    """Devices without a counter: arrivals later than the jitter allows that a burst then made
    up (a host or link stall). Their data was late, not lost, so they are not gaps."""
    bytes_ok: int = 0

    def add_gap(self, gap: Gap) -> None:
        """Account one packet's gap (a bound with min 0 is a *possible* gap and still counts)."""
        lo, hi = gap_bounds(gap)
        if hi > 0:
            self.gaps += 1
            self.samples_lost_min += lo
            self.samples_lost_max += hi


class Codec(ABC):
    """A pure, incremental decoder for one device protocol, plus its encoder.

    Subclasses set `name` (the registry key), `counter_modulus` (how the device sample counter
    wraps, None without a counter) and `message_framed` (True when each `feed` call must be one
    transport message, e.g. one BLE notification; False for byte streams that may be split or
    merged anywhere).
    """

    name: ClassVar[str]
    counter_modulus: ClassVar[int | None] = None
    message_framed: ClassVar[bool] = False

    def __init__(self, n_channels: int = 0, fs: float | None = None) -> None:
        """`n_channels` and `fs` are the format's, fixed or from the codec's settings; a codec
        that learns them from the stream (EMGF, ASCII lines) overrides the properties."""
        self._stats = DecoderStats()
        self._n = n_channels
        self._fs = fs

    @property
    def stats(self) -> DecoderStats:
        """A snapshot copy, so callers can diff two snapshots without aliasing."""
        return replace(self._stats)

    @property
    def n_channels(self) -> int:
        """Channels per sample row (0 while unknown, e.g. EMGF before the first frame)."""
        return self._n

    @property
    def fs(self) -> float | None:
        """Nominal sampling rate in Hz (None while unknown)."""
        return self._fs

    @property
    @abstractmethod
    def uv_per_count(self) -> float | np.ndarray:
        """µV per count, scalar or per channel (documented scale from docs/devices.md)."""

    @property
    def zero_count(self) -> float | np.ndarray:
        """The count that means 0 µV (non-zero for unsigned, mid-rail devices)."""
        return 0.0

    @property
    @abstractmethod
    def count_range(self) -> tuple[int | np.ndarray, int | np.ndarray]:
        """Smallest and largest count the wire can carry (scalar or per channel)."""

    def to_uv(self, counts: np.ndarray) -> np.ndarray:
        """Convert counts of shape ``(n, n_channels)`` to float64 µV."""
        c = np.asarray(counts, dtype=np.float64)
        return (c - self.zero_count) * self.uv_per_count

    def from_uv(self, uv: np.ndarray) -> np.ndarray:
        """The inverse of `to_uv`, rounded and clipped to `count_range`: what an emulator
        replaying a µV recording must put on the wire."""
        counts = np.rint(np.asarray(uv, dtype=np.float64) / self.uv_per_count + self.zero_count)
        lo, hi = self.count_range
        return np.clip(counts, lo, hi).astype(np.int64)

    @abstractmethod
    def feed(self, data: bytes, *, host_time: float | None = None) -> list[Packet]:
        """Consume received bytes and return the packets they completed (possibly none).

        ``host_time`` is the host receive time (seconds, any monotonic origin) of ``data``; it is
        used only to bound gaps the device counter cannot pin down, and is copied to packets.
        """

    def flush(self) -> list[Packet]:
        """Declare the end of the stream: settle what waited for look-ahead, count the rest as
        skipped. Without it a truncated tail would stay invisible in the stats."""
        return []

    @property
    def pending_bytes(self) -> int:
        """Bytes buffered and not yet accounted as accepted or skipped."""
        return 0

    @abstractmethod
    def encode_samples(self, counts: np.ndarray, start_index: int = 0) -> list[bytes]:
        """Wire units (frames, lines or notifications) carrying ``counts`` of shape
        ``(n, n_channels)``, numbered from device sample ``start_index``. One generic entry
        point so a device emulator can replay any recording without knowing the protocol."""

    def _count_skipped(self, n: int) -> None:
        self._stats.skipped_bytes += n

    def _count_bad(self, n_bytes: int) -> None:
        self._stats.bad_frames += 1
        self._stats.skipped_bytes += n_bytes

    def _count_ok(self, n_bytes: int) -> None:
        self._stats.frames_ok += 1
        self._stats.bytes_ok += n_bytes
