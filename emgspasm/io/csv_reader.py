"""CSV recordings: a header row, an optional ``time_s`` column, one column per channel.

Values are in `units` (default µV, docs/architecture.md#contracts). With ``time_s`` the rate comes
from the
time column and every stamp is checked against the sampling grid (jumps of whole samples are
gaps; irregular stamps are an error naming the line); without it, ``fs=`` is required. Rows are
parsed in blocks by numpy; a bad cell is reported with its line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np

from emgspasm.io.base import RecordingReader
from emgspasm.io.errors import RecordingError, where
from emgspasm.io.sidecar import read_sidecar
from emgspasm.io.textblocks import (  # as timevalue_text: an import list, not logic
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

TIME_COLUMN = "time_s"
DEFAULT_UNITS = "uV"

OTHER_DELIMITERS = (";", "\t", "|")
"""Separators of spreadsheet exports in locales with a decimal comma: a header that splits
only on one of these is named as such, rather than as a column of non-numbers."""

_HEAD_BYTES = 1 << 16
_FS_ROWS = 4096
_IRREGULAR_HINT = (
    " Drop the time_s column and pass fs= to read the rows as evenly spaced samples."
)


class CsvReader(RecordingReader):
    """Reader for CSV recordings; see the module docstring."""

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        self._scale = require_uv_per_unit(units or DEFAULT_UNITS, self.path)
        head, whole = self._read_head(_HEAD_BYTES)
        names, self._data_offset = self._header(head)
        self._names = names
        self._n_cols = len(names)
        lowered = [n.casefold() for n in names]
        self._time_col = lowered.index(TIME_COLUMN) if TIME_COLUMN in lowered else None
        channel_cols = [i for i in range(len(names)) if i != self._time_col]
        if not channel_cols:
            raise RecordingError(f"{where(self.path, 1)}: header names no channel columns")
        available = [names[i] for i in channel_cols]
        self._columns = [channel_cols[i] for i in self._choose_channels(available, channels)]
        self._grid = self._make_grid(complete_lines(head, whole), fs)
        self.fs = float(self._grid.fs) if self._grid is not None else self._given_fs(fs)
        self.annotations = read_sidecar(self.path)
        self._measure(self._rows)

    def _header(self, head: bytes) -> tuple[list[str], int]:
        end = head.find(b"\n")
        if not head.strip():
            raise RecordingError(f"{where(self.path)}: empty file")
        if end < 0:
            end = len(head)
        try:
            text = head[:end].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RecordingError(
                f"{where(self.path, 1)}: header row is not UTF-8 text ({exc.reason} at byte "
                f"{exc.start})"
            ) from None
        names = [n.strip() for n in next(csv.reader([text]))]
        other = next((d for d in OTHER_DELIMITERS if len(names) == 1 and d in text), None)
        if other is not None:
            raise RecordingError(
                f"{where(self.path, 1)}: fields are separated by {other!r}, not commas; "
                "save the file as comma-separated CSV with '.' as the decimal point"
            )
        if not names or any(not n for n in names):
            raise RecordingError(f"{where(self.path, 1)}: header row {text!r} has empty names")
        if len(set(names)) != len(names):
            raise RecordingError(f"{where(self.path, 1)}: header row repeats a name: {names}")
        try:
            [float(n) for n in names]
        except ValueError:
            pass
        else:
            raise RecordingError(
                f"{where(self.path, 1)}: the first row is numbers, but a header row "
                f"(e.g. time_s,EMG1) is required"
            )
        return names, end + 1

    def _given_fs(self, fs: float | None) -> float:
        if fs is None:
            raise RecordingError(
                f"{where(self.path)}: no {TIME_COLUMN} column, so the sampling rate is unknown; "
                "pass fs="
            )
        if not fs > 0:
            raise RecordingError(f"{where(self.path)}: fs must be positive, got {fs}")
        return float(fs)

    def _make_grid(self, head: bytes, fs: float | None) -> TimeGrid | None:
        """The time grid from the first rows' stamps (None without a time column)."""
        if self._time_col is None:
            return None
        text = head[self._data_offset:].decode("utf-8", errors="replace").splitlines()
        stamps: list[bytes] = []
        for row in csv.reader(text[:_FS_ROWS]):
            if len(row) == self._n_cols and row[self._time_col].strip():
                stamps.append(row[self._time_col].strip().encode())
        try:
            tokens = np.array(stamps, dtype=np.bytes_)
            times = tokens.astype(np.float64)
        except ValueError:
            times = np.zeros(0)
        if times.size == 0:
            raise RecordingError(f"{where(self.path, 2)}: no readable {TIME_COLUMN} values")
        return grid_for(
            self.path, times, significant_digits(tokens), fs,
            f"{where(self.path, 2)}: cannot derive the sampling rate: {TIME_COLUMN} needs "
            "at least two increasing values at the start; pass fs=",
        )

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for rows in self._rows(Placement()):
            yield rows[:, self._columns] * self._scale

    def _rows(self, placement: Placement) -> Iterator[np.ndarray]:
        """All columns of each block, with the time column placed on the grid."""
        with self.path.open("rb") as fh:
            fh.seek(self._data_offset)
            for block in iter_line_blocks(fh, self.path, first_line=2):
                parsed = fast_parse(block, self._n_cols, b",")
                rows, lines = parsed if parsed is not None else self._parse_slowly(block)
                if rows.shape[0] == 0:
                    continue
                if self._grid is not None:
                    times = rows[:, self._time_col]
                    k = self._grid.locate(times, lines, self.path, _IRREGULAR_HINT)
                    per_line = np.ones_like(k)
                    placement.place(k, per_line, times, lines, self.path)
                else:
                    placement.n_out += rows.shape[0]
                yield rows

    def _parse_slowly(self, block: LineBlock) -> tuple[np.ndarray, np.ndarray]:
        """Row by row with the csv module (quoted cells allowed); names a bad cell exactly."""
        rows: list[list[float]] = []
        lines: list[int] = []
        for line, raw in split_lines(block):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RecordingError(
                    f"{where(self.path, line)}: not UTF-8 text ({exc.reason} at column "
                    f"{exc.start + 1})"
                ) from None
            cells = next(csv.reader(io.StringIO(text)))
            if len(cells) != self._n_cols:
                raise RecordingError(
                    f"{where(self.path, line)}: {len(cells)} field(s), but the header has "
                    f"{self._n_cols}"
                )
            row = []
            for name, cell in zip(self._names, cells, strict=True):
                if not NUMBER.fullmatch(cell.strip().encode()):
                    raise RecordingError(
                        f"{where(self.path, line)}: column {name!r}: {cell!r} is not a number"
                    )
                row.append(float(cell))
            rows.append(row)
            lines.append(line)
        return np.array(rows, dtype=np.float64).reshape(-1, self._n_cols), np.array(lines)
