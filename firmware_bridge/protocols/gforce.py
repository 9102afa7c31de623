"""OyMotion gForce data notifications (docs/devices.md#oymotion-gforce).

Message-framed (one `feed` per BLE notification on ``f000ffe2-…``). A notification is either a
whole data packet — ``type`` byte (``0x08`` = raw EMG) followed by samples — or a fragment of
one: ``FF | countdown id | content``, the ids counting down to 0 on the last fragment
(gforce_sdk_python ``_handleDataNotification``). EMG samples are uint8 (8-bit mode) or uint16
little-endian holding 12 bits (12-bit mode), channel-interleaved: reshape to
``(-1, n_channels)``.

Fragment rules here are stricter than the SDK's, which prints a warning and keeps going: a
fragment whose id is not the previous id - 1, a whole packet arriving mid-chain, or an id-0
fragment with no chain open (its predecessors were lost) each discard what was assembled as
one bad frame, with its bytes counted as skipped; so does a packet whose type byte is not a
known NotifDataType (a chain that began mid-packet). Packets of other known types (IMU,
quaternions…) are valid but not ours: counted in `ignored_packets`, bytes in ``bytes_ok``.

Protocol limit, stated rather than hidden: the ids only count down, they do not name the
packet, and nothing is checksummed. Losing the tail of one chain and the head of the next
with ids that happen to continue (… 3, 2 | lost 1, 0, lost 3, 2 | 1, 0) splices two packets
undetectably. ``packet_len`` (the EMG packet size implied by the ``0x3F`` configuration; the
SDK hardcodes 129) rejects every splice or truncated chain of the wrong length; a splice of
complementary halves still passes. BLE's link layer retransmits, so such losses need a
peripheral-side overflow; the ESP32/nRF reference firmware (EMGF) has no such hole.

No sample counter exists, so gaps are host-timing bounds (gaps.py), in whole packets; a late
arrival that a burst makes up is a stall, not a loss, and packets wait (at most ``settle_s``)
while that is undecided.
µV: (raw - 128) * 2.5 V / 1200 / 127 (8-bit), (raw - 2048) * 2.5 V / 1200 / 2047 (12-bit).
Quoted as "µV", these formulas evaluate to volts (2.5 V reference over
a gain of 1200 gives ±2.08 mV full scale), so they are multiplied by 10^6 here.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from firmware_bridge.protocols.base import Codec, Gap, Packet
from firmware_bridge.protocols.gaps import DEFAULT_SETTLE_S, TimingGapTracker
from firmware_bridge.protocols.stream import Timed, timed_packets

TYPE_EMG = 0x08
FRAGMENT = 0xFF
KNOWN_TYPES = frozenset(range(0x01, 0x15))
"""NotifDataType values in the gForce SDKs (ACC_DATA 0x01 … BRTH 0x14). A reassembled packet
with another first byte is a chain that started mid-packet: bad, not merely ignored."""
VREF_V = 2.5
GAIN = 1200.0
_MIDSCALE = {8: 128, 12: 2048}
_HALF_RANGE = {8: 127, 12: 2047}


class GForceCodec(Codec):
    """Decoder/encoder for gForce raw-EMG notifications.

    ``resolution`` (8 or 12) and ``n_channels`` must match the ``0x3F`` configuration command
    sent to the device; ``samples_per_packet`` and ``max_notification`` only shape what
    `encode_samples` emits (the emulator's batch length and ATT payload size).
    """

    name: ClassVar[str] = "gforce"
    message_framed: ClassVar[bool] = True

    def __init__(
        self,
        n_channels: int = 8,
        *,
        resolution: int = 8,
        fs: float = 500.0,
        jitter_s: float = 0.1,
        settle_s: float = DEFAULT_SETTLE_S,
        samples_per_packet: int = 16,
        max_notification: int | None = None,
        packet_len: int | None = None,
    ) -> None:
        if resolution not in _MIDSCALE:
            raise ValueError(f"gForce EMG resolution is 8 or 12 bits, got {resolution}")
        super().__init__(n_channels, fs)
        self.resolution = resolution
        self.samples_per_packet = samples_per_packet
        self.max_notification = max_notification
        self.packet_len = packet_len
        self._timing: TimingGapTracker[Timed] = TimingGapTracker(
            fs, jitter_s, settle_s
        )
        self._chain: bytearray | None = None
        self._chain_id = 0
        self._chain_bytes = 0
        self.ignored_packets = 0

    # The rest of the Codec interface (n_channels and fs are the base's): alike in shape only.
    @property
    def uv_per_count(self) -> float:
        return VREF_V / GAIN / _HALF_RANGE[self.resolution] * 1e6

    @property
    def zero_count(self) -> float:
        return float(_MIDSCALE[self.resolution])

    @property
    def count_range(self) -> tuple[int, int]:
        return (0, (1 << self.resolution) - 1)

    @property
    def pending_bytes(self) -> int:
        return self._chain_bytes

    def feed(self, data: bytes, *, host_time: float | None = None) -> list[Packet]:
        """Decode ONE notification."""
        if len(data) >= 1 and data[0] == FRAGMENT:
            whole = self._fragment(bytes(data))
            if whole is None:
                return []
            packet, n_wire = whole
        else:
            self._drop_chain()
            packet, n_wire = bytes(data), len(data)
        return self._packet(packet, n_wire, host_time)

    def flush(self) -> list[Packet]:
        """A chain still open at the end of the stream is incomplete: count it. Packets held
        while a late arrival was undecided are released (as a possible loss)."""
        self._drop_chain()
        return self._released(self._timing.flush())

    def _drop_chain(self) -> None:
        if self._chain is not None:
            self._count_bad(self._chain_bytes)
            self._chain, self._chain_bytes = None, 0

    def _fragment(self, data: bytes) -> tuple[bytes, int] | None:
        if len(data) < 2:
            self._count_bad(len(data))
            return None
        frag_id = data[1]
        if self._chain is not None and frag_id != self._chain_id - 1:
            self._drop_chain()
        if self._chain is None:
            if frag_id == 0:  # a last fragment without its predecessors
                self._count_bad(len(data))
                return None
            self._chain = bytearray()
        self._chain += data[2:]
        self._chain_id = frag_id
        self._chain_bytes += len(data)
        if frag_id != 0:
            return None
        whole, n_wire = bytes(self._chain), self._chain_bytes
        self._chain, self._chain_bytes = None, 0
        return whole, n_wire

    def _packet(self, packet: bytes, n_wire: int, host_time: float | None) -> list[Packet]:
        if len(packet) < 1:
            self._count_bad(n_wire)
            return []
        if packet[0] not in KNOWN_TYPES:
            self._count_bad(n_wire)
            return []
        if packet[0] != TYPE_EMG:
            self.ignored_packets += 1
            self._stats.bytes_ok += n_wire
            return []
        body = packet[1:]
        bpv = 1 if self.resolution == 8 else 2
        if (
            not body
            or len(body) % (bpv * self._n)
            or (self.packet_len is not None and len(packet) != self.packet_len)
        ):
            self._count_bad(n_wire)
            return []
        values = np.frombuffer(body, dtype=np.uint8 if bpv == 1 else "<u2").astype(np.int64)
        if bpv == 2 and int(values.max()) > 0x0FFF:
            self._count_bad(n_wire)  # 12-bit mode: anything above 4095 is not a sample
            return []
        samples = values.reshape(-1, self._n)
        rows = samples.shape[0]
        self._count_ok(n_wire)
        return self._released(self._timing.update((samples, host_time), rows, host_time,
                                                  stride=rows))

    def _released(self, released: list[tuple[Timed, Gap]]) -> list[Packet]:
        """Packets for the EMG packets whose gap the timing tracker has decided."""
        return timed_packets(self._stats, self._timing, released)

    # ---- encoding ---------------------------------------------------------------------------

    @classmethod
    def encode(cls, samples: np.ndarray, *, resolution: int = 8) -> bytes:
        """One whole EMG packet: ``0x08`` then the ``(n, n_channels)`` raw counts."""
        arr = np.asarray(samples)
        top = (1 << resolution) - 1
        if arr.ndim != 2 or int(arr.min()) < 0 or int(arr.max()) > top:
            raise ValueError(f"gForce samples must be (n, n_channels) in 0..{top}")
        dtype = np.uint8 if resolution == 8 else np.dtype("<u2")
        return bytes([TYPE_EMG]) + arr.astype(dtype).tobytes()

    @staticmethod
    def fragment(packet: bytes, max_len: int) -> list[bytes]:
        """Split a packet into notifications of at most ``max_len`` bytes (unchanged if it
        fits), as ``FF | countdown id | content`` with the last id 0."""
        if len(packet) <= max_len:
            return [packet]
        room = max_len - 2
        if room < 1:
            raise ValueError("max_len must leave room for content after the 2-byte header")
        chunks = [packet[i : i + room] for i in range(0, len(packet), room)]
        if len(chunks) > 256:
            raise ValueError("a gForce packet splits into at most 256 fragments")
        last = len(chunks) - 1
        return [bytes([FRAGMENT, last - i]) + c for i, c in enumerate(chunks)]

    def encode_samples(self, counts: np.ndarray, start_index: int = 0) -> list[bytes]:
        """Packets of `samples_per_packet` rows, fragmented to `max_notification` if set."""
        arr = np.asarray(counts)
        out: list[bytes] = []
        for i in range(0, arr.shape[0], self.samples_per_packet):
            packet = self.encode(arr[i : i + self.samples_per_packet], resolution=self.resolution)
            out.extend(self.fragment(packet, self.max_notification or len(packet)))
        return out
