"""Serial links through pyserial (USB dongles, UART bridges, USB CDC, ptys, pyserial URLs).

Reading happens in a dedicated thread, not in the event loop, for two reasons: each chunk is
stamped with its host receive time the moment ``read`` returns (not when a busy event loop gets
round to it, which would blur gap bounds), and a slow consumer cannot stop the OS from being
drained promptly. Reads follow docs/testing.md: ``read(in_waiting or 1)``, never a large fixed size,
because a big ``read`` discards what it already had when the device disappears mid-call.

Backpressure instead of loss: the thread hands chunks to the event loop through an `Inbox`
bounded in bytes; when the consumer falls that far behind, the thread waits, the OS buffer fills,
and the device (or driver) drops data — which the codec's counter then reports as a gap. Nothing
is discarded here without being counted somewhere.

``port`` is anything `serial.serial_for_url` accepts: ``/dev/ttyUSB0``, ``COM3``, a pty path, a
stable symlink such as ``/dev/serial/by-id/...`` (which survives replugging, unlike
``ttyUSB0`` → ``ttyUSB1``), or a URL like ``loop://`` and ``socket://host:port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import serial

from firmware_bridge.transports.events import Received
from firmware_bridge.transports.inbox import MAX_BUFFERED_BYTES, Inbox
from firmware_bridge.transports.link import Link, LinkError, LinkLost

READ_TIMEOUT_S = 0.05
"""How often the reader thread wakes when idle to notice `close()`; also bounds its exit time."""


class SerialLink(Link):
    """One open serial port, read by a thread, consumed as async `Received` chunks."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        clock: Callable[[], float] = time.monotonic,
        read_timeout_s: float = READ_TIMEOUT_S,
        max_buffered_bytes: int = MAX_BUFFERED_BYTES,
        serial_options: dict[str, Any] | None = None,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.description = f"serial {port} @ {baudrate} baud"
        self._clock = clock
        self._read_timeout_s = read_timeout_s
        self._max_buffered = max_buffered_bytes
        self._serial_options = dict(serial_options or {})
        self._ser: serial.SerialBase | None = None
        self._thread: threading.Thread | None = None
        self._inbox: Inbox | None = None
        self._stop = threading.Event()

    # ---- Link -----------------------------------------------------------------------------

    async def open(self) -> None:
        self._inbox = Inbox(self.port, self._max_buffered)
        try:
            self._ser = await asyncio.to_thread(self._open_port)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"{self.port}: {exc}") from exc
        self._thread = threading.Thread(
            target=self._read_loop, name=f"serial-reader {self.port}", daemon=True
        )
        self._thread.start()

    async def write(self, data: bytes, channel: int = 0) -> None:
        ser = self._ser
        if ser is None:
            raise LinkLost(f"{self.port}: not open")
        try:
            await asyncio.to_thread(self._write_all, ser, data)
        except (serial.SerialException, OSError) as exc:
            raise LinkLost(f"{self.port}: write failed: {exc}") from exc

    # The Link interface over an Inbox, as in BleLink: two delegating lines, alike in shape.
    def chunks(self, silence_timeout_s: float | None) -> AsyncIterator[Received]:
        if self._inbox is None:
            raise LinkLost(f"{self.port}: not open")
        return self._inbox.chunks(silence_timeout_s)

    def interrupt(self) -> None:
        if self._inbox is not None:
            self._inbox.interrupt()

    async def close(self) -> None:
        self._stop.set()
        if self._inbox is not None:
            self._inbox.close()
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.cancel_read()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 2.0)
            self._thread = None
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.close()

    # ---- blocking side (threads) ------------------------------------------------------------

    def _open_port(self) -> serial.SerialBase:
        ser = serial.serial_for_url(
            self.port,
            baudrate=self.baudrate,
            timeout=self._read_timeout_s,
            write_timeout=2.0,
            do_not_open=True,
            **self._serial_options,
        )
        with contextlib.suppress(AttributeError, ValueError, serial.SerialException):
            ser.exclusive = True  # two programs reading one device each get half the bytes
        ser.open()
        # pyserial flushes on open; say so explicitly, since devices must not have streamed yet.
        ser.reset_input_buffer()
        return ser

    @staticmethod
    def _write_all(ser: serial.SerialBase, data: bytes) -> None:
        ser.write(data)
        ser.flush()

    def _read_loop(self) -> None:
        ser, inbox = self._ser, self._inbox
        assert ser is not None and inbox is not None
        try:
            while not self._stop.is_set():
                data = ser.read(ser.in_waiting or 1)
                if not data:
                    continue
                waiting = ser.in_waiting  # read(1) returned the first byte of a burst
                if waiting:
                    data += ser.read(waiting)
                inbox.put_waiting(Received(bytes(data), self._clock()))
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # TypeError/AttributeError: pyserial's posix read after close() from another thread.
            if not self._stop.is_set():
                inbox.lost(str(exc) or type(exc).__name__)
        finally:
            inbox.end()
