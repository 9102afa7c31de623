"""Saying *where* an EDF/BDF file is broken when pyedflib refuses it, and how many records it holds.

pyedflib (edflib) reports only a category ("format errors", "Filesize") and trusts the header's
record count: a header left at -1 by a killed writer makes the file unreadable, and one that
under-counts is read short without a word. This reads just the few fixed-width numbers of the
header that determine the file size (`read_layout`); the data themselves are always read by
pyedflib.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_SIGNAL_FIELDS_BEFORE_SPR = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80
"""Bytes of per-signal header fields before 'number of samples in each data record'."""

RECORD_COUNT_FIELD = slice(236, 244)
"""Byte range of the fixed header's 'number of data records' (8 ASCII characters)."""


@dataclass(frozen=True)
class Layout:
    """The size-determining numbers of an EDF/BDF header, and the file's actual size."""

    header_bytes: int
    n_records: int
    """As the header says: -1 while a recording is unfinished (EDF spec)."""
    record_bytes: int
    file_bytes: int

    @property
    def records_on_disk(self) -> int:
        """Complete data records the file actually holds."""
        return max(0, (self.file_bytes - self.header_bytes) // self.record_bytes)

    @property
    def tail_bytes(self) -> int:
        """Bytes after the last complete data record (a partly written record)."""
        data = self.records_on_disk * self.record_bytes
        return max(0, self.file_bytes - self.header_bytes - data)


def read_layout(path: str | Path) -> Layout | None:
    """The file's `Layout`, or None if its header is too short or not numeric."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            fixed = fh.read(256)
            header_bytes = int(fixed[184:192].decode("ascii").strip())
            n_records = int(fixed[RECORD_COUNT_FIELD].decode("ascii").strip())
            n_signals = int(fixed[252:256].decode("ascii").strip())
            fh.seek(256 + n_signals * _SIGNAL_FIELDS_BEFORE_SPR)
            spr = fh.read(8 * n_signals)
            size = fh.seek(0, 2)
        per_record = sum(int(spr[i:i + 8].decode("ascii").strip()) for i in range(0, len(spr), 8))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    sample_bytes = 3 if fixed[:1] == b"\xff" else 2
    if len(spr) < 8 * n_signals or per_record <= 0 or header_bytes < 256:
        return None
    return Layout(header_bytes, n_records, per_record * sample_bytes, size)


def size_problem(path: str | Path) -> str | None:
    """A sentence on a size mismatch (truncation, extra bytes), or None if none is found."""
    path = Path(path)
    try:
        actual = path.stat().st_size
    except OSError:
        return None
    if actual == 0:
        return "the file is empty"
    if actual < 256:
        return f"the file ends at byte {actual}, inside the 256-byte fixed header"
    layout = read_layout(path)
    if layout is None:
        return None
    expected = layout.header_bytes + layout.n_records * layout.record_bytes
    if actual < layout.header_bytes:
        return f"the file ends at byte {actual}, inside its {layout.header_bytes}-byte header"
    if layout.n_records >= 0 and actual < expected:
        record = (actual - layout.header_bytes) // layout.record_bytes
        return (
            f"truncated: the header promises {layout.n_records} data records ({expected} bytes) "
            f"but the file ends at byte {actual}, inside data record {record}"
        )
    if layout.n_records >= 0 and actual > expected:
        return f"{actual - expected} unexpected bytes after the last data record (byte {expected})"
    return None
