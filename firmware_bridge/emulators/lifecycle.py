"""`with emulator:` for every emulated device and stack: started on entry, closed on exit.

Each emulator owns a thread (and a pty, or a private D-Bus and BLE stack) that must be torn
down however the test or command using it ends; this is that one rule, written once.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self


class StartedInWith:
    """Mixin: `__enter__` calls `start()`, `__exit__` calls `close()`."""

    def start(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
