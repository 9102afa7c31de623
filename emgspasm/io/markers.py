"""Annotation texts that carry I/O bookkeeping through EDF+/BDF+ files.

EDF+ has no field for "samples were lost here" or "the last data record is only partly real",
yet docs/architecture.md requires gaps to be annotated in recordings and nothing to be lost
silently. Both
facts are therefore written as ordinary EDF+ annotations with a fixed, human-readable text, so
other viewers (EDFbrowser, MNE) show them and our reader turns them back into `gaps` and the
true sample count. The sample numbers are in the text because EDF+ onsets are stored to
100 µs, which is not exact above 5 kHz. Texts stay under edflib's 40-byte annotation limit.

Two generations of gap marker exist:

* ``BAD_gap N samples at #F`` (current): N filler samples occupy file samples F..F+N-1, so the
  file keeps real time. The ``BAD_`` prefix is MNE's convention for segments to reject
  (``reject_by_annotation``), so MNE users get the hole marked without knowing our format.
  ``BAD_padding at #F`` marks the filler after the last sample (EDF stores whole records).
* ``gap N samples before #i`` (files written before gaps were filled, and gaps too long to
  fill): N samples are missing before *received* sample i, which follows the previous sample
  directly in the file. ``end of data: sample count N`` is that generation's padding marker.
"""

from __future__ import annotations

import re

WRITER_EQUIPMENT = "emgspasm"
"""The header's equipment field in the files we write: tells our own files (whose markers and
filler we know) from others'."""

_GAP = re.compile(r"^gap (\d+) samples? before #(\d+)$")
_END = re.compile(r"^end of data: sample count (\d+)$")
_FILL = re.compile(r"^BAD_gap (\d+) samples? at #(\d+)$")
_PADDING = re.compile(r"^BAD_padding at #(\d+)$")


# Each marker is a text/parse pair of its own pattern: alike in shape only.
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
    """The number of file samples before the padding if `text` marks the padding (either
    generation), else None."""
    text = text.strip()
    m = _END.match(text) or _PADDING.match(text)
    return int(m.group(1)) if m else None


def fill_text(file_index: int, n_missing: int) -> str:
    """Text of the annotation marking `n_missing` filler samples from file sample `file_index`."""
    return f"BAD_gap {int(n_missing)} samples at #{int(file_index)}"


def parse_fill(text: str) -> tuple[int, int] | None:
    """(file_index, n_missing) if `text` marks filler samples standing for a gap, else None."""
    m = _FILL.match(text.strip())
    return (int(m.group(2)), int(m.group(1))) if m else None


def padding_text(file_samples: int) -> str:
    """Text of the annotation marking the record padding after the first `file_samples`."""
    return f"BAD_padding at #{int(file_samples)}"
