"""`Inbox`: how a link hands received data to the event loop, whoever receives it.

Every link has the same consumer side — `Link.chunks` yields `Received` items until the link is
interrupted, and raises `LinkLost` when the device goes away or falls silent — but producers
differ: the serial link's reader thread can wait when the consumer falls behind (the OS buffer
then fills and the device's counter reports the loss), while bleak calls its notification
callback inside the event loop, where waiting is impossible, so a full inbox sheds the
notification and counts it (the codec then reports the gap, exact or bounded). Both bound the
bytes held, so a stalled consumer cannot grow memory without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from firmware_bridge.transports.events import Received
from firmware_bridge.transports.link import LinkLost

log = logging.getLogger(__name__)

MAX_BUFFERED_BYTES = 8 << 20
"""Bytes received but not yet consumed before producers wait (threads) or shed (callbacks)."""


@dataclass(frozen=True, slots=True)
class _Lost:
    reason: str


_END = object()
_INTERRUPT = object()


class Inbox:
    """A bounded queue of `Received` items plus the link's end-of-stream signals.

    Create it inside the running event loop that will consume it (`Link.open`).
    """

    def __init__(self, name: str, max_bytes: int = MAX_BUFFERED_BYTES) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self.shed_chunks = 0
        """Items a non-waiting producer could not deliver because the inbox was full."""
        self.shed_bytes = 0
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._space = threading.Condition()
        self._buffered = 0
        self._closed = False

    # ---- producers ----------------------------------------------------------------------------

    def put_nowait(self, item: Received) -> bool:
        """Deliver from inside the event loop (bleak callbacks); False when shed (full)."""
        with self._space:
            if self._buffered > self.max_bytes:
                self.shed_chunks += 1
                self.shed_bytes += len(item.data)
                if self.shed_chunks == 1:
                    log.warning("%s: consumer too slow, shedding received data (counted; the "
                                "codec reports the gap)", self.name)
                return False
            self._buffered += len(item.data)
        self._queue.put_nowait(item)
        return True

    def put_waiting(self, item: Received) -> None:
        """Deliver from a reader thread, waiting while the inbox is full (backpressure)."""
        with self._space:
            while self._buffered > self.max_bytes and not self._closed:
                self._space.wait(0.1)
            self._buffered += len(item.data)
        self._threadsafe(item)

    def lost(self, reason: str) -> None:
        """The device went away: `chunks` raises `LinkLost` after what was already queued.
        Safe from any thread."""
        self._threadsafe(_Lost(reason))

    def end(self) -> None:
        """No more data will come (the producer finished): `chunks` returns."""
        self._threadsafe(_END)

    def interrupt(self) -> None:
        """Make `chunks` return soon; safe from any thread and from a signal handler."""
        self._threadsafe(_INTERRUPT)

    def close(self) -> None:
        """Release producers waiting for space (the link is closing)."""
        with self._space:
            self._closed = True
            self._space.notify_all()

    # ---- consumer -----------------------------------------------------------------------------

    async def chunks(self, silence_timeout_s: float | None) -> AsyncIterator[Received]:
        """What `Link.chunks` yields: data until interrupted or ended; `LinkLost` on a loss or
        after ``silence_timeout_s`` seconds without anything (None: wait forever)."""
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), silence_timeout_s)
            except TimeoutError:
                raise LinkLost(f"{self.name}: no data for {silence_timeout_s:g} s") from None
            if item is _END or item is _INTERRUPT:
                return
            if isinstance(item, _Lost):
                raise LinkLost(f"{self.name}: {item.reason}")
            with self._space:
                self._buffered -= len(item.data)
                self._space.notify()
            yield item

    def _threadsafe(self, item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop was closed under us
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
