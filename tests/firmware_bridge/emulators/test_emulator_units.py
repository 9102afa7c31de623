"""Emulator parts without a pty: personalities encode one wire unit per `samples_per_unit`
samples that the host codec decodes back exactly, commands react like the boards, and fault
schedules fire once, where they were asked to."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.devices import get_device, serial_devices
from firmware_bridge.emulators import (
    EmulatedSignal,
    FaultPlan,
    FaultSchedule,
    device_personality,
    make_personality,
)
from firmware_bridge.transports import Received, decoder_from_header


@pytest.mark.parametrize("device", [s.name for s in serial_devices()])
def test_units_decode_back_exactly_with_the_host_codec(device: str) -> None:
    spec = get_device(device)
    personality = device_personality(spec)
    spu = personality.samples_per_unit
    signal = EmulatedSignal.random(personality.codec, 5 * spu, n_channels=personality.n_channels)
    units = personality.encode(signal.window(0, 5 * spu), 0)
    assert len(units) == 5
    decoder = decoder_from_header(spec.session_header())
    stream = personality.preamble() + b"".join(units)
    blocks = decoder.apply(Received(stream, 0.0)) + decoder.finish()
    got = np.concatenate([b.samples for b in blocks])
    np.testing.assert_array_equal(got, decoder.codec.to_uv(signal.counts))


def test_emgf_frames_never_exceed_the_protocol_limit() -> None:
    personality = make_personality("emgf", fs=4000.0, n_channels=64, samples_per_frame=40)
    assert personality.samples_per_unit == 31  # 4092 // (64 channels * 2 bytes)
    counts = np.zeros((62, 64), dtype=np.int64)
    assert len(personality.encode(counts, 0)) == 2


def test_board_commands() -> None:
    cyton = device_personality(get_device("cyton"))
    assert cyton.command(ord("b"), False).start and cyton.command(ord("s"), True).stop
    assert cyton.command(ord("v"), True).reply.endswith(b"$$$")
    assert cyton.command(ord("x"), False) == cyton.command(ord("\n"), False)
    bitalino = device_personality(get_device("bitalino"))
    assert not bitalino.command(0x43, False).start and bitalino.fs == 10.0  # rate code 1
    reaction = bitalino.command((0b000011 << 2) | 1, False)  # start A1, A2
    assert reaction.start and bitalino.channels == [0, 1]
    assert bitalino.command(0x00, True).stop
    emgf = device_personality(get_device("emgf"))
    assert emgf.command(ord("i"), False).reply.startswith(b"\xa5\x5a\x01\x02")


def test_fault_schedule_fires_each_fault_once_where_asked() -> None:
    plan = FaultPlan(drops=[(25, 2)], garbage=[(5, b"xx")], stalls=[(40, 0.5)],
                     unplugs=[(60, 1.0)])
    schedule = FaultSchedule(plan, fs=100.0)
    faults = [schedule.for_unit(k * 10, 10) for k in range(10)]
    assert [f.garbage for f in faults][:2] == [b"xx", b""]
    assert [f.drop for f in faults] == [False, False, True, True] + [False] * 6
    assert faults[4].stall_s == 0.5 and faults[6].unplug_s == 1.0
    assert sum(f.unplug_s is not None for f in faults) == 1


def test_random_faults_are_reproducible() -> None:
    def draw() -> list:
        s = FaultSchedule(FaultPlan(drop_rate=0.3, garbage_rate=0.3, seed=7), fs=100.0)
        return [s.for_unit(k, 1) for k in range(200)]

    first = draw()
    assert first == draw()
    assert 30 < sum(f.drop for f in first) < 90
