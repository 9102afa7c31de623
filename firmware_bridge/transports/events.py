"""What happens on a link, as a sequence of timestamped transport events.

The live source and the replay of a raw capture both turn their input into this one sequence and
hand it to the same `StreamDecoder`. That is what makes a replayed capture decode to exactly the
blocks the live session produced: there is no second decoding path to drift apart.

Times are host receive times in seconds on the session's own clock (monotonic, counted from the
session start), never wall-clock time, so an NTP step cannot fake or hide a gap.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Received:
    """Bytes (or one BLE notification) received from the device."""

    data: bytes
    host_time: float
    channel: int = 0
    """Transport channel: 0 for a serial port; for BLE, the index of the notifying
    characteristic in the device profile (Myo sends EMG on four)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """Bytes written to the device (start/stop commands): kept so a capture shows the session."""

    data: bytes
    host_time: float
    channel: int = 0


@dataclass(frozen=True, slots=True)
class LinkUp:
    """A connection was (re-)established."""

    host_time: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LinkDown:
    """The connection was lost (unplug, read error, silence) or closed at the end."""

    host_time: float
    reason: str = ""


TransportEvent = Received | Sent | LinkUp | LinkDown
