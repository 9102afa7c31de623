"""`ReconnectingSource`: our reconnect loop around any `Link` (serial port, BLE device).

On an unplug, a read error or a silent link the loop keeps what it has (the codec and its
counters live on in the `StreamDecoder`), closes the dead link, and retries with exponential
backoff and jitter until the device is back — forever by default, since a live session should
survive a loose cable — then sends the start commands again. The outage becomes a gap through
the codec: exact where the device counts samples across it (EMGF), bounded by host time where
the counter is short or absent. The retry schedule is tenacity's (a well-kept library does
backoff better than a hand-written loop); what to do between attempts is ours.

The first connection is different: a wrong port should fail fast with a clear error instead of
retrying forever, so it is retried only for `Backoff.first_connect_s` (a device may still be
enumerating).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
    wait_random,
)

from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.decoder import StreamDecoder
from firmware_bridge.transports.events import LinkDown, LinkUp, Sent, TransportEvent
from firmware_bridge.transports.link import Link, LinkError, LinkLost
from firmware_bridge.transports.source import Source, SourceStats

log = logging.getLogger(__name__)

LinkFactory = Callable[[Callable[[], float]], Link]
"""Makes a fresh, unopened `Link`; receives the session clock to stamp received data with."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry schedule for (re)connecting."""

    initial_s: float = 0.05
    max_s: float = 0.5
    """Longest wait between attempts. Short, because every second between the device coming
    back and the next attempt is signal lost; a failed open of a serial port costs nothing."""
    jitter_s: float = 0.05
    first_connect_s: float = 3.0
    """How long to keep trying before the *first* connection counts as failed."""
    give_up_after_s: float | None = None
    """How long to keep trying after a disconnect; None = until stopped."""


class EventRecorder(Protocol):
    """What the loop needs from a raw capture writer (`capture.CaptureWriter`)."""

    def write(self, event: TransportEvent) -> None:
        """Store one transport event."""

    def close(self) -> None:
        """Finish the capture."""


class ReconnectingSource(Source):
    """Sample blocks from a device over a link that may drop, with reconnects and capture.

    Parameters
    ----------
    link_factory : makes a new `Link` for each connection attempt.
    decoder : the session's `StreamDecoder` (owns the codec).
    start_commands, stop_commands : bytes sent after each connect / before closing.
    command_gap_s : pause after each command (boards need a moment between commands).
    silence_timeout_s : no data for this long on an open link counts as a lost link (a stuck
        dongle recovers when reopened and restarted); None disables it.
    capture : receives every transport event (raw capture), or None.
    close_capture : close ``capture`` when the iteration ends (the source owns it).
    clock : the session clock (seconds); default: monotonic time since this source was made.
    """

    def __init__(
        self,
        link_factory: LinkFactory,
        decoder: StreamDecoder,
        *,
        name: str = "device",
        start_commands: Sequence[bytes] = (),
        stop_commands: Sequence[bytes] = (),
        command_gap_s: float = 0.02,
        silence_timeout_s: float | None = 5.0,
        backoff: Backoff | None = None,
        capture: EventRecorder | None = None,
        close_capture: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.name = name
        self.link_factory = link_factory
        self.decoder = decoder
        self.start_commands = tuple(start_commands)
        self.stop_commands = tuple(stop_commands)
        self.command_gap_s = command_gap_s
        self.silence_timeout_s = silence_timeout_s
        self.backoff = backoff or Backoff()
        self.capture = capture
        self.close_capture = close_capture
        origin = time.monotonic()
        self.clock: Callable[[], float] = clock or (lambda: time.monotonic() - origin)
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._link: Link | None = None

    # ---- Source -----------------------------------------------------------------------------

    @property
    def stats(self) -> SourceStats:
        return self.decoder.stats

    def stop(self) -> None:
        self._stop_requested.set()
        link, loop, wake = self._link, self._loop, self._wake
        if link is not None:
            link.interrupt()
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    async def blocks(self) -> AsyncIterator[SampleBlock]:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        link: Link | None = None
        try:
            link = await self._connect(first=True)
            while link is not None:
                self._link = link
                if self._stop_requested.is_set():
                    link.interrupt()
                for block in self._emit(LinkUp(self.clock(), link.description)):
                    yield block
                lost_reason: str | None = None
                try:
                    await self._send(link, self.start_commands)
                    async for chunk in link.chunks(self.silence_timeout_s):
                        for block in self._emit(chunk):
                            yield block
                except LinkLost as exc:
                    lost_reason = str(exc)
                if lost_reason is None or self._stop_requested.is_set():
                    with contextlib.suppress(LinkLost):
                        await self._send(link, self.stop_commands)
                    for block in self._emit(LinkDown(self.clock(), "stopped")):
                        yield block
                    break
                log.warning("%s: link lost (%s); reconnecting", self.name, lost_reason)
                for block in self._emit(LinkDown(self.clock(), lost_reason)):
                    yield block
                self._link = None
                await link.close()
                link = await self._connect(first=False)
                if link is not None:
                    log.warning("%s: reconnected via %s", self.name, link.description)
            for block in self.decoder.finish():
                yield block
        finally:
            self._link = None
            if link is not None:
                await link.close()
            if self.close_capture and self.capture is not None:
                self.capture.close()

    # ---- internals ----------------------------------------------------------------------------

    def _emit(self, event: TransportEvent) -> list[SampleBlock]:
        if self.capture is not None:
            self.capture.write(event)
        return self.decoder.apply(event)

    async def _send(self, link: Link, commands: Sequence[bytes]) -> None:
        for command in commands:
            self._emit(Sent(command, self.clock()))
            await link.write(command)
            if self.command_gap_s:
                await asyncio.sleep(self.command_gap_s)

    async def _sleep(self, seconds: float) -> None:
        """Backoff wait that `stop()` cuts short."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _open(self, link: Link) -> bool:
        """Open ``link``; False when `stop()` came first. Opening a BLE link includes a scan
        of several seconds, which a stop must not have to wait for: the attempt is
        cancelled."""
        assert self._wake is not None
        opening = asyncio.ensure_future(link.open())
        stopping = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({opening, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not opening.done():
                opening.cancel()
                with contextlib.suppress(asyncio.CancelledError, LinkError):
                    await opening
        if opening.cancelled():
            return False
        opening.result()  # raises what open() raised
        return True

    async def _connect(self, *, first: bool) -> Link | None:
        """A newly opened link; None when stopped (or, after a disconnect, when giving up).
        The first connection raises `LinkError` if the device never answers."""
        limit = self.backoff.first_connect_s if first else self.backoff.give_up_after_s

        def should_stop(state: RetryCallState) -> bool:
            if self._stop_requested.is_set():
                return True
            return limit is not None and (state.seconds_since_start or 0.0) >= limit

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            level = logging.DEBUG if state.attempt_number > 1 else logging.INFO
            log.log(level, "%s: cannot connect (%s); retrying", self.name, exc)

        retrying = AsyncRetrying(
            stop=should_stop,
            wait=wait_exponential(multiplier=self.backoff.initial_s, max=self.backoff.max_s)
            + wait_random(0, self.backoff.jitter_s),
            retry=retry_if_exception_type(LinkError),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if self._stop_requested.is_set() and not first:
                        return None
                    link = self.link_factory(self.clock)
                    try:
                        opened = await self._open(link)
                    except BaseException:
                        await link.close()
                        raise
                    if not opened:
                        await link.close()
                        return None
                    return link
        except LinkError:
            if first and not self._stop_requested.is_set():
                raise
            if not self._stop_requested.is_set():
                log.error("%s: gave up reconnecting after %s s", self.name, limit)
        return None
