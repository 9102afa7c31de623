"""`DeviceCore`: the part of an emulated device that does not depend on its link.

A board behaves the same whether its bytes leave through a USB UART (a pty here) or a BLE radio
(a Bumble peripheral here): it waits for its start command, then produces wire units on its own
clock — sample ``k`` is due ``k / fs`` seconds after the first start, and the clock keeps
running while the device is stopped, stalled or disconnected, so whatever was not sent in those
times is lost, as with real hardware — and it suffers the faults of its `FaultPlan`. This class
is that behaviour; the link-specific emulators (`pty_device.PtyDevice`,
`ble_peripheral.BlePeripheral`) only move its output and its commands, through a `Wire`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from firmware_bridge.emulators.faults import FaultPlan, FaultSchedule
from firmware_bridge.emulators.personality import Personality, Reaction
from firmware_bridge.emulators.signal import EmulatedSignal


# Alike in shape only to the host's SourceStats: device-side counts, not host-side ones.
@dataclass(slots=True)
class EmulatorStats:
    """What the emulated device did, for tests and for the `emulate` command's summary."""

    starts: int = 0
    stops: int = 0
    units_sent: int = 0
    samples_sent: int = 0
    units_dropped: int = 0
    """Units skipped by injected drops."""
    samples_dropped: int = 0
    overflow_units: int = 0
    """Units dropped because nobody read the port (backlog full)."""
    garbage_bytes: int = 0
    stalls: int = 0
    unplugs: int = 0
    replugs: int = 0
    bytes_written: int = 0
    notifications: int = 0
    """BLE notifications sent (a byte-stream device's units are cut to the MTU)."""


class Wire(Protocol):
    """Where a `DeviceCore`'s output goes (a pty's output buffer, BLE notifications)."""

    def send_unit(self, data: bytes, start: int) -> bool:
        """Queue one wire unit whose first sample has device index ``start``; False when the
        link has no room for it (the device's output buffer overflows)."""

    def send_bytes(self, data: bytes) -> None:
        """Queue bytes that are not samples: replies, the stream preamble, garbage."""


class DeviceCore:
    """Clock, commands, output and faults of one emulated device (see the module docstring).

    Parameters
    ----------
    personality : the protocol behaviour (`personality.make_personality`).
    signal : the counts to send (`EmulatedSignal`), columns at least the device's channels.
    faults : scheduled and random faults (`FaultPlan`).
    """

    def __init__(
        self, personality: Personality, signal: EmulatedSignal, faults: FaultPlan | None = None
    ) -> None:
        self.personality = personality
        self.signal = signal
        self.faults = FaultSchedule(faults, personality.fs)
        self.stats = EmulatorStats()
        self._streaming = False
        self._t0: float | None = None  # device clock origin (first start)
        self._next = 0  # next device sample index to send
        self._stall_until = 0.0

    # Read-only views of the clock's state; property blocks look alike everywhere (shape only).
    @property
    def streaming(self) -> bool:
        """Whether the device is currently streaming."""
        return self._streaming

    @property
    def next_index(self) -> int:
        """Device index of the next sample to be sent."""
        return self._next

    @property
    def exhausted(self) -> bool:
        """A finite (non-looping) signal has no whole unit left to send."""
        spu = self.personality.samples_per_unit
        return not self.signal.loop and self._next + spu > self.signal.length

    def receive(self, data: bytes, now: float, wire: Wire) -> None:
        """Bytes written by the host: react as the device would."""
        for reaction in self.personality.write(data, self._streaming):
            self._react(reaction, now, wire)

    def connected(self, now: float, wire: Wire) -> None:
        """A (new) link: a device that streams from power-up starts at once; others wait for
        their start command."""
        if self.personality.streams_on_power_up:
            self._start_streaming(now, wire)

    def disconnected(self) -> None:
        """The link went away (unplug, radio loss, the host left): streaming stops until the
        next start command; the clock runs on, so the next start skips what fell due."""
        self._streaming = False

    def produce(self, now: float, wire: Wire) -> float | None:
        """Send the units due by ``now``. Returns the duration of an unplug fault that fired
        (the caller unplugs; the unit is sent after the replug if still due), else None."""
        if not self._streaming or now < self._stall_until:
            return None
        spu = self.personality.samples_per_unit
        n_units = (self._due(now) - self._next) // spu
        if n_units <= 0:
            return None
        counts = self.signal.window(self._next, n_units * spu)
        if counts.shape[0] < n_units * spu:  # a finite signal ended: the device falls silent
            n_units = counts.shape[0] // spu
            if n_units == 0:
                return None
        cols = [c % counts.shape[1] for c in self.personality.channels]
        units = self.personality.encode(np.ascontiguousarray(counts[: n_units * spu, cols]),
                                        self._next)
        for unit in units:
            start = self._next
            fault = self.faults.for_unit(start, spu)
            if fault.unplug_s is not None:
                return fault.unplug_s
            if fault.stall_s:
                self._stall_until = now + fault.stall_s
                self.stats.stalls += 1
                return None  # this unit and the rest are produced again after the stall
            self._next += spu
            if fault.garbage:
                wire.send_bytes(fault.garbage)
                self.stats.garbage_bytes += len(fault.garbage)
            if fault.drop:
                self.stats.units_dropped += 1
                self.stats.samples_dropped += spu
                continue
            if not wire.send_unit(unit, start):
                self.stats.overflow_units += 1
                continue
            self.stats.units_sent += 1
            self.stats.samples_sent += spu
        return None

    def _react(self, reaction: Reaction, now: float, wire: Wire) -> None:
        if reaction.stop and self._streaming:
            self._streaming = False
            self.stats.stops += 1
        if reaction.reply:
            wire.send_bytes(reaction.reply)
        if reaction.start:
            self._start_streaming(now, wire)

    def _start_streaming(self, now: float, wire: Wire) -> None:
        if self._t0 is None:
            self._t0 = now
            self._next = 0
        elif not self._streaming:
            self._next = max(self._next, self._due(now))
        self._streaming = True
        self.stats.starts += 1
        wire.send_bytes(self.personality.preamble())

    def _due(self, now: float) -> int:
        assert self._t0 is not None
        return int((now - self._t0) * self.personality.fs)
