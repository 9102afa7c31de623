"""`ClosedOnExit`: the ``with`` rule of everything that holds a file, a port or a thread.

Leaving the ``with`` block, even through an exception, calls `close`, so a handle is released
and what was written is kept. Capture writers and emulators here, and emgspasm's recording
readers and writers, follow this one rule; it lives in firmware_bridge because emgspasm may
import firmware_bridge and never the other way round (docs/architecture.md#layers).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosedOnExit:
    """Mixin: ``with obj:`` returns `obj` and calls its `close` on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
