"""`StreamDecoder`: transport events in, `SampleBlock`s out — the one decoding path.

Live sources and capture replays both drive this class with the same event sequence
(`events.py`), so a replay is bit-identical to the session it recorded. It owns one codec for
the whole session, across reconnects, because the codec's counter state is what turns an outage
into an exact gap: after a reconnect the first frame's counter says how many samples the device
produced meanwhile (EMGF: exactly; Cyton and BITalino: modulo their short counters, with the
host-time bound on wraps that the codec computes).

What this layer adds on top of the codec:

* µV, channel names and rate (from the codec, or the device registry's defaults);
* one number to act on for every gap (`gap_estimate`), chosen inside the codec's bound from the
  host receive times (`choose_estimate`) — except a counterless device's *possible* loss
  (lower bound 0: the codec could not tell a loss from a stall), which is acted on as 0, so the
  timeline and the recording invent no gap the device may never have had;
* a host-time bound where the codec can say nothing: a device counter that went backwards
  (restart) leaves continuity unknown, so the time since the previous block bounds the loss;
* a flush of the codec when the link drops, so a frame cut by the unplug is counted as skipped
  bytes now rather than glued to the first bytes after the reconnect;
* the stream timeline (`stream_index`) and the session counts (`SourceStats`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from firmware_bridge.protocols.base import Codec, Gap, Packet, PacketKind, gap_bounds
from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.events import LinkDown, LinkUp, Received, Sent, TransportEvent
from firmware_bridge.transports.source import SourceStats

log = logging.getLogger(__name__)

DEFAULT_RESTART_JITTER_S = 0.5
"""Delivery-latency spread assumed when bounding the loss at a device restart (covers FTDI's
default ~0.5 s batching; too small would claim certainty the host clock cannot give)."""


MAX_WAITING_PACKETS = 2000
"""Sample packets held while a self-describing device has not stated its rate yet."""


def timing_bound(dt: float, n_samples: int, fs: float, jitter_s: float) -> Gap:
    """Samples missing before a block of ``n_samples`` received ``dt`` s after the previous one,
    when only host time is known: the last samples of both blocks were generated within
    ``jitter_s`` of their receipt, so ``dt ± jitter_s`` seconds of samples separate them."""
    lo = max(0, math.ceil((dt - jitter_s) * fs - n_samples - 1e-9))
    hi = max(lo, math.floor((dt + jitter_s) * fs - n_samples + 1e-9))
    return (lo, hi) if hi > 0 else 0


def choose_estimate(
    gap: Gap, elapsed_estimate: float | None, lattice: int | None = None
) -> int:
    """The value inside ``gap`` to act on.

    Exact gaps are themselves. A bound from a wrapping counter allows only ``lo + k * lattice``
    (the counter pins the loss modulo its range), so the candidate nearest the host-time
    estimate is taken; a timing-only bound takes the rounded time estimate, clamped. Without
    timing evidence the lower bound is taken: it is what the counter says if nothing wrapped.
    """
    lo, hi = gap_bounds(gap)
    if lo == hi or elapsed_estimate is None:
        return lo
    if lattice:
        k = round((elapsed_estimate - lo) / lattice)
        return lo + lattice * min(max(k, 0), (hi - lo) // lattice)
    return min(max(round(elapsed_estimate), lo), hi)


class StreamDecoder:
    """Decode one device session's transport events into `SampleBlock`s.

    Parameters
    ----------
    codec : the protocol codec (kept for the whole session).
    channels, fs : defaults for devices whose wire does not name them (the registry's values);
        the codec's own values win when it has them (EMGF info frames).
    channel_keyword : for message-framed codecs that need to know which transport channel a
        message came on (Myo: ``"char_index"``), the `feed` keyword to pass it as.
    restart_jitter_s : see `DEFAULT_RESTART_JITTER_S`.
    clock : where `SampleBlock.arrival` comes from.
    """

    def __init__(
        self,
        codec: Codec,
        *,
        channels: Sequence[str] | None = None,
        fs: float | None = None,
        channel_keyword: str | None = None,
        restart_jitter_s: float = DEFAULT_RESTART_JITTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.codec = codec
        self._default_channels = tuple(channels) if channels else None
        self._default_fs = fs
        self._channel_keyword = channel_keyword
        self._restart_jitter_s = restart_jitter_s
        self._clock = clock
        self.fs: float | None = None
        self.channels: tuple[str, ...] | None = None
        self.info: dict[str, Any] | None = None
        self._position = 0
        self._last_time: float | None = None
        self._down_since: float | None = None
        self._connected_once = False
        self._reconnected = False
        self._markers: list[tuple[int, Any]] = []
        self._waiting: list[tuple[Packet, float | None]] = []
        self._stats = SourceStats()
        self._handlers: dict[type, Callable[[Any], list[SampleBlock]]] = {
            Received: self._on_received,
            Sent: lambda _event: [],
            LinkUp: self._on_link_up,
            LinkDown: self._on_link_down,
        }

    # ---- public ---------------------------------------------------------------------------

    def apply(self, event: TransportEvent) -> list[SampleBlock]:
        """Consume one transport event; return the blocks it completed."""
        return self._handlers[type(event)](event)

    def finish(self) -> list[SampleBlock]:
        """End of the session: decode what the codec still holds, hand over pending markers."""
        blocks = self._blocks(self.codec.flush(), None)
        if self._waiting:
            log.error("%s: %d samples never decoded: the device did not state its rate",
                      self.codec.name, sum(p.n_samples for p, _ in self._waiting))
        if self._markers and self.fs is not None and self.channels is not None:
            blocks.append(self._empty_block())
        return blocks

    @property
    def stats(self) -> SourceStats:
        """Counts so far, including the codec's bad frames and skipped bytes."""
        s = SourceStats(**self._stats.to_dict())
        codec_stats = self.codec.stats
        s.bad_frames = codec_stats.bad_frames
        s.skipped_bytes = codec_stats.skipped_bytes
        s.counter_jumps = codec_stats.counter_jumps
        s.stalls = codec_stats.stalls
        return s

    @property
    def position(self) -> int:
        """Stream index of the next sample."""
        return self._position

    # ---- events ---------------------------------------------------------------------------

    def _on_received(self, event: Received) -> list[SampleBlock]:
        self._stats.bytes_received += len(event.data)
        if self._channel_keyword is not None:
            kwargs = {self._channel_keyword: event.channel}
            packets = self.codec.feed(event.data, host_time=event.host_time, **kwargs)  # type: ignore[call-arg]
        else:
            packets = self.codec.feed(event.data, host_time=event.host_time)
        return self._blocks(packets, event.host_time)

    def _on_link_up(self, event: LinkUp) -> list[SampleBlock]:
        if self._connected_once:
            self._stats.reconnects += 1
            self._reconnected = True
        if self._down_since is not None:
            self._stats.outage_s += max(0.0, event.host_time - self._down_since)
            self._down_since = None
        self._connected_once = True
        return []

    def _on_link_down(self, event: LinkDown) -> list[SampleBlock]:
        self._down_since = event.host_time
        return self._blocks(self.codec.flush(), event.host_time)

    # ---- packets -> blocks ----------------------------------------------------------------

    def _blocks(self, packets: list[Packet], host_time: float | None) -> list[SampleBlock]:
        out: list[SampleBlock] = []
        for packet in packets:
            if packet.kind == PacketKind.INFO:
                self.info = packet.message
            elif packet.kind == PacketKind.MARKER:
                self._markers.append((self._position, packet.message))
                self._stats.markers += 1
            elif packet.n_samples:
                if self.fs is None and not (self.codec.fs or self._default_fs):
                    self._wait_for_rate(packet, host_time)  # info frame lost or late
                    continue
                for waiting, t in self._waiting:
                    out.append(self._sample_block(waiting, t))
                self._waiting.clear()
                out.append(self._sample_block(packet, host_time))
        return out

    def _wait_for_rate(self, packet: Packet, host_time: float | None) -> None:
        """Hold samples that arrive before the device has said its rate (a self-describing
        device whose info frame was corrupted): they are decoded once it does."""
        if len(self._waiting) >= MAX_WAITING_PACKETS:
            raise ValueError(
                f"{self.codec.name}: {MAX_WAITING_PACKETS} sample frames arrived and the device "
                "never stated its sampling rate; give the device's fs (e.g. --opt fs=1000)"
            )
        self._waiting.append((packet, host_time))

    def _lock_format(self, n_channels: int) -> tuple[float, tuple[str, ...]]:
        """Rate and channel names are fixed by the first samples: a pipeline and a recording
        cannot change shape mid-stream."""
        if self.fs is None or self.channels is None:
            fs = self.codec.fs or self._default_fs
            if not fs:
                raise ValueError(
                    f"{self.codec.name}: the sampling rate is unknown (the device did not state "
                    "it); give the device's fs"
                )
            names = getattr(self.codec, "channels", None) or self._default_channels
            if not names or len(names) != n_channels:
                names = tuple(f"ch{i + 1}" for i in range(n_channels))
            self.fs, self.channels = float(fs), tuple(str(c) for c in names)
        elif self.codec.fs and not math.isclose(self.codec.fs, self.fs):
            if not self._stats.rate_changes:
                log.warning("device now reports %g Hz; keeping %g Hz for this session (the "
                            "summary counts the frames after it)", self.codec.fs, self.fs)
            self._stats.rate_changes += 1
        return self.fs, self.channels

    def _sample_block(self, packet: Packet, fallback_time: float | None) -> SampleBlock:
        n = packet.n_samples
        fs, channels = self._lock_format(packet.samples.shape[1])
        if packet.samples.shape[1] != len(channels):
            raise ValueError(
                f"{self.codec.name}: a block has {packet.samples.shape[1]} channels, the "
                f"session has {len(channels)}"
            )
        t = packet.host_time if packet.host_time is not None else fallback_time
        gap: Gap = packet.gap_before
        elapsed: float | None = None
        if t is not None and self._last_time is not None:
            elapsed = (t - self._last_time) * fs - n
        if packet.restart:
            self._stats.restarts += 1
            gap = 0
            if t is not None and self._last_time is not None:
                gap = timing_bound(t - self._last_time, n, fs, self._restart_jitter_s)
        lattice = None  # after a restart the counter says nothing about the loss
        if packet.first_index is not None and not packet.restart:
            lattice = self.codec.counter_modulus or getattr(self.codec, "seq_modulus", None)
        lo, hi = gap_bounds(gap)
        if packet.first_index is None and not packet.restart and lo == 0:
            elapsed = None  # a counterless codec found no proof of loss: do not invent one
        estimate = choose_estimate(gap, elapsed, lattice)
        self._stats.add_block(n, lo, hi, estimate)
        stream_index = self._position + estimate
        self._position = stream_index + n
        if t is not None:
            self._last_time = t
        markers, self._markers = tuple(self._markers), []
        after_reconnect, self._reconnected = self._reconnected, False
        # This block's fields by keyword: alike in shape only to other records' construction.
        return SampleBlock(
            samples=np.asarray(self.codec.to_uv(packet.samples), dtype=np.float64),
            first_index=packet.first_index,
            host_time=t if t is not None else 0.0,
            gap_before=gap,
            gap_estimate=estimate,
            stream_index=stream_index,
            fs=fs,
            channels=channels,
            arrival=self._clock(),
            markers=markers,
            restart=packet.restart,
            after_reconnect=after_reconnect,
            full_scale_uv=self._full_scale_uv(),
        )

    def _full_scale_uv(self) -> float | None:
        """Largest |µV| the wire can carry (the codec's count range through `to_uv`)."""
        try:
            lo, hi = self.codec.count_range
            n = self.codec.n_channels or 1
            edges = np.stack([np.broadcast_to(lo, (n,)), np.broadcast_to(hi, (n,))])
            return float(np.abs(self.codec.to_uv(edges)).max())
        except (TypeError, ValueError):
            return None

    def _empty_block(self) -> SampleBlock:
        assert self.fs is not None and self.channels is not None
        markers, self._markers = tuple(self._markers), []
        return SampleBlock(
            samples=np.zeros((0, len(self.channels))),
            first_index=None,
            host_time=self._last_time or 0.0,
            gap_before=0,
            gap_estimate=0,
            stream_index=self._position,
            fs=self.fs,
            channels=self.channels,
            arrival=self._clock(),
            markers=markers,
        )
