"""Reading numeric text files in blocks of whole lines, parsed by numpy rather than per line.

Text recordings can be long (a CSV of one hour at 2 kHz is tens of millions of numbers), so the
readers never loop over lines in Python on well-formed data: a block of bytes is checked with
vectorised byte tests (allowed characters, numbers per line) and converted in one numpy call.
Only a block that fails those checks is re-read line by line, to say exactly which line is bad
(or, for formats that allow it, to repair it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from emgspasm.io.errors import RecordingError, where

BLOCK_BYTES = 1 << 18
"""Bytes read at a time: big enough that numpy's per-call cost is negligible, small enough that
a block's arrays take a few MB."""

MAX_LINE_BYTES = 1 << 20
"""A 'line' longer than this means the file is not a text recording (a binary file, say)."""

NUMBER = re.compile(rb"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
"""A decimal number. Used to split a damaged line "on anything that is not part of a number":
``0.1716\\xec0.1950`` gives two numbers, ``0.006750.0250`` gives ``0.006750`` and ``.0250``."""

CLEAN_LINE = re.compile(
    rb"[ \t]*(?:" + NUMBER.pattern + rb"[ \t]+)*" + NUMBER.pattern + rb"[ \t\r]*"
)
"""A whitespace-separated line with nothing but numbers."""

_NUMERIC_BYTES = np.zeros(256, dtype=bool)
for _c in b"0123456789.+-eE \t\r\n,":
    _NUMERIC_BYTES[_c] = True


@dataclass(frozen=True)
class LineBlock:
    """Whole lines of a file; `first_line` is the 1-based number of the first of them."""

    data: bytes
    first_line: int


def iter_line_blocks(
    fh: BinaryIO, path: str | Path, first_line: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[LineBlock]:
    """Yield the rest of `fh` as blocks that end at line boundaries.

    Reads in binary so damaged bytes and mixed CRLF/LF line endings reach the parser intact.
    """
    carry = b""
    line = first_line
    while True:
        chunk = fh.read(block_bytes)
        if not chunk:
            if carry:
                yield LineBlock(carry, line)
            return
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > MAX_LINE_BYTES:
                raise RecordingError(
                    f"{where(path, line)}: no line break in {len(data)} bytes; "
                    "this is not a text recording"
                )
            carry = data
            continue
        block, carry = data[:cut], data[cut:]
        yield LineBlock(block, line)
        line += block.count(b"\n")


def complete_lines(head: bytes, whole_file: bool) -> bytes:
    """`head` without a last line cut off mid-way (unless `head` is the whole file)."""
    return head if whole_file else head[: head.rfind(b"\n") + 1]


def line_token_counts(data: bytes, separators: bytes = b" \t\r") -> np.ndarray:
    """Number of separator-delimited tokens on each line of `data` (vectorised over bytes).

    A byte that is neither a separator nor a newline counts as part of a token, so a stray
    byte glued between two numbers makes them one (unparseable) token, never two good ones.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    if buf.size == 0:
        return np.zeros(0, dtype=np.int64)
    is_nl = buf == 10
    is_sep = np.isin(buf, np.frombuffer(separators, dtype=np.uint8)) | is_nl
    starts = ~is_sep
    starts[1:] &= is_sep[:-1]
    line_of_byte = np.cumsum(is_nl) - is_nl
    n_lines = int(is_nl.sum()) + (0 if data.endswith(b"\n") else 1)
    return np.bincount(line_of_byte[starts], minlength=n_lines)


def line_byte_counts(data: bytes, byte: int) -> np.ndarray:
    """How many times `byte` occurs on each line of `data` (e.g. commas per CSV row)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    is_nl = buf == 10
    line_of_byte = np.cumsum(is_nl) - is_nl
    n_lines = int(is_nl.sum()) + (0 if data.endswith(b"\n") else 1)
    return np.bincount(line_of_byte[buf == byte], minlength=n_lines)


def fast_parse(
    block: LineBlock, n_cols: int, delimiter: bytes | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse a block whose non-blank lines each hold exactly `n_cols` plain numbers.

    Returns (values of shape (n_rows, n_cols), 1-based line numbers of those rows), or None
    when anything is off (a stray byte, a missing or extra field, NaN or inf, ...): the caller
    then re-reads the block line by line to report or repair the exact line.
    With a `delimiter` (CSV), each row must also have exactly ``n_cols - 1`` of them.
    """
    data = block.data
    buf = np.frombuffer(data, dtype=np.uint8)
    if not _NUMERIC_BYTES[buf].all():
        return None
    seps = b" \t\r" + (delimiter or b"")
    counts = line_token_counts(data, seps)
    nonblank = counts > 0
    if not np.all(counts[nonblank] == n_cols):
        return None
    if delimiter is not None:
        delims = line_byte_counts(data, delimiter[0])
        if not (np.all(delims[nonblank] == n_cols - 1) and not delims[~nonblank].any()):
            return None
    text = data.replace(delimiter, b" ") if delimiter else data
    tokens = text.split()
    try:
        values = np.array(tokens, dtype=np.bytes_).astype(np.float64)
    except ValueError:
        return None
    if not np.isfinite(values).all():
        return None
    lines = block.first_line + np.flatnonzero(nonblank)
    return values.reshape(-1, n_cols), lines


def split_lines(block: LineBlock) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes without the newline) for each line: the slow, exact path."""
    parts = block.data.split(b"\n")
    if block.data.endswith(b"\n"):
        parts.pop()
    for offset, raw in enumerate(parts):
        yield block.first_line + offset, raw


def significant_digits(tokens: np.ndarray) -> int:
    """Most significant digits among byte-string number tokens (at least 1).

    Tells how precisely a time column was printed: ``12.7148`` has 6, so stamps near 12 s are
    good to 1e-4 s. Tokens in exponent notation count as fully precise (17 digits).
    """
    tokens = np.strings.strip(np.asarray(tokens, dtype=np.bytes_))
    if tokens.size == 0:
        return 1
    if np.any(np.strings.find(np.strings.lower(tokens), b"e") >= 0):
        return 17
    digits = np.strings.lstrip(np.strings.replace(np.strings.lstrip(tokens, b"+-"), b".", b""),
                               b"0")
    return max(1, int(np.strings.str_len(digits).max()))
