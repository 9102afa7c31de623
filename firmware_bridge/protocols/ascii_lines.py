"""Decimal text lines from an Arduino/ESP32 reading a MyoWare (docs/devices.md, ASCII lines).

No standard exists; vendor sketches print one ADC value per line. We accept
``[seq,][t_us,]v0[,v1...]`` with which leading fields exist set by the caller. Any of ``\\n``,
``\\r`` and ``\\r\\n`` ends a line; empty lines are ignored. A line is bad (counted, its bytes
skipped) when it has the wrong number of fields, a field that is not a plain ASCII integer, a
value outside ``0 .. 2^bits - 1`` (with ``check_range``), or more than ``max_line`` bytes.
A line cut off by the end of the stream is bad at `flush` (it may be a truncated number).

Gaps, best evidence first:
* ``seq``: exact (``seq_modulus`` if the sketch's counter wraps, bounded by host time then);
  a counter going backwards is a device restart.
* ``t_us`` without seq: bounded from device timestamps and ``fs`` (half a period tolerance);
  ``micros()`` wraps at 2^32 µs and is unwrapped.
* neither: bounded from host receive times (`TimingGapTracker`), which needs ``fs``: a
  shortfall that a burst of late lines makes up is a host stall, not a loss, so lines are held
  (at most ``settle_s``) while that is undecided. Failing ``fs``, ``k`` bad lines since the last
  good one give the bound ``(0, k)`` (each may have been a sample), so a discarded line is
  never a silent loss.

Text offers no integrity check, so a corrupted line that still parses cannot be caught; the
range check and the field count are the only defences. Prefer EMGF for anything serious.
µV = (ADC * Vref / 2^bits - Vref / 2) / gain * 10^6 (MyoWare RAW: mid-rail, ~200x gain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from firmware_bridge.protocols.base import Codec, Gap, Packet
from firmware_bridge.protocols.gaps import (
    DEFAULT_SETTLE_S,
    CounterGapTracker,
    TimingGapTracker,
)

_EOL = re.compile(rb"[\r\n]")
_INT = re.compile(rb"[ \t]*([+-]?[0-9]+)[ \t]*")
_US_MODULUS = 1 << 32
_UNBOUNDED = 1 << 64


@dataclass(slots=True)
class _Row:
    values: list[int]
    seq: int | None
    t_us: int | None
    gap: Gap
    restart: bool
    host_time: float | None = None
    bad_before: int = 0
    """Bad lines just before this one (each may have been a sample)."""


class AsciiLinesCodec(Codec):
    """Incremental decoder/encoder for comma-separated decimal sample lines."""

    name: ClassVar[str] = "ascii"

    def __init__(
        self,
        n_channels: int = 1,
        *,
        has_seq: bool = False,
        has_time: bool = False,
        fs: float | None = None,
        vref: float = 5.0,
        bits: int = 10,
        gain: float = 200.0,
        seq_modulus: int | None = None,
        jitter_s: float = 0.1,
        settle_s: float = DEFAULT_SETTLE_S,
        max_line: int = 256,
        check_range: bool = True,
    ) -> None:
        super().__init__(n_channels, fs)
        self.has_seq = has_seq
        self.has_time = has_time
        self.vref, self.bits, self.gain = vref, bits, gain
        self.seq_modulus = seq_modulus
        self.max_line = max_line
        self.check_range = check_range
        self._n_fields = n_channels + int(has_seq) + int(has_time)
        modulus = seq_modulus or _UNBOUNDED
        self._seq_gaps = CounterGapTracker(
            modulus,
            fs=fs,
            jitter_s=jitter_s,
            restart_threshold=modulus // 2 if modulus >= 1 << 16 else None,
        )
        self._timing: TimingGapTracker[_Row] = TimingGapTracker(fs, jitter_s, settle_s)
        # device timestamps are not delayed by a host stall: decide each line at once
        self._dev_timing: TimingGapTracker[None] = TimingGapTracker(
            fs, 0.5 / fs if fs else 0.0, settle_s=0.0
        )
        self._buf = bytearray()
        self._discarding = False
        self._bad_lines = 0  # bad lines since the last good one: each may have been a sample
        self._last_host_time: float | None = None
        self._now: float | None = None  # host time of the chunk being decoded
        self._last_t_us: int | None = None
        self._dev_clock = 0.0  # unwrapped device time, seconds
        self._first_host: tuple[float, int] | None = None
        self._n_received = 0

    @property
    def fs(self) -> float | None:
        """The given rate, else an estimate from device (or host) times once there is one."""
        if self._fs:
            return self._fs
        if self.has_time and self._dev_clock > 0 and self._n_received > 1:
            return (self._n_received - 1) / self._dev_clock
        if self._first_host is not None and self._last_host_time is not None:
            t0, n0 = self._first_host
            if self._last_host_time > t0 and self._n_received > n0:
                return (self._n_received - n0) / (self._last_host_time - t0)
        return None

    @property
    def uv_per_count(self) -> float:
        return self.vref / 2.0**self.bits / self.gain * 1e6

    @property
    def zero_count(self) -> float:
        return 2.0 ** (self.bits - 1)

    @property
    def count_range(self) -> tuple[int, int]:
        return (0, (1 << self.bits) - 1)

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)

    # ---- decoding ---------------------------------------------------------------------------

    def feed(self, data: bytes, *, host_time: float | None = None) -> list[Packet]:
        # A line is complete when its terminator arrives, which is always in this chunk.
        self._now = host_time
        if host_time is not None:
            self._last_host_time = host_time
            if self._first_host is None:
                self._first_host = (host_time, self._n_received)
        self._buf += data
        rows: list[_Row] = []
        pos = 0
        while True:
            m = _EOL.search(self._buf, pos)
            if m is None:
                break
            end = m.start()
            if self._discarding:
                self._count_bad(end + 1 - pos)
                self._discarding = False
            else:
                rows += self._line(bytes(self._buf[pos:end]))
            pos = end + 1
        tail = len(self._buf) - pos
        if tail > self.max_line:  # no terminator in sight: do not buffer forever
            self._count_skipped(tail)
            self._discarding = True
            pos = len(self._buf)
        del self._buf[:pos]
        return self._packets(rows)

    def flush(self) -> list[Packet]:
        """A line without its terminator may be a truncated number: count it as bad. Lines
        held while a late arrival was undecided (no seq, no t_us) are released."""
        if self._buf or self._discarding:
            self._count_bad(len(self._buf))
            self._buf.clear()
            self._discarding = False
        return self._packets(self._settled(self._timing.flush()))

    def _count_bad(self, n_bytes: int) -> None:
        super()._count_bad(n_bytes)
        self._bad_lines += 1

    def _line(self, line: bytes) -> list[_Row]:
        """The rows this line completes: itself, or none (bad, or held by the host-timing
        tracker), or earlier held rows as well."""
        if not line:
            self._stats.bytes_ok += 1  # a bare terminator (e.g. the \n of \r\n)
            return []
        fields = line.split(b",")
        parsed = [_INT.fullmatch(f) for f in fields]
        if len(line) > self.max_line or len(fields) != self._n_fields or not all(parsed):
            self._count_bad(len(line) + 1)
            return []
        ints = [int(m.group(1)) for m in parsed if m is not None]
        lead = int(self.has_seq) + int(self.has_time)
        values = ints[lead:]
        seq = ints[0] if self.has_seq else None
        t_us = ints[lead - 1] if self.has_time else None
        top = 1 << self.bits
        if (
            (seq is not None and seq < 0)
            or (t_us is not None and t_us < 0)
            or (self.check_range and any(not 0 <= v < top for v in values))
        ):
            self._count_bad(len(line) + 1)
            return []
        self._count_ok(len(line) + 1)
        self._n_received += 1
        row = _Row(values, seq, t_us, 0, False, self._now)
        bad, self._bad_lines = self._bad_lines, 0
        if seq is None and t_us is None:
            row.bad_before = bad
            self._timing.fs = self.fs
            return self._settled(self._timing.update(row, 1, self._now))
        row.gap, row.restart = self._gap(seq, t_us)
        return self._settled([(row, row.gap)])

    def _settled(self, released: list[tuple[_Row, Gap]]) -> list[_Row]:
        """Rows whose gap is decided: account them."""
        for row, gap in released:
            if gap == 0 and row.bad_before:
                gap = (0, row.bad_before)  # discarded lines may each have carried a sample
            row.gap = gap
            self._stats.add_gap(gap)
            self._stats.restarts += int(row.restart)
        self._stats.stalls = self._timing.stalls
        return [row for row, _ in released]

    def _gap(self, seq: int | None, t_us: int | None) -> tuple[Gap, bool]:
        fs = self.fs
        if seq is not None:
            self._seq_gaps.fs = fs
            if t_us is not None:
                self._advance_clock(t_us)
            return self._seq_gaps.update(seq, 1, self._now)
        assert t_us is not None
        restart = self._advance_clock(t_us)
        if restart:
            self._dev_timing.reset()
        self._dev_timing.fs = fs
        self._dev_timing.jitter_s = 0.5 / fs if fs else 0.0
        ((_, gap),) = self._dev_timing.update(None, 1, self._dev_clock)
        return gap, restart

    def _advance_clock(self, t_us: int) -> bool:
        """Unwrap ``micros()``; a jump of more than half its range is a restart."""
        if self._last_t_us is None:
            self._last_t_us = t_us
            return False
        delta = (t_us - self._last_t_us) % _US_MODULUS
        self._last_t_us = t_us
        if delta >= _US_MODULUS // 2:
            return True
        self._dev_clock += delta / 1e6
        return False

    def _packets(self, rows: list[_Row]) -> list[Packet]:
        """Merge consecutive lines into blocks; a gap or a restart starts a new block."""
        out: list[Packet] = []
        start = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and rows[i].gap == 0 and not rows[i].restart:
                continue
            head = rows[start]
            out.append(
                Packet(
                    samples=np.array([r.values for r in rows[start:i]], dtype=np.int64),
                    first_index=head.seq,
                    gap_before=head.gap,
                    host_time=rows[i - 1].host_time,
                    device_time_us=head.t_us,
                    restart=head.restart,
                )
            )
            start = i
        return out

    # ---- encoding ---------------------------------------------------------------------------

    @classmethod
    def encode(
        cls,
        values: Sequence[int] | np.ndarray,
        *,
        seq: int | None = None,
        t_us: int | None = None,
        line_ending: bytes = b"\n",
    ) -> bytes:
        """One line: ``[seq,][t_us,]v0[,v1...]`` and the line ending."""
        fields = [int(v) for v in np.asarray(values).ravel()]
        lead = [x for x in (seq, t_us) if x is not None]
        return ",".join(str(v) for v in [*lead, *fields]).encode("ascii") + line_ending

    def encode_samples(self, counts: np.ndarray, start_index: int = 0) -> list[bytes]:
        """One line per sample with the configured fields; ``t_us`` follows `fs` (mod 2^32)."""
        lines = []
        for i, row in enumerate(np.asarray(counts)):
            idx = start_index + i
            seq = idx % self.seq_modulus if self.seq_modulus else idx
            t_us = round(idx * 1e6 / self._fs) % _US_MODULUS if self._fs else 0
            lines.append(
                self.encode(
                    row,
                    seq=seq if self.has_seq else None,
                    t_us=t_us if self.has_time else None,
                )
            )
        return lines
