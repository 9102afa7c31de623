"""Integration through real pyserial on a pty, for every serial device of the registry.

Each test runs the device's emulator (exact wire bytes from the project's codecs) and the real
`open_source` serial path on the emulator's stable link, then walks the received blocks
against what the emulator sent (`stream_check.align`): samples bit-exact, every injected
drop a gap of the right length, stalls harmless, an unplug followed by recovery losing only
the outage and reported as a reconnect.

Unplug design: a pty cannot be reopened once its master closes, so the emulator publishes a
stable symlink (like /dev/serial/by-id) that an unplug removes and a replug points at a fresh
pty; the transport just keeps reopening the same path.
"""

from __future__ import annotations

import time

import pytest
import serial
from stream_check import align, run_session

from firmware_bridge.devices import get_device, serial_devices
from firmware_bridge.emulators import EmulatedSignal, FaultPlan, PtyDevice, device_personality

SERIAL = [spec.name for spec in serial_devices()]
EXACT = {"emgf", "ascii", "cyton"}
"""Devices whose gaps here must be exact: EMGF and ASCII-with-seq count samples; Cyton's 8-bit
counter is exact for losses under 256 samples unless the host stalls for half a second.
BITalino's 4-bit counter plus host timing gives a bound (checked to contain the truth)."""

GARBAGE = b"\x00\xa0\xc0 noise \xa5\x5a\x01\xff"


def _rate(device: str) -> float:
    return device_personality(get_device(device)).fs


def test_every_serial_device_has_an_emulator() -> None:
    assert set(SERIAL) == {"cyton", "bitalino", "emgf", "ascii"}


@pytest.mark.parametrize("device", SERIAL)
def test_bit_exact_with_drops_garbage_and_stall(device: str, tmp_path) -> None:
    fs = _rate(device)
    n = round(1.6 * fs)
    faults = FaultPlan(
        drops=[(n // 4, 2), (n // 2, 1)],
        garbage=[(n * 3 // 8, GARBAGE)],
        stalls=[(n * 5 // 8, 0.2)],
    )
    session = run_session(device, tmp_path, seconds=1.6, faults=faults,
                          options={"n_channels": 2} if device == "ascii" else None)
    checks = align(session)
    emu = session.emulator.stats
    assert emu.units_dropped == 3 and emu.stalls == 1 and emu.garbage_bytes == len(GARBAGE)
    assert session.stats.reconnects == 0
    assert all(c.within_bounds for c in checks), checks
    if device in EXACT:
        assert all(c.estimate == c.true_missing for c in checks), checks
    spu = session.emulator.personality.samples_per_unit
    truly_lost = sum(c.true_missing for c in checks)
    assert truly_lost >= 3 * spu  # the drops, plus what a resync discards (BITalino, Cyton)
    # every sample from the first one received to the last is either received or in a gap
    assert session.stats.samples_received + truly_lost == session.end - session.first
    # and the stream is complete up to the last sample the device produced
    assert session.end == session.emulator.next_index
    assert session.stats.samples_lost == sum(c.estimate for c in checks)


@pytest.mark.parametrize("device", SERIAL)
def test_unplug_then_recovery(device: str, tmp_path) -> None:
    fs = _rate(device)
    n = round(1.8 * fs)
    faults = FaultPlan(unplugs=[(n // 3, 0.3)])
    session = run_session(device, tmp_path, seconds=1.8, faults=faults,
                          options={"n_channels": 2} if device == "ascii" else None)
    checks = align(session)
    assert session.emulator.stats.unplugs == 1 and session.emulator.stats.replugs == 1
    assert session.stats.reconnects == 1
    assert session.stats.outage_s > 0
    outage = max(checks, key=lambda c: c.true_missing)
    assert outage.true_missing >= round(0.25 * fs)  # the device clock ran through the outage
    assert all(c.within_bounds for c in checks), checks
    if device in EXACT:
        assert all(c.estimate == c.true_missing for c in checks), checks
    # only the outage (and at most a resync's worth around it) is lost
    assert sum(c.true_missing for c in checks) <= outage.true_missing + 8


def test_ascii_without_counter_bounds_the_outage_by_host_time(tmp_path) -> None:
    fs = _rate("ascii")
    faults = FaultPlan(unplugs=[(round(0.6 * fs), 0.3)])
    session = run_session("ascii", tmp_path, seconds=1.8, faults=faults,
                          options={"n_channels": 2, "has_seq": False})
    checks = align(session)
    outage = max(checks, key=lambda c: c.true_missing)
    assert isinstance(outage.reported, tuple)
    lo, hi = outage.reported
    assert lo < hi and lo <= outage.true_missing <= hi
    assert session.stats.samples_lost_min <= session.stats.samples_lost_max


@pytest.mark.parametrize(
    ("device", "start"),
    [("cyton", b"b"), ("emgf", b"b"), ("bitalino", bytes([0xC3, 0x3D]))],
)
def test_boards_wait_for_the_start_command(device: str, start: bytes, tmp_path) -> None:
    personality = device_personality(get_device(device))
    signal = EmulatedSignal.random(personality.codec, 1000, n_channels=personality.n_channels)
    with PtyDevice(personality, signal, link_path=tmp_path / "port") as emu:
        port = serial.Serial(emu.port, 115200, timeout=0.05)
        try:
            deadline = time.monotonic() + 0.3
            before = b""
            while time.monotonic() < deadline:
                before += port.read(port.in_waiting or 1)
            port.write(start)
            after = b""
            deadline = time.monotonic() + 2.0
            while len(after) < 64 and time.monotonic() < deadline:
                after += port.read(port.in_waiting or 1)
        finally:
            port.close()
    assert before == b""
    assert len(after) >= 64
    assert emu.stats.starts == 1


# ---- host and link stalls on a device without a counter (issue 11, item 5) ----------------


def test_ascii_without_counter_reports_no_loss_for_stalls(tmp_path) -> None:
    """The emulator withholds its output for 0.3 s, three times, then sends the backlog at
    once: nothing was dropped, so nothing may be reported lost (it reported ~200 samples per
    stall, the stall minus the jitter, as a proven loss)."""
    fs = _rate("ascii")
    faults = FaultPlan(stalls=[(round(k * 0.7 * fs), 0.3) for k in (1, 2, 3)])
    session = run_session("ascii", tmp_path, seconds=2.4, faults=faults,
                          options={"n_channels": 2, "has_seq": False})
    assert session.emulator.stats.stalls == 3 and session.emulator.stats.units_dropped == 0
    checks = align(session)  # every sample bit-exact where the host put it
    assert checks == [], checks
    s = session.stats
    assert (s.gaps, s.samples_lost, s.samples_lost_max) == (0, 0, 0), s
    assert s.stalls == 3
    assert session.end - session.first == s.samples_received


def test_ascii_without_counter_still_reports_a_real_drop_among_stalls(tmp_path) -> None:
    """0.3 s dropped (300 lines never sent) and a 0.3 s stall elsewhere: the drop is reported
    with a bound that holds it, the stall is not."""
    fs = _rate("ascii")
    faults = FaultPlan(drops=[(round(0.6 * fs), round(0.3 * fs))],
                       stalls=[(round(1.5 * fs), 0.3)])
    session = run_session("ascii", tmp_path, seconds=2.4, faults=faults,
                          options={"n_channels": 2, "has_seq": False})
    checks = align(session)
    (drop,) = checks
    assert drop.true_missing == round(0.3 * fs) and drop.within_bounds, drop
    assert session.stats.gaps == 1 and session.stats.samples_lost_min > 0
    assert session.stats.stalls == 1
