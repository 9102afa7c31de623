"""EMGF v1: the project's own frame format (docs/devices.md#emgf-v1).

Chosen for the reference firmware because every weakness of the vendor formats is fixed in it:
a 2-byte sync, a length, a 32-bit *sample* counter (gaps are exact), a device timestamp and a
real CRC-16. The byte stream may be split or merged anywhere by the transport (BLE NUS
notifications are at most MTU-3 bytes), so the decoder reassembles from a buffer.

Decoding rules, exactly as specified: search ``A5 5A``; read the 14-byte header; wait for the
whole frame; check the CRC; on a bad CRC or an impossible header skip ONE byte (counted) and
search again. Impossible here means: version != 1, length > 4096, or, for sample frames, an
inconsistent sample sub-header (no channels or no samples, unknown format, reserved != 0, or
length != 4 + n_samples * n_channels * bytes_per_value). The sub-header is checked as soon as
its 4 bytes are in, so a false sync in sample data does not stall the stream waiting for a
4 KB "frame". (A false sync posing as an info or marker frame can: real frames behind it wait
until its claimed length has arrived, at most 4 KB, or until `flush`.)

A frame type outside 0x01..0x03 is not treated as impossible: such a frame is CRC-checked and,
when valid, skipped WHOLE (counted as a bad frame, its bytes as skipped). docs/devices.md does not
define "impossible header" precisely; reading an unknown type as a later firmware's frame keeps
this decoder from resynchronising into that frame's payload (the reference firmware's tests
expect the same).

`bad_frames` counts rejected candidates (each false or corrupt ``A5 5A`` start), plus CRC-valid
frames that cannot be used (unknown type, undecodable JSON, a channel count different from the
stream's).
"""

from __future__ import annotations

import json
import logging
import math
import struct
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from firmware_bridge.protocols.base import Packet, PacketKind
from firmware_bridge.protocols.crc import crc16_ccitt_false
from firmware_bridge.protocols.gaps import CounterGapTracker
from firmware_bridge.protocols.stream import ByteStreamCodec

log = logging.getLogger(__name__)

SYNC = b"\xa5\x5a"
VERSION = 1
TYPE_SAMPLES = 0x01
TYPE_INFO = 0x02
TYPE_MARKER = 0x03
FORMAT_INT16 = 0x02
FORMAT_INT24 = 0x03
HEADER_LEN = 14
SAMPLE_HEADER_LEN = 4
CRC_LEN = 2
MAX_PAYLOAD = 4096
SEQ_MODULUS = 1 << 32

_HEADER = struct.Struct("<2sBBHII")
_BYTES_PER_VALUE = {FORMAT_INT16: 2, FORMAT_INT24: 3}
_LIMITS = {FORMAT_INT16: 1 << 15, FORMAT_INT24: 1 << 23}
_TYPES = (TYPE_SAMPLES, TYPE_INFO, TYPE_MARKER)


def _decode_values(raw: bytes | bytearray, fmt: int, n_samples: int, n_channels: int) -> np.ndarray:
    if fmt == FORMAT_INT16:
        values = np.frombuffer(raw, dtype="<i2").astype(np.int64)
    else:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
        values = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        values = (values ^ 0x800000) - 0x800000  # sign-extend 24-bit two's complement
    return values.reshape(n_samples, n_channels)


def _encode_values(samples: np.ndarray, fmt: int) -> bytes:
    if fmt == FORMAT_INT16:
        return samples.astype("<i2").tobytes()
    v = samples.astype(np.int64).ravel() & 0xFFFFFF
    b = np.stack([v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF], axis=1).astype(np.uint8)
    return b.tobytes()


