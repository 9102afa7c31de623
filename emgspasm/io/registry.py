"""Which reader and writer handle which file extension.

One front door for every format (like MNE's ``read_raw``): the extension picks an entry in a
table, never an ``if ext == ...`` chain, so another part of the project (e.g. EMGF captures
from ``firmware_bridge``) adds a format with `register_reader` / `register_writer`.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emgspasm.io.base import RecordingReader, RecordingWriter
from emgspasm.io.csv_reader import CsvReader
from emgspasm.io.csv_writer import CsvWriter
from emgspasm.io.edf_reader import EdfReader
from emgspasm.io.edf_writer import BdfWriter, EdfWriter
from emgspasm.io.errors import RecordingError, where
from emgspasm.io.text_sniff import open_text

ReaderFactory = Callable[..., RecordingReader]
WriterFactory = Callable[..., RecordingWriter]


def _open_capture(path: str | Path, **options: Any) -> RecordingReader:
    """Raw device captures; imported on use so plain EDF/CSV work needs no firmware_bridge."""
    from emgspasm.io.capture_reader import open_capture

    return open_capture(path, **options)


READERS: dict[str, ReaderFactory] = {
    ".edf": EdfReader,
    ".bdf": EdfReader,
    ".csv": CsvReader,
    ".txt": open_text,
    ".emgcap": _open_capture,
}
"""Lower-case extension -> reader factory ``(path, *, fs, units, channels, **options)``."""

WRITERS: dict[str, WriterFactory] = {
    ".edf": EdfWriter,
    ".bdf": BdfWriter,
    ".csv": CsvWriter,
}
"""Lower-case extension -> writer factory ``(path, fs, channels, *, physical_range_uv, ...)``."""


def register_reader(extension: str, factory: ReaderFactory) -> None:
    """Read files ending in `extension` (e.g. ``".emgf"``) with `factory`."""
    READERS[_normalise(extension)] = factory


def register_writer(extension: str, factory: WriterFactory) -> None:
    """Write files ending in `extension` with `factory`."""
    WRITERS[_normalise(extension)] = factory


def _normalise(extension: str) -> str:
    return "." + extension.lower().lstrip(".")


def _lookup(table: dict[str, Any], path: Path, what: str) -> Any:
    factory = table.get(path.suffix.lower())
    if factory is None:
        known = ", ".join(sorted(table))
        raise RecordingError(
            f"{where(path)}: cannot {what} {path.suffix or 'extension-less'} files; "
            f"supported: {known}"
        )
    return factory


# The reader arguments every format takes (RecordingReader, read): a signature cannot be shared.
def open_reader(
    path: str | Path,
    *,
    fs: float | None = None,
    units: str | None = None,
    channels: list[str] | None = None,
    **options: Any,
) -> RecordingReader:
    """Open a recording for chunked reading, the format chosen by its extension.

    `fs` and `units` matter for formats that do not carry them (CSV without ``time_s``: fs is
    required; CSV units default to µV, PhysioNet text to mV); formats that do carry them check
    `fs` against the file. `channels` selects (and orders) channels by name. `options` go to the
    format's reader (e.g. ``vcc_v``, ``gain`` for BioSPPy text).

    Example::

        with open_reader("session.bdf") as reader:
            for block in reader.chunks(round(10 * reader.fs)):
                ...  # block: float64 µV, shape (n, len(reader.channels))
    """
    path = Path(path)
    factory = _lookup(READERS, path, "read")
    _check_readable(path)
    return factory(path, fs=fs, units=units, channels=channels, **options)


def _check_readable(path: Path) -> None:
    """Say what is really wrong with a path that is not a file, before a format reader (or
    edflib, which only says "read error" or "no such file") gets to misreport it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise
    except OSError as exc:  # a symlink loop (ELOOP), a name too long, a denied folder
        reason = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise RecordingError(f"{where(path)}: cannot open: {reason}") from None
    if stat.S_ISDIR(mode):
        raise RecordingError(f"{where(path)}: is a directory, not a recording file")


def open_writer(
    path: str | Path,
    fs: float,
    channels: Sequence[str],
    *,
    physical_range_uv: float | Sequence[float] | None = None,
    **options: Any,
) -> RecordingWriter:
    """Open a recording for chunked writing, the format chosen by its extension.

    ``.bdf`` is BDF+ (24-bit), ``.edf`` EDF+ (16-bit), ``.csv`` CSV. `physical_range_uv` is the
    ± range of EDF/BDF samples (values beyond it are clipped and counted; see `edf_writer`).

    Example::

        with open_writer("session.bdf", fs=2000, channels=["EMG1", "EMG2"]) as out:
            out.write(block)          # (n, 2) µV
            out.add_gap(25)           # 25 samples lost here
            out.add_annotation(12.0, 0.0, "electrode reseated")
    """
    path = Path(path)
    factory = _lookup(WRITERS, path, "write")
    return factory(path, fs, list(channels), physical_range_uv=physical_range_uv, **options)
