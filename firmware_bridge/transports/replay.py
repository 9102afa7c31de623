"""`CaptureReplaySource`: a raw capture played back through the live decoding path.

Events are fed to a decoder built from the capture's own header (`session.py`), in file order,
with their recorded host times, so the blocks are the ones the live session produced. Pacing
only decides *when* they are handed out: ``speed=1`` reproduces the session's timing (for
latency and UI checks), ``speed=None`` goes as fast as possible (analysis, tests).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator

from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.capture import CaptureReader
from firmware_bridge.transports.decoder import StreamDecoder
from firmware_bridge.transports.session import decoder_from_header
from firmware_bridge.transports.source import Source, SourceStats

log = logging.getLogger(__name__)

YIELD_EVERY = 256
"""At full speed, give the event loop a turn every this many events (keeps Ctrl-C and the
terminal responsive during a long replay)."""


class CaptureReplaySource(Source):
    """Blocks decoded from a ``.emgcap`` file, paced by ``speed`` (None: as fast as possible)."""

    def __init__(self, path: str | os.PathLike[str], *, speed: float | None = 1.0) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"replay speed must be > 0 (or None for max), got {speed}")
        self.reader = CaptureReader(path)
        self.header = self.reader.header
        self.name = f"replay of {self.reader.path.name}"
        self.speed = speed
        self.decoder: StreamDecoder = decoder_from_header(self.header)
        self._stop = threading.Event()

    @property
    def stats(self) -> SourceStats:
        return self.decoder.stats

    def stop(self) -> None:
        self._stop.set()

    async def blocks(self) -> AsyncIterator[SampleBlock]:
        wall0: float | None = None
        t0 = 0.0
        for i, event in enumerate(self.reader.events()):
            if self._stop.is_set():
                break
            if self.speed is not None:
                if wall0 is None:
                    wall0, t0 = time.monotonic(), event.host_time
                due = wall0 + (event.host_time - t0) / self.speed
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            for block in self.decoder.apply(event):
                yield block
        for start, end in self.reader.damaged:
            if start != self.reader.truncated_at:
                log.warning(
                    "%s: damaged capture record, bytes %d..%d skipped (resynchronised)",
                    self.reader.path,
                    start,
                    end,
                )
        if self.reader.truncated_at is not None:
            log.warning(
                "%s: capture ends in a torn record at byte %d (%d bytes ignored)",
                self.reader.path,
                self.reader.truncated_at,
                self.reader.tail_bytes,
            )
        for block in self.decoder.finish():
            yield block
