"""The BLE transport through unmodified bleak on the BLE test stack (docs/testing.md), and its
parts.

Integration: each BLE device with an emulator (Myo, EMGF over the Nordic UART Service) streams
one session of random counts with injected drops, garbage and a link drop (the armband leaving
radio range for 0.3 s), through the real path a user's session takes — `open_source`, bleak's
BlueZ backend over a private dbus-daemon, the ``org.bluez`` stand-in, Bumble's radio, the
emulated GATT peripheral — and the received blocks are walked against what the emulator sent
(`stream_check.align`): samples bit-exact, every drop a gap of the right length (exact for EMGF,
whose frames count samples; a host-time bound that must contain the truth for the Myo, which
sends no counter), the link drop recovered with only the outage lost, and reported.

Unit: picking characteristics by property or UUID, telling addresses from names, the inbox
shedding what a callback cannot wait for, and explaining a missing Bluetooth stack.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from stream_check import GapCheck, Session, align, run_session

from firmware_bridge.devices import get_device
from firmware_bridge.emulators import FaultPlan, device_personality
from firmware_bridge.emulators.ble_bus import dbus_daemon_missing
from firmware_bridge.transports import LinkError, LinkLost, Received
from firmware_bridge.transports.ble import explain, is_address, resolve_profile
from firmware_bridge.transports.inbox import Inbox

SECONDS = 3.0
DROPS_S = ((0.4, 2), (0.8, 1))
"""(time of the first dropped unit, units dropped)."""
GARBAGE_S = 0.6
UNPLUG_S, OUTAGE_S = 1.6, 0.3
GARBAGE = b"\x00\xa5\x5a\x01\xff noise"


@dataclass
class Streamed:
    device: str
    session: Session
    checks: list[GapCheck]
    fs: float
    samples_per_unit: int

    def checks_at(self, seconds: float) -> list[GapCheck]:
        """The gap checks whose gap lies within 0.1 s after ``seconds`` of signal."""
        return [c for c in self.checks if c.at is not None
                and 0 <= c.at - seconds * self.fs < 0.1 * self.fs]


needs_dbus = pytest.mark.skipif(dbus_daemon_missing() is not None,
                                reason=f"BLE test stack: {dbus_daemon_missing()}")


@pytest.fixture(scope="module", params=["myo", "emgf-ble"])
def streamed(request, tmp_path_factory) -> Streamed:
    device = request.param
    personality = device_personality(get_device(device))
    fs, spu = personality.fs, personality.samples_per_unit
    faults = FaultPlan(
        drops=[(round(t * fs), n) for t, n in DROPS_S],
        garbage=[(round(GARBAGE_S * fs), GARBAGE)],
        unplugs=[(round(UNPLUG_S * fs), OUTAGE_S)],
    )
    session = run_session(device, tmp_path_factory.mktemp(device), seconds=SECONDS,
                          faults=faults)
    return Streamed(device, session, align(session), fs, spu)


@needs_dbus
def test_samples_arrive_bit_exact_and_nothing_else_is_lost(streamed: Streamed) -> None:
    s = streamed.session  # align() already matched every block bit for bit
    assert s.first == 0  # the device waited for the start command
    truly_lost = sum(c.true_missing for c in streamed.checks)
    assert s.stats.samples_received + truly_lost == s.end - s.first
    assert s.end == s.emulator.next_index  # complete up to the last sample sent
    assert s.emulator.stats.units_dropped == sum(n for _, n in DROPS_S)


@needs_dbus
def test_injected_drops_are_gaps_of_the_right_length(streamed: Streamed) -> None:
    for t, units in DROPS_S:
        [check] = streamed.checks_at(t)
        assert check.true_missing == units * streamed.samples_per_unit
        assert check.within_bounds, check
        if streamed.device == "emgf-ble":  # a sample counter: the gap is exact
            assert check.reported == check.estimate == check.true_missing
    assert all(c.within_bounds for c in streamed.checks), streamed.checks
    if streamed.device == "myo":  # no counter: bounds from host time and notify rotation
        lo, hi = streamed.session.stats.samples_lost_min, streamed.session.stats.samples_lost_max
        assert lo <= sum(c.true_missing for c in streamed.checks) <= hi


@needs_dbus
def test_garbage_is_counted_not_decoded(streamed: Streamed) -> None:
    stats = streamed.session.stats
    if streamed.device == "myo":  # one notification of the wrong length
        assert stats.bad_frames == 1
    else:  # stray bytes in the UART stream
        assert stats.skipped_bytes >= len(GARBAGE)


@needs_dbus
def test_a_link_drop_loses_only_the_outage_and_is_reported(streamed: Streamed) -> None:
    s, fs = streamed.session, streamed.fs
    assert s.emulator.stats.unplugs == 1 and s.emulator.stats.replugs == 1
    assert s.stats.reconnects == 1 and s.stats.outage_s >= OUTAGE_S * 0.9
    outage = max(streamed.checks, key=lambda c: c.true_missing)
    assert outage.true_missing >= round(OUTAGE_S * 0.9 * fs)  # the device clock ran on
    assert outage.within_bounds, outage
    if streamed.device == "emgf-ble":
        assert outage.estimate == outage.true_missing
    drops = sum(n for _, n in DROPS_S) * streamed.samples_per_unit
    assert sum(c.true_missing for c in streamed.checks) == drops + outage.true_missing
    assert sum(c.estimate for c in streamed.checks) == s.stats.samples_lost


# ---- parts ----------------------------------------------------------------------------------


def _char(uuid: str, handle: int, *properties: str) -> SimpleNamespace:
    return SimpleNamespace(uuid=uuid, handle=handle, properties=list(properties))


class _Services:
    """The two lookups `resolve_profile` makes on bleak's service collection."""

    def __init__(self, service_uuid: str, chars: list[SimpleNamespace]) -> None:
        self.service = SimpleNamespace(uuid=service_uuid, characteristics=chars)

    def get_service(self, uuid: str) -> SimpleNamespace | None:
        return self.service if uuid == self.service.uuid else None

    def get_characteristic(self, uuid: str) -> SimpleNamespace | None:
        return next((c for c in self.service.characteristics if c.uuid == uuid), None)


