"""`Link`: one connection attempt to a device, the part that differs per transport.

A link is opened, written to (commands), read as a stream of `Received` chunks, and closed. It
knows nothing of codecs, gaps or retries: losing the connection just raises `LinkLost`, and the
reconnect loop (`reconnect.py`) decides what happens next. Serial (`serial.SerialLink`) and BLE
(`ble.BleLink`: one `Received` per notification, with the characteristic as channel) implement
it; both hand data over through an `inbox.Inbox`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from firmware_bridge.transports.events import Received


class LinkError(OSError):
    """A link could not be opened (port missing, busy, permission, device out of range)."""


class LinkLost(ConnectionError):
    """An open link stopped working: unplug, read/write error, or silence past the limit."""


class Link(ABC):
    """One connection to a device. Not reusable: the reconnect loop makes a new one each time."""

    description: str = "link"

    @abstractmethod
    async def open(self) -> None:
        """Connect; raise `LinkError` when the device cannot be reached (the loop retries)."""

    @abstractmethod
    async def write(self, data: bytes, channel: int = 0) -> None:
        """Send bytes (a command) to the device; raise `LinkLost` if the link is gone."""

    @abstractmethod
    def chunks(self, silence_timeout_s: float | None) -> AsyncIterator[Received]:
        """Yield received data until `interrupt()`; raise `LinkLost` on a disconnect, or when
        nothing arrives for ``silence_timeout_s`` seconds (None: wait forever)."""

    @abstractmethod
    def interrupt(self) -> None:
        """Make `chunks` return soon (thread- and signal-safe); data already read is yielded."""

    @abstractmethod
    async def close(self) -> None:
        """Release the connection. Safe to call twice and after a failure."""
