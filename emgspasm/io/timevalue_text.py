"""Headerless text with a time column: ``time_s value [value ...]`` per line.

This is PhysioNet's "Examples of Electromyograms" (emgdb) text export (``time_s value_mV``),
which is messy in the wild: mixed CRLF/LF endings and corrupted lines where a stray byte sits
between numbers, e.g. ``17.84 0.1716\\xec0.1950``. Such lines are repaired, never guessed
silently:

1. A line is split on anything that is not part of a number.
2. ``1 + n`` numbers (n value columns) is one sample; stray bytes are dropped and reported.
3. ``1 + 2n`` numbers is read as two samples run together, the second at ``t + 1/fs`` ...
4. ... unless the next line's time stamp is that very sample: then the time column shows the
   line held one sample, the trailing values are dropped, and that is reported. (For the three
   emgdb files this is what happens, and it is right: the PhysioNet WFDB headers give 110337 and
   147858 samples, one per line, and their checksums match only when the first value is kept.)
5. Anything else is an error naming the line.

Every time stamp is checked against the grid ``t0 + k/fs`` (see `timegrid`), so no sample is
ever shifted; jumps of whole samples become `gaps`. Repairs are listed in `recovered` as
(line number, description) and announced with a `RecordingWarning`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from emgspasm.io.base import RecordingReader
from emgspasm.io.errors import RecordingError, RecordingWarning, where
from emgspasm.io.textblocks import (  # as csv_reader: an import list, not logic
    CLEAN_LINE,
    NUMBER,
    LineBlock,
    complete_lines,
    fast_parse,
    iter_line_blocks,
    significant_digits,
    split_lines,
)
from emgspasm.io.timegrid import Placement, TimeGrid, grid_for
from emgspasm.io.units import require_uv_per_unit
from emgspasm.recording import Annotation

DEFAULT_UNITS = "mV"
"""emgdb's values are millivolts; other exports can say otherwise with ``units=``."""

MAX_REPAIRED_FRACTION = 0.01
"""Repair is for sporadic corruption. If more lines than this (and more than
`MAX_REPAIRED_LINES`) need it, the file is not this format (e.g. decimal commas) and guessing
would do harm, so it is an error instead."""

MAX_REPAIRED_LINES = 10

_HEAD_BYTES = 1 << 16
_FS_LINES = 4096
_NOT_NUMBER = re.compile(rb"(?:" + NUMBER.pattern + rb")|[ \t\r]")


def _data_lines(head: bytes) -> Iterator[tuple[int, bytes]]:
    for lineno, raw in enumerate(head.split(b"\n"), start=1):
        if raw.strip():
            yield lineno, raw


@dataclass
class _Lines:
    """Parsed lines of one block: one row per line, `extra` holds a run-together 2nd sample."""

    times: np.ndarray
    values: np.ndarray
    extra: np.ndarray
    has_extra: np.ndarray
    lines: np.ndarray
    damaged: dict[int, bytes]

    def __len__(self) -> int:
        return int(self.times.size)

    def split_last(self) -> tuple[_Lines, _Lines]:
        """(all lines but the last, the last line)."""
        return self._take(slice(0, -1)), self._take(slice(-1, None))

    def _take(self, sl: slice) -> _Lines:
        lines = self.lines[sl]
        keep = {int(n): self.damaged[int(n)] for n in lines if int(n) in self.damaged}
        return _Lines(self.times[sl], self.values[sl], self.extra[sl], self.has_extra[sl],
                      lines, keep)

    @staticmethod
    def join(a: _Lines, b: _Lines) -> _Lines:
        return _Lines(
            np.concatenate([a.times, b.times]),
            np.concatenate([a.values, b.values]),
            np.concatenate([a.extra, b.extra]),
            np.concatenate([a.has_extra, b.has_extra]),
            np.concatenate([a.lines, b.lines]),
            {**a.damaged, **b.damaged},
        )


def _numbers(values: np.ndarray) -> str:
    return ", ".join(f"{v:g}" for v in values.tolist())


