"""The pipeline queue is bounded, sheds the oldest blocks, counts them, and turns what it shed
into a gap in front of the next block; in lossless mode it waits instead."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from emgspasm.live.queue import BlockQueue, QueueClosed
from firmware_bridge.transports import SampleBlock


def block(start: int, n: int = 10, gap: int = 0) -> SampleBlock:
    return SampleBlock(samples=np.zeros((n, 1)), first_index=None, host_time=0.0,
                       gap_before=gap, gap_estimate=gap, stream_index=start, fs=100.0,
                       channels=("a",))


def test_shedding_is_counted_and_becomes_a_gap() -> None:
    async def main() -> list:
        q = BlockQueue(2)
        q.put_nowait(block(0))
        q.put_nowait(block(15, gap=5))
        q.put_nowait(block(25))  # sheds block 0
        q.put_nowait(block(35))  # sheds block 15 (and carries block 0's span)
        q.close()
        out = []
        while (item := await q.get()) is not None:
            out.append(item)
        assert (q.shed_blocks, q.shed_samples) == (2, 20)
        return out

    out = asyncio.run(main())
    assert [(i.block.stream_index, i.shed_before) for i in out] == [(25, 25), (35, 0)]
    # the pipeline sees 25 missing samples before stream index 25: the timeline holds
    assert out[0].shed_before + out[0].block.gap_estimate == 25


def test_lossless_mode_waits_for_space() -> None:
    async def main() -> list:
        q = BlockQueue(1, lossless=True)
        got = []

        async def consumer() -> None:
            while (item := await q.get()) is not None:
                got.append(item.block.stream_index)
                await asyncio.sleep(0)

        task = asyncio.create_task(consumer())
        for k in range(5):
            await q.put(block(10 * k))
        q.close()
        await task
        assert q.shed_blocks == 0
        return got

    assert asyncio.run(main()) == [0, 10, 20, 30, 40]


def test_a_closed_queue_refuses_blocks() -> None:
    async def main() -> None:
        q = BlockQueue(1)
        q.close()
        with pytest.raises(QueueClosed):
            q.put_nowait(block(0))
        assert await q.get() is None

    asyncio.run(main())
