"""Sources for `emgspasm replay`: any recording or raw capture through the live path.

A raw capture (``.emgcap``) is decoded by its own codec, event by event, exactly as live
(`firmware_bridge.transports.replay`). Any other recording (BDF/EDF/CSV/text) is read in chunks
through `emgspasm.io` and cut into device-sized blocks (20 ms, one BLE connection interval), with
its gaps in place. Either way the runner, sinks and pipeline are the live ones, so a replay
shows what a live session would have shown; ``speed`` paces it (None: as fast as possible).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np

from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.capture import SUFFIX as CAPTURE_SUFFIX
from firmware_bridge.transports.replay import CaptureReplaySource
from firmware_bridge.transports.source import Source, SourceStats

BLOCK_S = 0.02
"""Block length when replaying a recording."""


class RecordingSource(Source):
    """Blocks of a recording file, with its gaps, paced at ``speed`` x real time."""

    def __init__(
        self, path: str | os.PathLike[str], *, speed: float | None = 1.0,
        block_s: float = BLOCK_S, **reader_options: Any,
    ) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"replay speed must be > 0 (or None for max), got {speed}")
        self.path = Path(path)
        self.name = f"replay of {self.path.name}"
        self.speed = speed
        self.block_s = block_s
        self.reader_options = reader_options
        self._probe()
        self._stats = SourceStats()
        self._stop = threading.Event()

    def _probe(self) -> None:
        """Open the file once now, so a bad file is the CLI's one-line error (as for
        ``analyze``) before a session starts, not a traceback from inside it."""
        from emgspasm.io import open_reader

        open_reader(self.path, **self.reader_options).close()

    @property
    def stats(self) -> SourceStats:
        return SourceStats(**self._stats.to_dict())

    def stop(self) -> None:
        self._stop.set()

    async def blocks(self) -> AsyncIterator[SampleBlock]:
        from emgspasm.io import open_reader

        with open_reader(self.path, **self.reader_options) as reader:
            fs = reader.fs
            channels = tuple(reader.channels)
            gaps = sorted(reader.gaps)
            n = max(1, round(self.block_s * fs))
            received = 0  # samples delivered (file index)
            stream = 0  # stream index (gaps included)
            wall0 = time.monotonic()
            for chunk in reader.chunks(n):
                start = 0
                while start < chunk.shape[0]:
                    if self._stop.is_set():
                        return
                    missing = 0
                    while gaps and gaps[0][0] <= received:
                        missing += gaps.pop(0)[1]
                    cut = chunk.shape[0]
                    if gaps and gaps[0][0] < received + cut - start:
                        cut = start + gaps[0][0] - received
                    part = chunk[start:cut]
                    stream += missing
                    await self._pace(wall0, (stream + part.shape[0]) / fs)
                    yield self._block(part, missing, stream, received, fs, channels)
                    received += part.shape[0]
                    stream += part.shape[0]
                    start = cut

    async def _pace(self, wall0: float, stream_s: float) -> None:
        if self.speed is None:
            await asyncio.sleep(0)
            return
        delay = wall0 + stream_s / self.speed - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _block(self, part: np.ndarray, missing: int, stream: int, received: int, fs: float,
               channels: tuple[str, ...]) -> SampleBlock:
        self._stats.add_block(part.shape[0], missing, missing, missing)  # a file's gaps are exact
        # This block's fields by keyword: alike in shape only to other records' construction.
        return SampleBlock(
            samples=np.ascontiguousarray(part, dtype=np.float64),
            first_index=received,
            host_time=(stream + part.shape[0]) / fs,
            gap_before=missing,
            gap_estimate=missing,
            stream_index=stream,
            fs=fs,
            channels=channels,
            arrival=time.monotonic(),
        )


REPLAYERS: dict[str, Callable[..., Source]] = {CAPTURE_SUFFIX: CaptureReplaySource}
"""File extension -> replay source; anything else is read as a recording."""


def open_replay(path: str | os.PathLike[str], *, speed: float | None = 1.0,
                **options: Any) -> Source:
    """The replay source for ``path`` (capture or recording), paced at ``speed``."""
    factory = REPLAYERS.get(Path(path).suffix.lower(), RecordingSource)
    return factory(path, speed=speed, **options)
