"""A private D-Bus daemon: the "system bus" of the BLE test stack.

bleak's Linux backend talks to BlueZ on the D-Bus *system* bus, and finds that bus through the
standard ``DBUS_SYSTEM_BUS_ADDRESS`` variable. Pointing that variable at a daemon of our own is
the only redirection the test stack needs: bleak is neither patched nor configured, and the
machine's real bus (if any) is never touched. The daemon is a real ``dbus-daemon`` process
(the real socket, authentication and message routing), listening on a socket in a private
temporary directory and removed with it.

The daemon must not outlive us, even when this process is killed outright (a CI timeout, a
second Ctrl-C) and no ``finally`` runs. So it is started by a minimal supervisor process that
holds the read end of a pipe from us: the pipe closes whenever we end, however we end, and the
supervisor then stops the daemon.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DBUS_DAEMON = "dbus-daemon"
BUS_VARIABLE = "DBUS_SYSTEM_BUS_ADDRESS"
"""The standard variable naming the system bus: what a bleak process must have set to this
bus's `PrivateBus.address`."""

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={directory}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
"""A bus where anyone may own any name (``org.bluez`` included) and talk to anyone: it is
reachable only through a socket in a directory private to this process's user."""


_SUPERVISOR = """
import shutil, subprocess, sys
daemon = subprocess.Popen(sys.argv[2:])  # prints its address on our stdout, the parent's pipe
sys.stdin.read()  # returns when the parent closes the pipe, or dies
daemon.terminate()
try:
    daemon.wait(5)
except subprocess.TimeoutExpired:
    daemon.kill()
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""
"""Runs ``dbus-daemon`` (``argv[2:]``) until its parent is gone (module docstring), then removes
the bus directory (``argv[1]``). ``-I -S``: it needs nothing from the environment or
site-packages, so it starts in milliseconds."""


def dbus_daemon_missing() -> str | None:
    """Why a private bus cannot be started here (None: it can)."""
    if shutil.which(DBUS_DAEMON) is None:
        return f"{DBUS_DAEMON} is not installed (Debian/Ubuntu: apt-get install dbus)"
    return None


class PrivateBus:
    """A ``dbus-daemon`` of our own; `address` is what ``DBUS_SYSTEM_BUS_ADDRESS`` takes."""

    def __init__(self) -> None:
        self.address: str | None = None
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the daemon; return its address once it accepts connections."""
        reason = dbus_daemon_missing()
        if reason is not None:
            raise FileNotFoundError(reason)
        self._dir = Path(tempfile.mkdtemp(prefix="emgspasm-dbus-"))
        config = self._dir / "bus.conf"
        config.write_text(_CONFIG.format(directory=self._dir))
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _SUPERVISOR, str(self._dir), DBUS_DAEMON,
             f"--config-file={config}", "--nofork", "--print-address=1"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it complains it may not raise its fd limit: harmless
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()  # printed once listening
        if not line:
            self.close()
            raise RuntimeError(f"{DBUS_DAEMON} exited without printing its address")
        self.address = line
        return line

    def close(self) -> None:
        """Stop the daemon and remove its directory. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()  # closing stdin tells the supervisor to stop the daemon
            try:
                process.wait(10.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.address = None