class EmgfCodec(ByteStreamCodec):
    """Incremental EMGF v1 decoder/encoder.

    ``uv_per_count`` is the scale used until an info frame states one; ``n_channels`` and
    ``fs`` likewise until the info frame or, for ``n_channels``, the first sample frame.
    The latest info object is kept in `info` and also surfaced as an INFO packet, in stream
    order, so a recorder can store it where it arrived.
    """

    name: ClassVar[str] = "emgf"
    counter_modulus: ClassVar[int | None] = SEQ_MODULUS

    def __init__(
        self,
        *,
        n_channels: int | None = None,
        fs: float | None = None,
        uv_per_count: float = 1.0,
        channels: list[str] | None = None,
    ) -> None:
        super().__init__(fs=fs)
        # Until a frame or info fixes it the count is unknown (None), not 0 channels.
        self._n_channels = (
            n_channels if n_channels is not None else (len(channels) if channels else None)
        )
        self._uv_per_count = float(uv_per_count)
        self.channels: list[str] | None = channels
        self.info: dict[str, Any] | None = None
        self._shape_locked = False  # a samples frame was accepted: the channel count is fixed
        self._shape_warned = False
        # 2^32 samples is 24 days at 2 kHz: a huge jump forward is a restart, not a loss.
        self._gaps = CounterGapTracker(SEQ_MODULUS, fs=fs, restart_threshold=SEQ_MODULUS // 2)

    # ---- properties -------------------------------------------------------------------------

    @property
    def n_channels(self) -> int:
        return self._n_channels or 0

    @property
    def uv_per_count(self) -> float:
        return self._uv_per_count

    @property
    def count_range(self) -> tuple[int, int]:
        """The int16 range (the default format; int24 frames carry more)."""
        return (-(1 << 15), (1 << 15) - 1)

    # ---- decoding ---------------------------------------------------------------------------

    def flush(self) -> list[Packet]:
        """Decode whatever complete frames remain behind a stalled false sync, then count the
        truncated tail as skipped."""
        return super().flush()

    def _drain(self, *, final: bool) -> list[Packet]:
        out: list[Packet] = []

        def accept(pos: int, total: int) -> None:
            packet = self._accept(self._buf, pos, total)
            if packet is not None:
                out.append(packet)

        # A trailing A5 may be the first half of a sync split across chunks: `_hunt` keeps it.
        pos = self._hunt(SYNC, final,
                         judge=lambda pos: self._check_candidate(self._buf, pos, final),
                         accept=accept, skip=self._count_skipped)
        self._consume(pos)
        return out

    def _check_candidate(self, buf: bytearray, pos: int, final: bool) -> int | None:
        """Total frame length if a valid frame starts at ``pos``; -1 if not; None to wait."""
        avail = len(buf) - pos
        if avail < HEADER_LEN:
            return -1 if final else None
        _, version, ftype, raw_length, _, _ = _HEADER.unpack_from(buf, pos)
        length = int(raw_length)
        if version != VERSION or length > MAX_PAYLOAD:
            return -1
        if ftype == TYPE_SAMPLES:
            if length < SAMPLE_HEADER_LEN:
                return -1
            if avail < HEADER_LEN + SAMPLE_HEADER_LEN:
                return -1 if final else None
            n_ch, n_s, fmt, reserved = buf[pos + HEADER_LEN : pos + HEADER_LEN + 4]
            bpv = _BYTES_PER_VALUE.get(fmt)
            if (
                bpv is None
                or reserved != 0
                or n_ch == 0
                or n_s == 0
                or length != SAMPLE_HEADER_LEN + n_ch * n_s * bpv
            ):
                return -1
        total = HEADER_LEN + length + CRC_LEN
        if avail < total:
            return -1 if final else None
        body_end = pos + HEADER_LEN + length
        (crc,) = struct.unpack_from("<H", buf, body_end)
        if crc != crc16_ccitt_false(memoryview(buf)[pos + 2 : body_end]):
            return -1
        return total

    def _accept(self, buf: bytearray, pos: int, total: int) -> Packet | None:
        _, _, ftype, length, seq, t_us = _HEADER.unpack_from(buf, pos)
        payload = bytes(buf[pos + HEADER_LEN : pos + HEADER_LEN + length])
        host_time = self._arrival.time_at(pos + total - 1)
        if ftype not in _TYPES:
            self._count_bad(total)  # a later firmware's frame type: not ours, but not lost
            return None
        if ftype == TYPE_SAMPLES:
            return self._accept_samples(payload, seq, t_us, total, host_time)
        try:
            message = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._count_bad(total)  # CRC-valid, so the frame boundary is trusted: drop it whole
            return None
        if ftype == TYPE_INFO:
            if not isinstance(message, dict):
                self._count_bad(total)
                return None
            self._apply_info(message)
            kind = PacketKind.INFO
        else:
            kind = PacketKind.MARKER
        self._count_ok(total)
        return Packet(
            samples=np.zeros((0, self.n_channels), dtype=np.int64),
            first_index=None,
            host_time=host_time,
            device_time_us=t_us,
            kind=kind,
            message=message,
        )

    def _accept_samples(
        self, payload: bytes, seq: int, t_us: int, total: int, host_time: float | None
    ) -> Packet | None:
        n_ch, n_s, fmt, _ = payload[:SAMPLE_HEADER_LEN]
        if self._n_channels is None:
            self._n_channels = n_ch
        elif n_ch != self._n_channels:
            # Blocks of one stream must share a shape; the next frame's seq shows the loss.
            if not self._shape_warned:
                log.warning("emgf: sample frames now carry %d channels, the session has %d: "
                            "dropping them (counted as bad frames)", n_ch, self._n_channels)
                self._shape_warned = True
            self._count_bad(total)
            return None
        self._shape_locked = True
        samples = _decode_values(payload[SAMPLE_HEADER_LEN:], fmt, n_s, n_ch)
        gap, restart = self._gaps.update(seq, n_s, host_time)
        self._count_ok(total)
        self._stats.add_gap(gap)
        self._stats.restarts += int(restart)
        self._stats.counter_jumps = self._gaps.jumps
        # This frame's fields by keyword: alike in shape only to other records' construction.
        return Packet(
            samples=samples,
            first_index=seq,
            gap_before=gap,
            host_time=host_time,
            device_time_us=t_us,
            restart=restart,
        )

    def _apply_info(self, info: dict[str, Any]) -> None:
        self.info = info
        fs = info.get("fs")
        if isinstance(fs, int | float) and math.isfinite(fs) and fs > 0:  # not inf, not NaN
            self._fs = float(fs)
            self._gaps.fs = self._fs
        uv = info.get("uv_per_count")
        if isinstance(uv, int | float) and uv > 0:
            self._uv_per_count = float(uv)
        channels = info.get("channels")
        if self._shape_locked and isinstance(channels, list) and len(channels) != self.n_channels:
            channels = None  # samples came with the old shape: the session keeps it
        if isinstance(channels, list) and channels:
            self.channels = [str(c) for c in channels]
            self._n_channels = len(channels)

    # ---- encoding ---------------------------------------------------------------------------

    @staticmethod
    def encode_frame(frame_type: int, payload: bytes, *, seq: int = 0, t_us: int = 0) -> bytes:
        """One complete frame (header, payload, CRC) of any type."""
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"EMGF payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD}")
        header = _HEADER.pack(
            SYNC, VERSION, frame_type, len(payload), seq % SEQ_MODULUS, t_us % SEQ_MODULUS
        )
        crc = crc16_ccitt_false(header[2:] + payload)
        return header + payload + struct.pack("<H", crc)

    @classmethod
    def encode(
        cls, samples: np.ndarray, *, seq: int = 0, t_us: int = 0, fmt: int = FORMAT_INT16
    ) -> bytes:
        """A samples frame; ``samples`` is ``(n_samples, n_channels)`` integer counts.

        >>> EmgfCodec.encode(np.array([[1, -1], [256, -256]]), seq=1000, t_us=500000).hex(" ")
        'a5 5a 01 01 0c 00 e8 03 00 00 20 a1 07 00 02 02 02 00 01 00 ff ff 00 01 00 ff d1 c3'
        """
        arr = np.asarray(samples)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"samples must be (n_samples, n_channels), got shape {arr.shape}")
        if fmt not in _BYTES_PER_VALUE:
            raise ValueError(f"unknown EMGF sample format {fmt:#04x}")
        n_s, n_ch = arr.shape
        if n_s > 255 or n_ch > 255:
            raise ValueError("EMGF frames carry at most 255 samples of at most 255 channels")
        lim = _LIMITS[fmt]
        if arr.size and (int(arr.min()) < -lim or int(arr.max()) >= lim):
            raise ValueError(f"sample values out of range for format {fmt:#04x}")
        payload = bytes([n_ch, n_s, fmt, 0]) + _encode_values(arr, fmt)
        return cls.encode_frame(TYPE_SAMPLES, payload, seq=seq, t_us=t_us)

    @classmethod
    def encode_info(cls, info: Mapping[str, Any]) -> bytes:
        """An info frame (compact UTF-8 JSON), as sent after ``i`` and at stream start."""
        text = json.dumps(dict(info), separators=(",", ":"), ensure_ascii=False)
        return cls.encode_frame(TYPE_INFO, text.encode("utf-8"))

    @classmethod
    def encode_marker(cls, marker: Any, *, t_us: int = 0) -> bytes:
        """An event/marker frame carrying any JSON value."""
        text = json.dumps(marker, separators=(",", ":"), ensure_ascii=False)
        return cls.encode_frame(TYPE_MARKER, text.encode("utf-8"), t_us=t_us)

    def encode_samples(
        self,
        counts: np.ndarray,
        start_index: int = 0,
        *,
        fmt: int = FORMAT_INT16,
        max_samples_per_frame: int = 32,
    ) -> list[bytes]:
        """Frames of at most ``max_samples_per_frame`` samples; ``t_us`` follows `fs`
        (0 when unknown)."""
        arr = np.asarray(counts)
        bpv = _BYTES_PER_VALUE[fmt]
        per_frame = min(max_samples_per_frame, 255, (MAX_PAYLOAD - 4) // (bpv * arr.shape[1]))
        frames = []
        for i in range(0, arr.shape[0], per_frame):
            idx = start_index + i
            t_us = round(idx * 1e6 / self._fs) if self._fs else 0
            frames.append(self.encode(arr[i : i + per_frame], seq=idx, t_us=t_us, fmt=fmt))
        return frames
