"""The reconnect loop against an in-memory link: retries, outage gaps, stop, give-up, and the
capture it writes replaying to the very same blocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest

from firmware_bridge.protocols import EmgfCodec
from firmware_bridge.transports import (
    Backoff,
    CaptureReplaySource,
    CaptureWriter,
    Link,
    LinkError,
    LinkLost,
    Received,
    ReconnectingSource,
    decoder_from_header,
    session_header,
)

TINY = Backoff(initial_s=0.001, max_s=0.005, jitter_s=0.0, first_connect_s=0.2)
INFO = EmgfCodec.encode_info(
    {"device": "fake", "fw": "1", "fs": 1000.0, "channels": ["a", "b"], "uv_per_count": 1.0}
)


def frame(seq: int) -> bytes:
    counts = (np.arange(10)[:, None] + seq) * np.array([1, -1])
    return EmgfCodec.encode(counts, seq=seq)


class FakeDevice:
    """Scripted connections: ``fail_opens`` refusals, then sessions of data chunks, each ending
    in a loss ("lost"), silence ("silent") or staying open until stopped ("stay")."""

    def __init__(self, sessions: list[tuple[list[bytes], str]], fail_opens: list[int]) -> None:
        self.sessions = list(sessions)
        self.fail_opens = list(fail_opens)
        self.commands: list[bytes] = []
        self.opened = 0
        self.closed = 0


class FakeLink(Link):
    description = "fake"

    def __init__(self, device: FakeDevice, clock: Callable[[], float]) -> None:
        self.device, self.clock = device, clock
        self._interrupt = asyncio.Event()
        self._script: tuple[list[bytes], str] | None = None

    async def open(self) -> None:
        if self.device.fail_opens and self.device.fail_opens[0] > 0:
            self.device.fail_opens[0] -= 1
            raise LinkError("no such device")
        if self.device.fail_opens:
            self.device.fail_opens.pop(0)
        if not self.device.sessions:
            raise LinkError("device gone for good")
        self._script = self.device.sessions.pop(0)
        self.device.opened += 1

    async def write(self, data: bytes, channel: int = 0) -> None:
        self.device.commands.append(data)

    async def chunks(self, silence_timeout_s: float | None) -> AsyncIterator[Received]:
        assert self._script is not None
        data, ending = self._script
        for chunk in data:
            await asyncio.sleep(0.001)
            yield Received(chunk, self.clock())
        if ending == "lost":
            raise LinkLost("unplugged")
        timeout = silence_timeout_s if ending == "silent" else None
        try:
            await asyncio.wait_for(self._interrupt.wait(), timeout)
        except TimeoutError:
            raise LinkLost("silent") from None

    def interrupt(self) -> None:
        self._interrupt.set()

    async def close(self) -> None:
        self.device.closed += 1


def make_source(device: FakeDevice, capture=None, backoff=TINY, **kw) -> ReconnectingSource:
    header = session_header(device="fake", codec="emgf")
    return ReconnectingSource(
        lambda clock: FakeLink(device, clock), decoder_from_header(header), name="fake",
        start_commands=[b"b"], stop_commands=[b"s"], command_gap_s=0, backoff=backoff,
        capture=capture, **kw,
    )


async def collect(source: ReconnectingSource, stop_after: int | None = None) -> list:
    blocks = []
    async for block in source:
        blocks.append(block)
        if stop_after is not None and len(blocks) == stop_after:
            source.stop()
    return blocks


def test_reconnects_and_marks_the_outage_as_an_exact_gap(tmp_path) -> None:
    device = FakeDevice(
        [([INFO, frame(0), frame(10)], "lost"), ([INFO, frame(50), frame(60)], "stay")],
        fail_opens=[2, 3],
    )
    cap = CaptureWriter(tmp_path / "s.emgcap", session_header(device="fake", codec="emgf"))
    source = make_source(device, capture=cap, close_capture=True)
    blocks = asyncio.run(collect(source, stop_after=4))
    assert [b.stream_index for b in blocks] == [0, 10, 50, 60]
    assert blocks[2].gap_before == 30 and blocks[2].after_reconnect
    s = source.stats
    assert (s.reconnects, s.samples_received, s.samples_lost, s.gaps) == (1, 40, 30, 1)
    assert device.commands == [b"b", b"b", b"s"]
    assert device.opened == 2 and device.closed >= 2 + 5  # failed opens are closed too

    # the capture replays to the very same blocks
    replay = CaptureReplaySource(tmp_path / "s.emgcap", speed=None)

    async def replayed() -> list:
        return [b async for b in replay]

    again = asyncio.run(replayed())
    assert len(again) == len(blocks)
    for a, b in zip(blocks, again, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
        assert (a.stream_index, a.gap_before, a.first_index, a.host_time) == (
            b.stream_index, b.gap_before, b.first_index, b.host_time)
    assert replay.stats.reconnects == 1


def test_the_first_connection_fails_fast_with_a_clear_error() -> None:
    device = FakeDevice([], fail_opens=[10**6])
    with pytest.raises(LinkError, match="no such device"):
        asyncio.run(collect(make_source(device)))


def test_giving_up_after_a_loss_ends_the_stream_keeping_what_arrived() -> None:
    device = FakeDevice([([INFO, frame(0)], "lost")], fail_opens=[0])
    backoff = Backoff(initial_s=0.001, max_s=0.005, jitter_s=0.0, give_up_after_s=0.05)
    source = make_source(device, backoff=backoff)
    blocks = asyncio.run(collect(source))
    assert [b.n_samples for b in blocks] == [10]


def test_a_silent_link_is_reopened() -> None:
    device = FakeDevice([([INFO, frame(0)], "silent"), ([frame(20)], "stay")], fail_opens=[])
    source = make_source(device, silence_timeout_s=0.05)
    blocks = asyncio.run(collect(source, stop_after=2))
    assert blocks[1].gap_before == 10 and source.stats.reconnects == 1


def test_stop_before_any_data_ends_cleanly() -> None:
    device = FakeDevice([([], "stay")], fail_opens=[])
    source = make_source(device)

    async def main() -> list:
        asyncio.get_running_loop().call_later(0.05, source.stop)
        return await collect(source)

    assert asyncio.run(main()) == []
    assert device.commands == [b"b", b"s"]


class SlowLink(FakeLink):
    """Opens like a BLE link scanning for a device that is not there."""

    cancelled = False

    async def open(self) -> None:
        self.device.opened += 1
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            SlowLink.cancelled = True
            raise


def test_stop_cancels_a_connection_attempt_in_progress() -> None:
    device = FakeDevice([], fail_opens=[])
    header = session_header(device="fake", codec="emgf")
    source = ReconnectingSource(lambda clock: SlowLink(device, clock),
                                decoder_from_header(header), name="slow", backoff=TINY)

    async def main() -> list:
        asyncio.get_running_loop().call_later(0.05, source.stop)
        return await collect(source)

    assert asyncio.run(main()) == []
    assert SlowLink.cancelled and device.opened == 1 and device.closed == 1