class TimeValueTextReader(RecordingReader):
    """Reader for ``time value...`` text (PhysioNet emgdb); see the module docstring.

    `fs` defaults to the rate the time column shows; `units` to millivolts. Channels are named
    ``EMG`` (one value column) or ``EMG1``, ``EMG2``, ...
    """

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        self._scale = require_uv_per_unit(units or DEFAULT_UNITS, self.path)
        head = complete_lines(*self._read_head(_HEAD_BYTES))
        self._n_values = self._count_values(head)
        names = ["EMG"] if self._n_values == 1 else [
            f"EMG{i + 1}" for i in range(self._n_values)
        ]
        self._columns = self._choose_channels(names, channels)
        self._grid = self._make_grid(head, fs)
        self.fs = self._grid.fs
        self.annotations: list[Annotation] = []
        self.recovered: list[tuple[int, str]] = []
        self._measure(lambda placement: self._samples(placement, self.recovered))
        if len(self.recovered) > max(MAX_REPAIRED_LINES, MAX_REPAIRED_FRACTION * self.n_samples):
            first = ", ".join(str(n) for n, _ in self.recovered[:5])
            raise RecordingError(
                f"{where(self.path, self.recovered[0][0])}: {len(self.recovered)} lines are not "
                f"plain 'time value' numbers (lines {first}, ...): too many to repair; is this "
                "the right format (decimal point, not comma)?"
            )
        if self.recovered:
            self._warn_recovered()

    @staticmethod
    def sniff(head: bytes) -> bool:
        """True if the first data line is plain numbers, at least a time and a value."""
        for _, raw in _data_lines(head):
            return bool(CLEAN_LINE.fullmatch(raw)) and len(NUMBER.findall(raw)) >= 2
        return False

    def _count_values(self, head: bytes) -> int:
        for lineno, raw in _data_lines(head):
            if not CLEAN_LINE.fullmatch(raw) or len(NUMBER.findall(raw)) < 2:
                raise RecordingError(
                    f"{where(self.path, lineno)}: expected 'time value' numbers, got {raw[:80]!r}"
                )
            return len(NUMBER.findall(raw)) - 1
        raise RecordingError(f"{where(self.path)}: no data lines")

    def _make_grid(self, head: bytes, fs: float | None) -> TimeGrid:
        """Grid from the first lines: rate (unless given), first time, printed precision."""
        tokens: list[bytes] = []
        lines: list[int] = []
        for lineno, raw in _data_lines(head):
            numbers = NUMBER.findall(raw)
            if numbers:
                tokens.append(numbers[0])
                lines.append(lineno)
            if len(tokens) >= _FS_LINES:
                break
        stamps = np.array(tokens, dtype=np.bytes_)
        times = stamps.astype(np.float64)
        return grid_for(
            self.path, times, significant_digits(stamps), fs,
            f"{where(self.path, lines[0])}: cannot derive the sampling rate: the time column "
            "needs at least two increasing stamps at the start; pass fs=",
        )

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for block in self._samples(Placement(), []):
            yield block[:, self._columns] * self._scale

    def _samples(
        self, placement: Placement, recovered: list[tuple[int, str]]
    ) -> Iterator[np.ndarray]:
        """Samples in file units, all value columns; fills `placement` and `recovered`."""
        held: _Lines | None = None
        with self.path.open("rb") as fh:
            for block in iter_line_blocks(fh, self.path, first_line=1):
                parsed = self._parse(block)
                if held is not None:
                    parsed = _Lines.join(held, parsed)
                if len(parsed) == 0:
                    continue
                # The last line's count (one sample or two) depends on the next line's time.
                current, held = parsed.split_last()
                if len(current):
                    yield self._emit(current, held, placement, recovered)
        if held is not None and len(held):
            yield self._emit(held, None, placement, recovered)

    def _parse(self, block: LineBlock) -> _Lines:
        n_cols = 1 + self._n_values
        fast = fast_parse(block, n_cols)
        if fast is not None:
            rows, lines = fast
            n = rows.shape[0]
            return _Lines(rows[:, 0], rows[:, 1:], np.full((n, self._n_values), np.nan),
                          np.zeros(n, dtype=bool), lines, {})
        return self._parse_slowly(block)

    def _parse_slowly(self, block: LineBlock) -> _Lines:
        """Line by line, for a block the fast path refused: repair or name the bad line."""
        nv = self._n_values
        times, values, extra, has_extra, lines = [], [], [], [], []
        damaged: dict[int, bytes] = {}
        for lineno, raw in split_lines(block):
            if not raw.strip():
                continue
            numbers = [float(x) for x in NUMBER.findall(raw)]
            clean = CLEAN_LINE.fullmatch(raw) is not None
            if len(numbers) == 1 + nv:
                second = [np.nan] * nv
            elif len(numbers) == 1 + 2 * nv:
                second = numbers[1 + nv:]
            else:
                raise RecordingError(
                    f"{where(self.path, lineno)}: {raw[:80]!r} holds {len(numbers)} number(s); "
                    f"expected {1 + nv} (time and value) or {1 + 2 * nv} (two samples run "
                    "together)"
                )
            if not clean or len(numbers) != 1 + nv:
                damaged[lineno] = raw
            times.append(numbers[0])
            values.append(numbers[1:1 + nv])
            extra.append(second)
            has_extra.append(len(numbers) != 1 + nv)
            lines.append(lineno)
        return _Lines(
            np.array(times, dtype=np.float64),
            np.array(values, dtype=np.float64).reshape(-1, nv),
            np.array(extra, dtype=np.float64).reshape(-1, nv),
            np.array(has_extra, dtype=bool),
            np.array(lines, dtype=np.int64),
            damaged,
        )

    def _emit(
        self,
        cur: _Lines,
        nxt: _Lines | None,
        placement: Placement,
        recovered: list[tuple[int, str]],
    ) -> np.ndarray:
        """Place `cur` on the grid (using the next line's stamp) and return its samples."""
        hint = " Pass fs= if the rate derived from the first lines is wrong."
        k = self._grid.locate(cur.times, cur.lines, self.path, hint)
        k_next = np.empty_like(k)
        k_next[:-1] = k[1:]
        if nxt is not None:
            k_next[-1] = self._grid.locate(nxt.times, nxt.lines, self.path, hint)[0]
        else:
            k_next[-1] = np.iinfo(np.int64).max
        two = cur.has_extra & (k_next - k >= 2)
        per_line = 1 + two.astype(np.int64)
        placement.place(k, per_line, cur.times, cur.lines, self.path)
        for i in np.flatnonzero(np.isin(cur.lines, list(cur.damaged))):
            recovered.append((int(cur.lines[i]), self._describe(cur, int(i), bool(two[i]))))
        out = np.empty((int(per_line.sum()), self._n_values))
        rows = np.arange(len(cur)) + np.concatenate(([0], np.cumsum(two)[:-1]))
        out[rows] = cur.values
        out[rows[two] + 1] = cur.extra[two]
        return out

    def _describe(self, cur: _Lines, i: int, kept_both: bool) -> str:
        raw = cur.damaged[int(cur.lines[i])]
        stray = _NOT_NUMBER.sub(b"", raw)
        parts = [f"{raw!r}"]
        if stray:
            parts.append(f"ignored stray byte(s) {stray!r}")
        if cur.has_extra[i]:
            t = float(cur.times[i])
            first, second = _numbers(cur.values[i]), _numbers(cur.extra[i])
            if kept_both:
                parts.append(
                    f"two samples run together: {first} at {t!r} s and {second} at "
                    f"{t + 1 / self.fs:.6g} s"
                )
            else:
                parts.append(
                    f"kept {first} at {t!r} s and dropped the trailing {second}: the next "
                    "line's time stamp is the next sample, so this line held one sample"
                )
        return "; ".join(parts)

    def _warn_recovered(self) -> None:
        shown = "; ".join(f"line {n}: {text}" for n, text in self.recovered[:5])
        more = len(self.recovered) - 5
        tail = f"; and {more} more (see .recovered)" if more > 0 else ""
        warnings.warn(
            f"{where(self.path)}: repaired {len(self.recovered)} corrupted line(s): {shown}{tail}",
            RecordingWarning,
            stacklevel=3,
        )