def test_nus_characteristics_are_picked_by_property_whatever_their_names() -> None:
    profile = get_device("emgf-ble").ble
    assert profile is not None and profile.pick_by_property
    swapped = _Services(profile.service, [  # a vendor naming RX/TX from the other side
        _char(profile.write or "", 0x10, "notify"),
        _char(profile.notify[0], 0x12, "write", "write-without-response"),
    ])
    resolved = resolve_profile(swapped, profile)  # type: ignore[arg-type]
    assert [c.handle for c in resolved.notify] == [0x10]
    assert resolved.write is not None and resolved.write.handle == 0x12
    assert resolved.write_with_response


def test_myo_characteristics_are_found_by_uuid_or_the_device_is_refused() -> None:
    profile = get_device("myo").ble
    assert profile is not None and profile.write is not None
    chars = [_char(u, 0x20 + i, "notify") for i, u in enumerate(profile.notify)]
    full = _Services(profile.service, [*chars, _char(profile.write, 0x30, "write")])
    resolved = resolve_profile(full, profile)  # type: ignore[arg-type]
    assert [c.uuid for c in resolved.notify] == list(profile.notify)
    with pytest.raises(LinkError, match=profile.notify[3]):
        resolve_profile(_Services(profile.service, [*chars[:3]]), profile)  # type: ignore[arg-type]


@pytest.mark.parametrize(("endpoint", "address"), [
    ("F0:E0:00:00:00:01", True), ("f0-e0-00-00-00-01", True),
    ("0A1B2C3D-0000-1111-2222-333344445555", True), ("Myo", False), ("EMGF-NUS", False),
])
def test_addresses_are_told_from_names(endpoint: str, address: bool) -> None:
    assert is_address(endpoint) is address


def test_a_missing_bluetooth_stack_is_explained() -> None:
    assert "no Bluetooth stack" in explain(FileNotFoundError(2, "No such file or directory"))
    assert "emgspasm emulate" in explain(ConnectionRefusedError())
    assert explain(TimeoutError("device gone")) == "device gone"


def test_a_full_inbox_sheds_callbacks_and_counts_them_but_keeps_order() -> None:
    async def main() -> tuple[list[bytes], Inbox, str]:
        inbox = Inbox("test", max_bytes=10)
        accepted = [inbox.put_nowait(Received(bytes([i]) * 6, float(i))) for i in range(4)]
        assert accepted == [True, True, False, False]  # past 10 bytes: shed
        inbox.lost("disconnected")
        got: list[bytes] = []
        with pytest.raises(LinkLost) as lost:
            async for item in inbox.chunks(1.0):
                got.append(item.data)
        assert inbox.put_nowait(Received(b"x", 9.0))  # consumed: room again
        return got, inbox, str(lost.value)

    got, inbox, reason = asyncio.run(main())
    assert got == [b"\x00" * 6, b"\x01" * 6]
    assert (inbox.shed_chunks, inbox.shed_bytes) == (2, 12)
    assert reason == "test: disconnected"


@needs_dbus
def test_myo_stalls_are_late_data_not_loss(tmp_path) -> None:
    """Issue 11, item 5: the armband withholds its notifications for 0.3 s twice, then sends
    the backlog in a burst (BLE congestion; a host that stopped reading looks the same). The
    Myo has no counter, so only timing can tell: nothing was dropped, nothing may be lost."""
    fs = device_personality(get_device("myo")).fs
    faults = FaultPlan(stalls=[(round(0.8 * fs), 0.3), (round(1.8 * fs), 0.3)])
    session = run_session("myo", tmp_path, seconds=2.6, faults=faults)
    assert session.emulator.stats.stalls == 2 and session.emulator.stats.units_dropped == 0
    assert align(session) == []  # bit-exact, and no block placed after a gap
    s = session.stats
    assert (s.gaps, s.samples_lost, s.samples_lost_max) == (0, 0, 0), s
    assert s.stalls == 2
