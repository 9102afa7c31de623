"""Choosing the reader for a ``.txt`` file by looking at its first bytes.

``.txt`` says nothing about the layout, so each text format contributes a `sniff(head)` test
and the first format that recognises the head reads the file. The most specific formats come
first (BioSPPy's ``#`` header before the bare ``time value`` columns). New formats are added
with `register_text_format`, not by editing a chain of ifs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from emgspasm.io.base import RecordingReader
from emgspasm.io.biosppy_text import BioSPPyTextReader
from emgspasm.io.errors import RecordingError, where
from emgspasm.io.timevalue_text import TimeValueTextReader

SNIFF_BYTES = 1 << 16


class TextFormat(Protocol):
    """A reader class that can recognise its own files."""

    @staticmethod
    def sniff(head: bytes) -> bool: ...

    def __call__(self, path: str | Path, **kwargs: Any) -> RecordingReader: ...


TEXT_FORMATS: list[TextFormat] = [BioSPPyTextReader, TimeValueTextReader]
"""Text formats in the order they are tried."""


def register_text_format(reader: TextFormat, *, first: bool = False) -> None:
    """Make `reader` a candidate for ``.txt`` files (tried before the others if `first`)."""
    if first:
        TEXT_FORMATS.insert(0, reader)
    else:
        TEXT_FORMATS.append(reader)


def open_text(path: str | Path, **kwargs: Any) -> RecordingReader:
    """Open a ``.txt`` recording with the first text format that recognises it."""
    with Path(path).open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    for reader in TEXT_FORMATS:
        if reader.sniff(head):
            return reader(path, **kwargs)
    names = ", ".join(getattr(r, "__name__", repr(r)) for r in TEXT_FORMATS)
    raise RecordingError(
        f"{where(path)}: not a text recording this package knows (tried {names}); the first "
        f"bytes are {head[:60]!r}"
    )
