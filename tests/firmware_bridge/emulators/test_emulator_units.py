"""Emulator parts without a pty or a radio: personalities encode one wire unit per
`samples_per_unit` samples that the host codec decodes back exactly, commands react like the
boards (byte by byte over serial, whole writes for the Myo), fault schedules fire once, where
they were asked to, and BLE peripherals advertise what docs/devices.md says."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.devices import TransportUnavailable, get_device
from firmware_bridge.emulators import (
    DeviceCore,
    EmulatedSignal,
    FaultPlan,
    FaultSchedule,
    device_personality,
    make_personality,
)
from firmware_bridge.emulators.personality import Reaction
from firmware_bridge.transports import Received, decoder_from_header

EMULATED = ["cyton", "bitalino", "emgf", "ascii", "myo", "emgf-ble"]


@pytest.mark.parametrize("device", EMULATED)
def test_units_decode_back_exactly_with_the_host_codec(device: str) -> None:
    spec = get_device(device)
    personality = device_personality(spec)
    spu = personality.samples_per_unit
    signal = EmulatedSignal.random(personality.codec, 5 * spu, n_channels=personality.n_channels)
    units = personality.encode(signal.window(0, 5 * spu), 0)
    assert len(units) == 5
    decoder = decoder_from_header(spec.session_header())
    if personality.codec.message_framed:  # one BLE notification per unit, on its channel
        events = [Received(u, 0.01 * k, personality.notify_channel(k * spu))
                  for k, u in enumerate(units)]
    else:
        events = [Received(personality.preamble() + b"".join(units), 0.0)]
    blocks = [b for e in events for b in decoder.apply(e)] + decoder.finish()
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


def test_serial_commands_are_bytes_each_seeing_the_state_the_last_left() -> None:
    emgf = device_personality(get_device("emgf"))
    reactions = list(emgf.write(b"bsb", streaming=False))
    assert [(r.start, r.stop) for r in reactions] == [(True, False), (False, True), (True, False)]


def test_the_myo_reacts_to_whole_set_mode_writes() -> None:
    myo = device_personality(get_device("myo"))
    spec = get_device("myo")
    assert spec.ble is not None
    assert list(myo.write(spec.ble.setup[0], streaming=False)) == []  # never sleep: no effect
    assert list(myo.write(spec.start_commands[0], streaming=False)) == [Reaction(start=True)]
    assert list(myo.write(spec.stop_commands[0], streaming=True)) == [Reaction(stop=True)]
    assert list(myo.write(bytes.fromhex("0103020000"), False)) == [Reaction(start=True)]
    assert list(myo.write(b"\x01\x03\x03", streaming=False)) == []  # truncated: ignored
    assert [myo.notify_channel(i) for i in range(0, 12, 2)] == [0, 1, 2, 3, 0, 1]


class _Wire:
    def __init__(self) -> None:
        self.units: list[int] = []

    def send_unit(self, data: bytes, start: int) -> bool:
        self.units.append(start)
        return True

    def send_bytes(self, data: bytes) -> None:
        pass


def test_the_device_clock_runs_on_while_disconnected() -> None:
    personality = device_personality(get_device("myo"))
    core = DeviceCore(personality, EmulatedSignal.random(personality.codec, 400))
    wire = _Wire()
    core.receive(get_device("myo").start_commands[0], 0.0, wire)
    assert core.produce(0.0625, wire) is None and wire.units == [0, 2, 4, 6, 8, 10]
    core.disconnected()
    core.produce(0.5, wire)
    assert wire.units[-1] == 10  # nothing while disconnected
    core.receive(get_device("myo").start_commands[0], 1.0, wire)  # 1 s after the start
    core.produce(1.0, wire)
    assert wire.units[6:] == []
    core.produce(1.0 + 1 / 64, wire)
    assert wire.units[6] == 200  # what fell due meanwhile is never sent


def test_devices_without_an_emulator_say_so() -> None:
    with pytest.raises(TransportUnavailable, match=r"'gforce' has no emulator.*myo, emgf-ble"):
        device_personality(get_device("gforce"))


def test_ble_layouts_follow_the_protocols_and_fit_an_advertisement() -> None:
    from firmware_bridge.emulators.ble_peripheral import LAYOUTS

    myo, nus = LAYOUTS["myo"], LAYOUTS["emgf"]
    assert myo.command == "d5060401-a904-deb9-4748-2c7f4a124842"
    assert myo.notify == tuple(f"d506{k:02d}05-a904-deb9-4748-2c7f4a124842" for k in (1, 2, 3, 4))
    assert nus.command == "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
    assert nus.notify == ("6e400003-b5a3-f393-e0a9-e50e24dcca9e",)
    for layout in (myo, nus):
        assert len(layout.advertising_data()) <= 31
    for name, layout in (("myo", myo), ("emgf-ble", nus)):
        profile = get_device(name).ble
        assert profile is not None and profile.advertised_service == layout.advertised
