"""`PtyDevice`: a virtual serial device on a pseudo-terminal, for tests and demos without hardware.

A thread owns the master side of `os.openpty()`; the code under test opens the slave path (or a
stable symlink to it) with pyserial exactly as it would open ``/dev/ttyUSB0`` (docs/testing.md). The
device itself — start command, clock, faults — is a `DeviceCore`; this module moves its bytes.

Unplugging on a pty: closing the master is the unplug (the host's reads fail with EIO and unread
bytes are discarded), but a pty cannot be re-opened once its master is closed. So the device is
reachable through a stable symlink (``link_path``), as udev's ``/dev/serial/by-id/...`` names
survive replugging while ``ttyUSB0`` may come back as ``ttyUSB1``: an unplug removes the symlink,
a replug creates a fresh pty and points the symlink at it. The host transport needs nothing
special: it just keeps reopening the same path. After a replug the device waits for its start
command again (EMGF §6: nothing on a link before ``b``), with its sample counter still running.

Writes are non-blocking with a bounded backlog: when nobody reads the port (the host is not
connected yet, or is stalled), whole units are dropped and counted, like a device whose output
buffer overflows, rather than blocking the device clock.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import select
import threading
import time
import tty
from pathlib import Path

from firmware_bridge.emulators.core import DeviceCore
from firmware_bridge.emulators.faults import FaultPlan
from firmware_bridge.emulators.lifecycle import DeviceFront, StartedInWith
from firmware_bridge.emulators.personality import Personality
from firmware_bridge.emulators.signal import EmulatedSignal

log = logging.getLogger(__name__)

TICK_S = 0.004
"""Emulator wake-up period when idle: frames leave in bursts of at most this much signal."""

MAX_BACKLOG_BYTES = 64 * 1024
"""Bytes waiting for the host before further units are dropped (device buffer overflow)."""


class PtyDevice(DeviceFront, StartedInWith):
    """A device emulator on a pty. Use as a context manager, or `start()` / `close()`.

    Parameters
    ----------
    personality : the protocol behaviour (`personality.make_personality`).
    signal : the counts to send (`EmulatedSignal`), columns at least the device's channels.
    faults : scheduled and random faults (`FaultPlan`).
    link_path : stable path (symlink) to the current pty; needed for replugs to be reachable.
    """

    def __init__(
        self,
        personality: Personality,
        signal: EmulatedSignal,
        *,
        faults: FaultPlan | None = None,
        link_path: str | os.PathLike[str] | None = None,
        tick_s: float = TICK_S,
        max_backlog_bytes: int = MAX_BACKLOG_BYTES,
    ) -> None:
        self.core = DeviceCore(personality, signal, faults)
        self.personality = personality
        self.signal = signal
        self.link_path = Path(link_path) if link_path is not None else None
        self.tick_s = tick_s
        self.max_backlog_bytes = max_backlog_bytes
        self._master: int | None = None
        self._slave: int | None = None
        self._slave_path: str | None = None
        self._out = bytearray()
        self._replug_at: float | None = None
        self._requests: queue.SimpleQueue[tuple[str, float | None]] = queue.SimpleQueue()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    # ---- public ---------------------------------------------------------------------------

    endpoint_option = "--port"
    """The ``emgspasm stream`` option that takes `endpoint`."""

    @property
    def environment(self) -> dict[str, str]:
        """Environment a host process needs to reach the device: nothing, for a pty."""
        return {}

    @property
    def endpoint(self) -> str:
        """What a host opens (`port`)."""
        return self.port

    @property
    def where(self) -> str:
        """Where the device is, for people."""
        return f"{self.slave_path} (stable link: {self.port})"

    @property
    def port(self) -> str:
        """The path a host should open: the stable link if there is one, else the pty."""
        if self.link_path is not None:
            return str(self.link_path)
        if self._slave_path is None:
            raise RuntimeError("emulator not started")
        return self._slave_path

    @property
    def slave_path(self) -> str | None:
        """The current pty (changes at every replug); None while unplugged."""
        return self._slave_path

    def start(self) -> str:
        """Create the pty, start the device thread, return `port`."""
        self._plug()
        self.core.connected(time.monotonic(), self)
        self._thread = threading.Thread(target=self._run, name="pty-device", daemon=True)
        self._thread.start()
        return self.port

    def unplug(self, duration_s: float | None = None) -> None:
        """Pull the plug now; plug back in after ``duration_s`` (None: wait for `replug`)."""
        self._requests.put(("unplug", duration_s))

    def replug(self) -> None:
        """Plug back in now (after an `unplug` without a duration)."""
        self._requests.put(("replug", None))

    def close(self) -> None:
        """Stop the thread, close the pty, remove the link. Safe to call twice."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        self._unplug_now()

    def wait_until(self, predicate: object, timeout_s: float = 10.0) -> bool:
        """Poll ``predicate()`` (a callable) until true or timeout; True if it became true."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if callable(predicate) and predicate():
                return True
            if self.error is not None:
                raise RuntimeError("emulator thread failed") from self.error
            time.sleep(0.01)
        return bool(callable(predicate) and predicate())


    # ---- the device thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._closing.is_set():
                now = time.monotonic()
                self._handle_requests(now)
                if self._master is None:
                    if self._replug_at is not None and now >= self._replug_at:
                        self._replug(now)
                    else:
                        time.sleep(self.tick_s)
                    continue
                wlist = [self._master] if self._out else []
                readable, _, _ = select.select([self._master], wlist, [], self.tick_s)
                if readable:
                    self._read_commands(time.monotonic())
                if self._master is not None:
                    unplug_s = self.core.produce(time.monotonic(), self)
                    if unplug_s is not None:
                        self._do_unplug(time.monotonic(), unplug_s)
                if self._master is not None and self._out:
                    self._write_out()
        except BaseException as exc:  # surfaced through wait_until / tests
            self.error = exc
            log.exception("pty device thread failed")

    def _handle_requests(self, now: float) -> None:
        while True:
            try:
                what, duration = self._requests.get_nowait()
            except queue.Empty:
                return
            if what == "unplug" and self._master is not None:
                self._do_unplug(now, duration)
            elif what == "replug" and self._master is None:
                self._replug(now)

    def _read_commands(self, now: float) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 1024)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EIO:  # no slave open: nothing to read
                return
            raise
        self.core.receive(data, now, self)

    # ---- Wire (DeviceCore's output) -------------------------------------------------------------

    def send_unit(self, data: bytes, start: int) -> bool:
        if len(self._out) > self.max_backlog_bytes:
            return False
        self._out += data
        return True

    def send_bytes(self, data: bytes) -> None:
        self._out += data

    def _write_out(self) -> None:
        assert self._master is not None
        try:
            n = os.write(self._master, self._out[:65536])
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno == errno.EIO:
                return
            raise
        del self._out[:n]
        self.stats.bytes_written += n

    # ---- plugging -------------------------------------------------------------------------------

    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline mangling of 0x0A and friends
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._slave_path = os.ttyname(slave)
        if self.link_path is not None:
            tmp = self.link_path.with_name(self.link_path.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.symlink(self._slave_path, tmp)
            os.replace(tmp, self.link_path)  # atomic: a host never sees a half-made link

    def _do_unplug(self, now: float, duration_s: float | None) -> None:
        self._write_out()  # best effort: what the host has not read yet is lost anyway
        self._unplug_now()
        self.core.disconnected()
        self.stats.unplugs += 1
        self._replug_at = None if duration_s is None else now + duration_s
        log.info("emulator unplugged%s", "" if duration_s is None else f" for {duration_s:g} s")

    def _unplug_now(self) -> None:
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link_path.unlink()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        self._slave_path = None
        self._out.clear()

    def _replug(self, now: float) -> None:
        self._replug_at = None
        self._plug()
        self.stats.replugs += 1
        self.core.connected(now, self)  # a new link: most boards wait for their start command
        log.info("emulator replugged as %s", self._slave_path)
