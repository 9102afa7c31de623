"""OpenBCI Cyton 33-byte packets over the RFduino dongle (docs/devices.md#openbci-cyton).

``A0 | counter | 8 x int24 big-endian | 6 aux bytes | stop C0..C6``. There is no checksum, and
``A0`` also occurs inside sample data, so framing rests on structure alone:

* always: the stop byte 32 bytes after ``A0`` is valid AND one confirmation: the byte after
  the packet is the next ``A0`` (waiting for that byte costs 4 ms at 250 Hz; it turns the
  7/256 chance that a false ``A0`` passes into about 7/65536), or, right after an accepted
  packet, this packet's counter is the previous one + 1 (as unlikely by chance: 1/256). The
  counter is what keeps a real packet followed by junk: waiting for an ``A0`` alone discarded
  it and counted it as lost;
* while hunting (any byte was skipped since the last accepted packet): the next ``A0`` AND
  either the successor's counter is this packet's counter + 1 or this counter continues the
  previous packet's. A false ``A0`` inside a real packet whose would-be
  stop byte falls on junk just before a real packet otherwise passes both checks above
  about once in 256 such cases; the counter makes it ~1/65536. Cost: after a break, a real
  packet followed by a radio drop is discarded too (it shows in the gap).

Without a checksum nothing is certain: junk shaped exactly like a packet is a packet. Measured
here (stream of random packets, 1-4 junk blobs of up to 32 bytes inserted between packets):
no false packet in 20 000 streams with uniform random junk; 13 in 20 000 with junk made half
of the bytes the checks look for (A0, C0, C6, 00, 01, FF), all of them junk that starts right
after a packet, where the counter check is not applied so that a radio drop (the common loss)
costs no extra packet.

At `flush` checks that need bytes beyond the end are waived (the final packet has no
successor). A rejected candidate skips one byte and counts one bad frame. Decisions depend
only on the bytes, never on where the transport split them, so any chunking decodes
identically. The stream's first byte is taken as a packet boundary (the board streams only
after ``b``, into a freshly flushed port).

Gaps: the dongle's radio drops *whole* packets, so a run of 256 lost packets leaves the 8-bit
counter looking continuous. Without host times the gap is the counter difference (exact for
fewer than 256 lost). With ``host_time`` the elapsed receive time bounds how many wraps could
hide in it; when one could, the gap becomes a ``(min, max)`` bound (gaps.py has the model).
Daisy (16 channels at 125 Hz on alternating packets) is not handled by this codec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from firmware_bridge.protocols.base import Gap, Packet
from firmware_bridge.protocols.gaps import CounterGapTracker
from firmware_bridge.protocols.stream import ByteStreamCodec, gapless_runs

HEADER = 0xA0
_SYNC = bytes([HEADER])
STOP_MIN = 0xC0
STOP_MAX = 0xC6
STOP_ACCEL = 0xC0
PACKET_LEN = 33
N_CHANNELS = 8
AUX_LEN = 6
FS = 250.0
DEFAULT_GAIN = 24
ADC_FULL_SCALE = (1 << 23) - 1
VREF_V = 4.5


def cyton_uv_per_count(gain: int = DEFAULT_GAIN) -> float:
    """µV per count = 4.5 V / gain / (2^23 - 1) x 10^6 (≈ 0.02235 at the default gain 24)."""
    return VREF_V / gain / ADC_FULL_SCALE * 1e6


class CytonCodec(ByteStreamCodec):
    """Incremental OpenBCI Cyton decoder/encoder (8 channels, 250 Hz).

    ``jitter_s`` is the worst delivery-latency spread assumed when bounding counter wraps; the
    default 0.5 s covers FTDI's default batching (~0.5 s chunks). Set it lower when the
    latency timer is 1 ms.
    """

    name: ClassVar[str] = "cyton"
    counter_modulus: ClassVar[int | None] = 256

    def __init__(self, *, gain: int = DEFAULT_GAIN, jitter_s: float = 0.5) -> None:
        super().__init__(N_CHANNELS, FS)
        self.gain = gain
        self._gaps = CounterGapTracker(256, fs=FS, jitter_s=jitter_s)
        self._locked = True  # the stream's first byte is taken as a packet boundary
        self._last_counter: int | None = None  # counter of the last accepted packet

    # The rest of the Codec interface (n_channels and fs are the base's): alike in shape only.
    @property
    def uv_per_count(self) -> float:
        return cyton_uv_per_count(self.gain)

    @property
    def count_range(self) -> tuple[int, int]:
        return (-(1 << 23), (1 << 23) - 1)

    def _drain(self, *, final: bool) -> list[Packet]:
        accepted: list[int] = []

        def judge(pos: int) -> int | None:
            verdict = self._verdict(pos, final)
            return None if verdict is None else PACKET_LEN if verdict else -1

        def accept(pos: int, length: int) -> None:
            accepted.append(pos)
            self._last_counter = self._buf[pos + 1]
            self._count_ok(length)
            self._locked = True

        def reject() -> None:
            self._locked = False

        pos = self._hunt(_SYNC, final, judge=judge, accept=accept, skip=self._skip, reject=reject)
        out = self._packets(self._buf, accepted)
        self._consume(pos)
        return out

    def _skip(self, n: int) -> None:
        if n:
            self._count_skipped(n)
            self._locked = False

    def _verdict(self, pos: int, final: bool) -> bool | None:
        """Whether the ``A0`` at ``pos`` starts a packet; None to wait for more bytes.

        Needed: the stop byte, then, locked, the next header right after the packet or a counter
        that continues the previous packet's; while hunting (bytes were skipped since the last
        packet), the next header and a second confirmation (successor counter one higher, or
        this counter continuing the sequence). What lies beyond the end of the stream is not
        required at `flush`.
        """
        buf = self._buf
        avail = len(buf) - pos
        if avail >= PACKET_LEN and not STOP_MIN <= buf[pos + PACKET_LEN - 1] <= STOP_MAX:
            return False
        continues = (
            self._last_counter is not None and buf[pos + 1] == (self._last_counter + 1) & 0xFF
            if avail > 1
            else False
        )
        if self._locked and continues and avail >= PACKET_LEN:
            return True
        if avail > PACKET_LEN and buf[pos + PACKET_LEN] != HEADER:
            return False
        need = PACKET_LEN + (1 if self._locked or continues else 2)
        if avail < need and not final:
            return None
        if avail < PACKET_LEN:
            return False
        if not self._locked and not continues and avail > PACKET_LEN + 1:
            return buf[pos + PACKET_LEN + 1] == (buf[pos + 1] + 1) & 0xFF
        return True

    def _packets(self, buf: bytearray, starts: list[int]) -> list[Packet]:
        """Decode accepted packets in one numpy pass; merge gapless runs into blocks."""
        if not starts:
            return []
        frames = np.frombuffer(
            b"".join(bytes(buf[s : s + PACKET_LEN]) for s in starts), dtype=np.uint8
        ).reshape(-1, PACKET_LEN)
        b = frames[:, 2 : 2 + 3 * N_CHANNELS].reshape(-1, N_CHANNELS, 3).astype(np.int64)
        values = (b[..., 0] << 16) | (b[..., 1] << 8) | b[..., 2]
        values = (values ^ 0x800000) - 0x800000
        aux = frames[:, 2 + 3 * N_CHANNELS :].copy()
        counters = frames[:, 1].astype(int).tolist()
        times = [self._arrival.time_at(s + PACKET_LEN - 1) for s in starts]
        gaps: list[Gap] = []
        for counter, t in zip(counters, times, strict=True):
            gap, _ = self._gaps.update(counter, 1, t)
            self._stats.add_gap(gap)
            gaps.append(gap)
        return gapless_runs(values, counters, gaps, times, aux)

    @classmethod
    def encode(
        cls,
        counter: int,
        channels: Sequence[int] | np.ndarray,
        *,
        aux: bytes = bytes(AUX_LEN),
        stop: int = STOP_ACCEL,
    ) -> bytes:
        """One 33-byte packet: ``counter`` (mod 256), 8 signed 24-bit counts, aux, stop byte."""
        values = [int(v) for v in np.asarray(channels).ravel()]
        if len(values) != N_CHANNELS:
            raise ValueError(f"Cyton packets carry {N_CHANNELS} channels, got {len(values)}")
        if any(v < -(1 << 23) or v >= 1 << 23 for v in values):
            raise ValueError("Cyton channel values must fit in signed 24 bits")
        if len(aux) != AUX_LEN or not STOP_MIN <= stop <= STOP_MAX:
            raise ValueError("Cyton aux must be 6 bytes and the stop byte 0xC0..0xC6")
        body = b"".join((v & 0xFFFFFF).to_bytes(3, "big") for v in values)
        return bytes([HEADER, counter & 0xFF]) + body + bytes(aux) + bytes([stop])

    def encode_samples(self, counts: np.ndarray, start_index: int = 0) -> list[bytes]:
        """One packet per sample, counter ``start_index + i`` (mod 256)."""
        return [self.encode(start_index + i, row) for i, row in enumerate(np.asarray(counts))]
