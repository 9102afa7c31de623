"""What the codecs share once bytes or notifications are in: buffering, resync, packet runs.

A byte stream may be split or merged anywhere by the transport, so a byte-stream codec keeps
what it has not decided yet together with when each byte arrived (`ArrivalTimes`), and
`feed` / `flush` are the same for all of them: append, then decide. The codecs with a sync word
(Cyton's ``A0``, EMGF's ``A5 5A``) also hunt for a frame the same way (`ByteStreamCodec._hunt`);
only what makes a candidate a frame differs. Whatever the framing, accepted frames with no gap
between them leave as one packet (`gapless_runs`), and codecs without a counter turn what their
timing tracker released into packets one way (`timed_packets`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from firmware_bridge.protocols.arrival import ArrivalTimes
from firmware_bridge.protocols.base import Codec, DecoderStats, Gap, Packet
from firmware_bridge.protocols.gaps import TimingGapTracker

Timed = tuple[np.ndarray, float | None]
"""What a counter-less codec holds in its `TimingGapTracker`: a packet's counts and host time."""


class ByteStreamCodec(Codec):
    """A codec over a byte stream: bytes wait in `_buf`, stamped with their arrival times,
    until `_drain` has accepted them in a frame or counted them as skipped."""

    def __init__(self, n_channels: int = 0, fs: float | None = None) -> None:
        super().__init__(n_channels, fs)
        self._buf = bytearray()
        self._arrival = ArrivalTimes()

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes, *, host_time: float | None = None) -> list[Packet]:
        self._buf += data
        self._arrival.append(len(data), host_time)
        return self._drain(final=False)

    def flush(self) -> list[Packet]:
        return self._drain(final=True)

    @abstractmethod
    def _drain(self, *, final: bool) -> list[Packet]:
        """Decide what the buffer allows (at `final`, everything) and return the packets."""

    def _consume(self, n_bytes: int) -> None:
        """Drop the first `n_bytes` of the buffer, which `_drain` has decided."""
        del self._buf[:n_bytes]
        self._arrival.consume(n_bytes)

    def _hunt(
        self,
        sync: bytes,
        final: bool,
        *,
        judge: Callable[[int], int | None],
        accept: Callable[[int, int], None],
        skip: Callable[[int], None],
        reject: Callable[[], None] = lambda: None,
    ) -> int:
        """Walk the buffer from its start, frame by frame, resynchronising on `sync`.

        Bytes before a sync are passed to `skip`. `judge(pos)` tells whether a frame starts at
        the sync at `pos`: its length, -1 if not, None to wait for more bytes. A rejected sync
        is counted as one bad frame of one byte (then `reject` runs) and the hunt goes on at
        the next byte, because a real frame may start inside a false one: so an intact frame
        is never lost to the garbage before it. An accepted frame goes to `accept(pos,
        length)` whole. Unless `final`, a tail that may begin a sync split across chunks is
        kept. Returns how many bytes were decided (for `_consume`).
        """
        buf = self._buf
        pos = 0
        while True:
            start = buf.find(sync, pos)
            if start < 0:
                end = len(buf)
                keep = 0 if final else _sync_prefix_at_end(buf, pos, sync)
                skip(end - keep - pos)
                return end - keep
            skip(start - pos)
            pos = start
            length = judge(pos)
            if length is None:
                return pos
            if length < 0:
                self._count_bad(1)
                reject()
                pos += 1
                continue
            accept(pos, length)
            pos += length


def _sync_prefix_at_end(buf: bytearray, pos: int, sync: bytes) -> int:
    """Length of the longest end of ``buf[pos:]`` that is a proper start of `sync`."""
    for k in range(min(len(sync) - 1, len(buf) - pos), 0, -1):
        if buf[len(buf) - k:] == sync[:k]:
            return k
    return 0


def gapless_runs(
    samples: np.ndarray,
    first_index: Sequence[int],
    gaps: Sequence[Gap],
    host_times: Sequence[float | None],
    aux: np.ndarray,
) -> list[Packet]:
    """One packet per run of frames with no gap between them (row i of each argument is frame
    i): consumers rebuild the timeline from lengths and `gap_before`, so merging loses nothing
    and saves a packet per frame."""
    out: list[Packet] = []
    a = 0
    for i in range(1, len(gaps) + 1):
        if i < len(gaps) and gaps[i] == 0:
            continue
        out.append(
            Packet(
                samples=samples[a:i],
                first_index=first_index[a],
                gap_before=gaps[a],
                host_time=host_times[i - 1],
                aux=aux[a:i],
            )
        )
        a = i
    return out


def timed_packets(
    stats: DecoderStats,
    timing: TimingGapTracker[Timed],
    released: list[tuple[Timed, Gap]],
) -> list[Packet]:
    """Packets for what a counter-less codec's timing tracker released (its gap now decided),
    accounted in `stats` with the tracker's stall count."""
    out = []
    for (samples, host_time), gap in released:
        stats.add_gap(gap)
        out.append(Packet(samples=samples, first_index=None, gap_before=gap,
                          host_time=host_time))
    stats.stalls = timing.stalls
    return out
