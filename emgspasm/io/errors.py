"""Errors and warnings of the recordings I/O layer.

A batch run over thousands of files records each failure and carries on, so every message has
to stand on its own: it names the file and, where it helps, the line or byte where reading went
wrong (docs/architecture.md#invariants).
"""

from __future__ import annotations

from pathlib import Path


class RecordingError(ValueError):
    """A recording cannot be read (or written) as asked.

    Subclasses `ValueError` so callers that already guard against bad values catch it too. The
    message always starts with the file path, then (when known) ``:line`` or ``@byte``.
    """


class RecordingWarning(UserWarning):
    """Something was repaired or skipped while reading; the data are usable but the user must know.

    A separate class lets a batch runner collect these (``warnings.catch_warnings``) or a strict
    user turn them into errors (``warnings.simplefilter("error", RecordingWarning)``).
    """


def where(path: str | Path, line: int | None = None, byte: int | None = None) -> str:
    """``path``, ``path:line`` or ``path@byte``: the prefix every I/O message starts with."""
    text = str(path)
    if line is not None:
        text += f":{line}"
    if byte is not None:
        text += f"@{byte}"
    return text
