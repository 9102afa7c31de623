"""Recordings in and out: EDF/EDF+/BDF/BDF+, CSV and text exports, read in chunks.

The front door is `open_reader` (chunked, bounded memory) and `read` (whole file into a
`Recording`); `open_writer` and `write` are their counterparts. Formats are chosen by
extension from a registry; every sample that comes out is float64 µV. Errors are
`RecordingError`s that name the file and, where known, the line or byte.
"""

from emgspasm.io.api import read, write
from emgspasm.io.base import RecordingReader, RecordingWriter
from emgspasm.io.errors import RecordingError, RecordingWarning
from emgspasm.io.registry import (
    READERS,
    WRITERS,
    open_reader,
    open_writer,
    register_reader,
    register_writer,
)
from emgspasm.io.text_sniff import register_text_format

__all__ = [
    "READERS",
    "WRITERS",
    "RecordingError",
    "RecordingReader",
    "RecordingWarning",
    "RecordingWriter",
    "open_reader",
    "open_writer",
    "read",
    "register_reader",
    "register_text_format",
    "register_writer",
    "write",
]
