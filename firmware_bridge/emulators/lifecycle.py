"""The lifecycle every emulated device shares: `with emulator:` starts it and closes it, and
what it tells about itself is its `DeviceCore`'s state.

Each emulator owns a thread (and a pty, or a private D-Bus and BLE stack) that must be torn
down however the test or command using it ends; this is that one rule, written once. The pty
device, the BLE peripheral and the BLE emulator only move bytes for a `DeviceCore`, so their
counts are the core's, read the same way (`DeviceFront`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from firmware_bridge.closing import ClosedOnExit

if TYPE_CHECKING:
    from firmware_bridge.emulators.core import DeviceCore, EmulatorStats


class StartedInWith(ClosedOnExit):
    """Mixin: `__enter__` calls `start()` first; leaving closes, as for any `ClosedOnExit`."""

    def start(self) -> Any:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self


class DeviceFront:
    """Mixin for an emulator in front of one `DeviceCore` (set as `core`): its state, readable
    from any thread, so tests and the `emulate` summary read every emulator alike."""

    core: DeviceCore

    # Four one-line views of the core: alike in shape only.
    @property
    def stats(self) -> EmulatorStats:
        """What the device did so far."""
        return self.core.stats

    @property
    def streaming(self) -> bool:
        """Whether the device is currently streaming."""
        return self.core.streaming

    @property
    def next_index(self) -> int:
        """Device index of the next sample to be sent."""
        return self.core.next_index

    @property
    def exhausted(self) -> bool:
        """A finite (non-looping) signal has no whole unit left to send."""
        return self.core.exhausted
