"""Saying *where* an EDF/BDF file is broken when pyedflib refuses it.

pyedflib (edflib) reports only a category ("format errors", "Filesize"). A batch user with a
truncated upload needs more: the byte where the data stop. This reads just the few fixed-width
numbers of the header that determine the file size; the data themselves are always read by
pyedflib.
"""

from __future__ import annotations

from pathlib import Path

_SIGNAL_FIELDS_BEFORE_SPR = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80
"""Bytes of per-signal header fields before 'number of samples in each data record'."""


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
    try:
        with path.open("rb") as fh:
            fixed = fh.read(256)
            header_bytes = int(fixed[184:192].decode("ascii").strip())
            n_records = int(fixed[236:244].decode("ascii").strip())
            n_signals = int(fixed[252:256].decode("ascii").strip())
            fh.seek(256 + n_signals * _SIGNAL_FIELDS_BEFORE_SPR)
            spr = fh.read(8 * n_signals)
        per_record = sum(int(spr[i:i + 8].decode("ascii").strip()) for i in range(0, len(spr), 8))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    sample_bytes = 3 if fixed[:1] == b"\xff" else 2
    record_bytes = per_record * sample_bytes
    expected = header_bytes + n_records * record_bytes
    if actual < header_bytes:
        return f"the file ends at byte {actual}, inside its {header_bytes}-byte header"
    if n_records >= 0 and actual < expected and record_bytes > 0:
        record = (actual - header_bytes) // record_bytes
        return (
            f"truncated: the header promises {n_records} data records ({expected} bytes) but the "
            f"file ends at byte {actual}, inside data record {record}"
        )
    if n_records >= 0 and actual > expected:
        return f"{actual - expected} unexpected bytes after the last data record (byte {expected})"
    return None
