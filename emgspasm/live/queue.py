"""Bounded queues for the live runner that count what they shed, and never shed silently.

When the detector falls behind the device, something has to give, and it must not be memory
(docs/architecture.md#invariants: bounded queues) nor the truth (nothing lost silently).
`BlockQueue` sheds the
*oldest* waiting block, so the live labels stay fresh, and carries the shed samples forward as
a gap in front of the next block: the pipeline then restarts its filters there instead of
bridging the hole. The recording is written before this queue, so shedding never touches it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from firmware_bridge.transports.block import SampleBlock


class QueueClosed(RuntimeError):
    """A block was offered after the consumer went away."""


@dataclass(slots=True)
class QueuedBlock:
    """A block and the samples shed just before it (to be pushed as a gap)."""

    block: SampleBlock
    shed_before: int = 0


class BlockQueue:
    """An asyncio queue of sample blocks, at most ``maxsize`` long, shedding the oldest.

    With ``lossless=True`` a full queue makes `put` wait instead (backpressure): right for a
    replay at full speed, where the source can simply go slower, wrong for a device, which
    cannot.
    """

    def __init__(self, maxsize: int = 512, *, lossless: bool = False) -> None:
        if maxsize < 1:
            raise ValueError(f"queue size must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self.lossless = lossless
        self._space = asyncio.Event()
        self.shed_blocks = 0
        self.shed_samples = 0
        self.high_water = 0
        self._items: deque[QueuedBlock] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    async def put(self, block: SampleBlock) -> None:
        """Enqueue; if full, shed the oldest block into the next one's gap (or, lossless,
        wait for space)."""
        while self.lossless and len(self._items) >= self.maxsize and not self._closed:
            self._space.clear()
            await self._space.wait()
        self.put_nowait(block)

    def put_nowait(self, block: SampleBlock) -> None:
        """Enqueue without waiting; if full, shed the oldest block into the next one's gap."""
        if self._closed:
            raise QueueClosed("queue is closed")
        carry = 0
        if len(self._items) >= self.maxsize:
            old = self._items.popleft()
            carry = old.shed_before + old.block.gap_estimate + old.block.n_samples
            self.shed_blocks += 1
            self.shed_samples += old.block.n_samples
        self._items.append(QueuedBlock(block))
        if carry:
            self._items[0].shed_before += carry
        self.high_water = max(self.high_water, len(self._items))
        self._ready.set()

    def close(self) -> None:
        """No more blocks: `get` returns None once the queue is empty."""
        self._closed = True
        self._ready.set()
        self._space.set()

    async def get(self) -> QueuedBlock | None:
        """The oldest block, waiting if needed; None after `close` once drained."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        self._space.set()
        return item

    @property
    def closed(self) -> bool:
        """True after `close`."""
        return self._closed

    def __len__(self) -> int:
        return len(self._items)
