"""Annotation texts that carry I/O bookkeeping through EDF+/BDF+ files.

EDF+ has no field for "samples were lost here" or "the last data record is only partly real",
yet docs/architecture.md requires gaps to be annotated in recordings and nothing to be lost
silently. Both
facts are therefore written as ordinary EDF+ annotations with a fixed, human-readable text, so
other viewers (EDFbrowser, MNE) show them and our reader turns them back into `gaps` and the
true sample count. The sample numbers are in the text because EDF+ onsets are stored to
100 µs, which is not exact above 5 kHz. Texts stay under edflib's 40-byte annotation limit.
"""

from __future__ import annotations

import re

_GAP = re.compile(r"^gap (\d+) samples? before #(\d+)$")
_END = re.compile(r"^end of data: sample count (\d+)$")


def gap_text(sample_index: int, n_missing: int) -> str:
    """Text of the annotation marking `n_missing` lost samples before `sample_index`."""
    return f"gap {int(n_missing)} samples before #{int(sample_index)}"


def parse_gap(text: str) -> tuple[int, int] | None:
    """(sample_index, n_missing) if `text` is a gap marker, else None."""
    m = _GAP.match(text.strip())
    return (int(m.group(2)), int(m.group(1))) if m else None


def end_text(n_samples: int) -> str:
    """Text of the annotation saying how many samples are data; the rest is record padding."""
    return f"end of data: sample count {int(n_samples)}"


def parse_end(text: str) -> int | None:
    """The true sample count if `text` is an end-of-data marker, else None."""
    m = _END.match(text.strip())
    return int(m.group(1)) if m else None
