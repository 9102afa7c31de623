"""Writing CSV recordings block by block: ``time_s,<channels>`` then one row per sample.

``time_s`` is the sample's time on the grid ``k / fs``, where `k` counts lost samples too: a
gap shows as a jump in ``time_s``, which `CsvReader` turns back into a gap, so CSV keeps gaps
without an extra column. Annotations go to the JSON-lines sidecar (`sidecar`). Numbers are
written with 10 (values) and 12 (times) significant digits, far finer than any ADC.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emgspasm.io.base import RecordingWriter
from emgspasm.io.csv_reader import TIME_COLUMN
from emgspasm.io.sidecar import write_sidecar
from emgspasm.recording import Annotation

VALUE_FORMAT = "%.10g"
TIME_FORMAT = "%.12g"


class CsvWriter(RecordingWriter):
    """Chunked CSV writer. `physical_range_uv` is accepted for symmetry and ignored (no limit)."""

    # The registry's writer signature (as EdfWriter's): alike in shape only, options are per format.
    def __init__(
        self,
        path: str | Path,
        fs: float,
        channels: Sequence[str],
        *,
        physical_range_uv: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(path, fs, channels)
        if TIME_COLUMN in (c.casefold() for c in self.channels):
            raise ValueError(f"{self.path}: a channel may not be called {TIME_COLUMN!r}")
        self._stamp = 0
        self._annotations: list[Annotation] = []
        self._format = [TIME_FORMAT] + [VALUE_FORMAT] * len(self.channels)
        self._fh = self.path.open("w", encoding="utf-8", newline="")
        csv.writer(self._fh, lineterminator="\n").writerow([TIME_COLUMN, *self.channels])

    def _write(self, x: np.ndarray) -> None:
        t = (self._stamp + np.arange(x.shape[0])) / self.fs
        np.savetxt(self._fh, np.column_stack((t, x)), fmt=self._format, delimiter=",")
        self._stamp += x.shape[0]

    def _add_gap(self, sample_index: int, n_missing: int) -> None:
        self._stamp += n_missing

    def _add_annotation(self, onset_s: float, duration_s: float, text: str) -> None:
        self._annotations.append(Annotation(onset_s, duration_s, text))

    def _close(self) -> None:
        self._fh.close()
        write_sidecar(self.path, self._annotations)
