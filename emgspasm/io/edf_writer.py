"""Writing EDF+ (16-bit) and BDF+ (24-bit) recordings block by block, through pyedflib.

Samples are buffered only up to one data record, so a 24-hour 8-channel 2 kHz session is
written with a few kB of memory. Choices, and why:

* **Records** last 1 s for an integer rate; for a non-integer rate pyedflib picks the shortest
  record (up to 60 s) holding a whole number of samples (250.5 Hz -> 2 s).
* **Physical range.** Each channel is stored as ±`physical_range_uv` µV on the full digital
  range. Defaults: BDF ±200 mV (one step 0.024 µV, about an ADS1299's own resolution at gain
  24, wide enough for the DC offsets of raw biopotential front ends); EDF ±10 mV (one step
  0.31 µV, below surface-EMG noise; use BDF or a custom range for DC-coupled data). Values
  outside the range are **clipped** to it: the writer counts them (`n_clipped`) and warns
  once with a `RecordingWarning`. `write()` of a whole recording sizes the range from the data,
  so nothing is clipped there. Conversion to digital rounds to the nearest step (edflib's own
  physical writer truncates, doubling the error). The lowest digital value is kept for gap
  filler: data that would take it (the negative rail, -`physical_range_uv` itself, or clipped
  below it) are stored one step above, so the filler is never mistaken for data. Ranges sized
  from the data (`write`, annotated copies) leave `FILLER_MARGIN` for it. At a device's full
  scale one count is one digital step, so only the device's own negative rail code moves.
* **Gaps keep real time.** A gap of N samples (`add_gap`) is written as N *filler* samples at
  the channel's lowest digital value (the negative rail, which no sample of data ever takes,
  so the filler is known even without its annotation). Every EDF tool therefore shows the
  session on its real time axis and events after a gap stay where they happened; MNE, whose
  convention is that annotations starting with ``BAD`` mark data to reject, leaves the filler
  out of ``get_data(reject_by_annotation=...)`` and epochs. (EDF+D, which could skip the time
  instead, is not written by edflib.) Our reader takes the filler back out and reports the
  gap, so the pipeline never sees it as signal. A gap longer than `max_fill_s` (a bogus
  counter jump, a day-long outage) is not filled, to bound the disk it costs: it is stored the
  older way, back to back, with a `RecordingWarning`.
* **The last record** is padded with the same filler because EDF stores whole records.
* **Annotations** are kept until `close`, since edflib stores at most one per annotation
  signal per data record; if the recording is too short to hold them all, extra records of
  filler are appended (inside the padding annotation) rather than dropping any. edflib keeps
  40 bytes of text (longer texts are cut with a warning) and stores onsets and durations to
  100 µs, which is why the bookkeeping texts below carry exact sample numbers.
* **A valid header while writing.** edflib writes the record count (-1 until then) only at
  close, so a killed session left a file no EDF reader opens. After each batch of records the
  count of *complete records on disk* is written into the header, so a file cut short by a kill
  or a power loss opens everywhere with everything that reached the disk. Annotations are
  stored by edflib at close, so a killed file keeps its samples but not its annotations; our
  reader then finds the filler by its value (`edf_reader`).

File layout. Time runs in file samples k (k / fs seconds from the start), gaps included, so a
file sample's time is its device time; all channels share one rate and the same filler spans:

    |  received  | filler |  received  | ... |  received  | filler ...................... |
    0            F        F+N                              D              records x per-record
                 `BAD_gap N samples at #F`                 `BAD_padding at #D`
                 onset F/fs, duration N/fs                 onset D/fs, to the end of the file

* received samples: the data, digital values above the lowest; µV through the header's
  physical range (±`physical_range_uv`, the device's full scale for live recordings);
* ``BAD_gap N samples at #F``: N filler samples from file sample F (one annotation per gap;
  two gaps at one place are two adjacent spans);
* ``BAD_padding at #D``: file samples from D on are record padding (and annotation records);
  present whenever the data do not end on a record boundary;
* ``gap N samples before #i``: a gap too long to fill; N samples are missing before received
  sample i, which directly follows the previous one in the file (no time for the gap);
* any other annotation is the user's or the live session's (reconnects, markers, the summary),
  at its file time;
* the header's equipment field is ``emgspasm`` (`markers.WRITER_EQUIPMENT`).

Files written before gaps were filled hold every gap the last way (back to back) and mark the
padding, which then held the last value, with ``end of data: sample count D``; our reader reads
them as before.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyedflib

from emgspasm.io import markers
from emgspasm.io.base import RecordingWriter
from emgspasm.io.edf_diagnose import RECORD_COUNT_FIELD, read_layout
from emgspasm.io.errors import RecordingError, RecordingWarning, where

ANNOTATION_TEXT_BYTES = 40
"""edflib's limit on the text of one annotation."""

ANNOTATION_SIGNALS = 2
"""EDF+ annotation signals per record (each holds one annotation per record; max 64)."""

FILLER_MARGIN = 2.0 / 65535
"""Relative widening a range sized from the data needs so that its most negative sample stays
off the filler's value and within half a step (two EDF steps; BDF's are finer)."""

MAX_FILL_S = 3600.0
"""Longest gap written as filler (seconds). Longer ones are stored back to back: an hour of
filler at 8 channels x 2 kHz is 170 MB of BDF, and a gap beyond that is more likely a bogus
counter jump than an outage the file should spend its disk on."""

FILL_CHUNK_SAMPLES = 1 << 16
"""Filler rows made per step, so a long gap is written in bounded memory."""


def header_ceil(value: float) -> float:
    """The smallest number >= `value` that an 8-character EDF header field stores exactly.

    The reader rebuilds physical values from the header's text, so a range that does not
    survive printing would scale every sample slightly wrong. One character is kept for the
    minus sign of the physical minimum. Ranges are at least 0.001 µV.
    """
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"physical range must be a positive number of µV, got {value}")
    for decimals in range(3, -1, -1):
        step = 10.0 ** -decimals
        candidate = math.ceil(round(value / step, 6)) * step
        text = f"{candidate:.{decimals}f}".rstrip("0").rstrip(".")
        if len(text) <= 7:
            return float(text)
    raise ValueError(f"physical range {value} µV does not fit an EDF header (max 9999999)")


def _header_value(value: float) -> float | int:
    """An int when whole, so pyedflib prints ``200000`` rather than the 9-character ``200000.0``."""
    return int(value) if float(value).is_integer() else float(value)


class EdfWriter(RecordingWriter):
    """Chunked EDF+ writer (16-bit). `BdfWriter` is the 24-bit BDF+ variant."""

    FILE_TYPE = pyedflib.FILETYPE_EDFPLUS
    DIGITAL_MIN = -32768
    DIGITAL_MAX = 32767
    DEFAULT_RANGE_UV = 10_000.0

    # The registry's writer signature (as CsvWriter's): alike in shape only, options are per format.
    def __init__(
        self,
        path: str | Path,
        fs: float,
        channels: Sequence[str],
        *,
        physical_range_uv: float | Sequence[float] | None = None,
        annotation_signals: int = ANNOTATION_SIGNALS,
        max_fill_s: float = MAX_FILL_S,
    ) -> None:
        super().__init__(path, fs, channels)
        if not max_fill_s >= 0:
            raise ValueError(f"max_fill_s must be >= 0 s, got {max_fill_s}")
        self.max_fill_s = float(max_fill_s)
        for name in self.channels:
            if len(name) > 16 or not name.isascii() or not name.isprintable():
                raise ValueError(
                    f"{where(self.path)}: channel name {name!r} does not fit EDF (at most 16 "
                    "printable ASCII characters)"
                )
        ranges = self.DEFAULT_RANGE_UV if physical_range_uv is None else physical_range_uv
        ranges_arr = np.broadcast_to(np.asarray(ranges, dtype=np.float64), (len(self.channels),))
        self.physical_range_uv = np.array([header_ceil(float(r)) for r in ranges_arr])
        self.n_clipped = 0
        self._annotation_signals = max(1, min(int(annotation_signals), 64))
        self._annotations: list[tuple[float, float, str]] = []
        self._edf = pyedflib.EdfWriter(str(self.path), len(self.channels), self.FILE_TYPE)
        try:
            self._configure()
        except BaseException:
            self._edf.close()
            raise
        self._pending = np.empty((0, len(self.channels)), dtype=np.int32)
        self._filler = np.full((1, len(self.channels)), self.DIGITAL_MIN, dtype=np.int32)
        self.file_samples = 0
        """Samples per channel in the file so far: received ones plus gap filler."""
        self._records = 0
        self._records_in_header = 0

    def _configure(self) -> None:
        edf = self._edf
        edf.set_number_of_annotation_signals(self._annotation_signals)
        edf.setEquipment(markers.WRITER_EQUIPMENT)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                edf.setSignalHeaders([
                    {
                        "label": name,
                        "dimension": "uV",
                        "sample_frequency": self.fs,
                        "physical_max": _header_value(r),
                        "physical_min": -_header_value(r),
                        "digital_max": self.DIGITAL_MAX,
                        "digital_min": self.DIGITAL_MIN,
                        "transducer": "",
                        "prefilter": "",
                    }
                    for name, r in zip(self.channels, self.physical_range_uv, strict=True)
                ])
                self._spr = int(edf.get_smp_per_record(0))
        except (ValueError, UserWarning) as exc:
            raise ValueError(
                f"{where(self.path)}: cannot store {self.fs:g} Hz in EDF data records: {exc}"
            ) from exc

    @property
    def file_time_s(self) -> float:
        """Time of the next sample on the file's axis: received samples and filled gaps."""
        return self.file_samples / self.fs

    def fills_gap(self, n_missing: int) -> bool:
        """True if a gap of `n_missing` samples is written as filler (it keeps real time)."""
        return n_missing <= self.max_fill_s * self.fs

    @property
    def record_duration_s(self) -> float:
        """Length of one data record."""
        return self._spr / self.fs

    def _to_digital(self, x: np.ndarray) -> np.ndarray:
        top = self.physical_range_uv
        scale = (self.DIGITAL_MAX - self.DIGITAL_MIN) / (2.0 * top)
        digital = np.rint((x + top) * scale + self.DIGITAL_MIN)
        return np.clip(digital, self.DIGITAL_MIN + 1, self.DIGITAL_MAX).astype(np.int32)

    def _write(self, x: np.ndarray) -> None:
        clipped = int(np.count_nonzero(np.abs(x) > self.physical_range_uv))
        if clipped:
            if not self.n_clipped:
                warnings.warn(
                    f"{where(self.path)}: samples beyond ±{self.physical_range_uv.tolist()} µV "
                    "are clipped (see n_clipped); pass physical_range_uv= to widen the range",
                    RecordingWarning,
                    stacklevel=3,
                )
            self.n_clipped += clipped
        self._append(self._to_digital(x))

    def _append(self, rows: np.ndarray) -> None:
        """Digital rows (received or filler) after the file's last sample; whole records go
        to edflib, the rest waits for the next call."""
        self.file_samples += rows.shape[0]
        digital = np.concatenate((self._pending, rows))
        full = (digital.shape[0] // self._spr) * self._spr
        self._write_records(digital[:full])
        self._pending = digital[full:]

    def _write_records(self, digital: np.ndarray) -> None:
        for start in range(0, digital.shape[0], self._spr):
            record = np.ascontiguousarray(digital[start:start + self._spr].T).ravel()
            if self._edf.blockWriteDigitalSamples(record) != 0:
                raise RecordingError(
                    f"{where(self.path)}: writing data record {self._records} failed (disk full?)"
                )
            self._records += 1
        self._keep_header_valid()

    def _keep_header_valid(self) -> None:
        """Write the number of complete records on disk into the header's record count.

        Only records edflib has already handed to the OS count (its stdio buffer may still hold
        the latest), so the count never promises more than a kill would leave. edflib rewrites
        the whole header at close, so this never conflicts with its own bookkeeping.
        """
        layout = read_layout(self.path)
        if layout is None or layout.records_on_disk <= self._records_in_header:
            return
        field = f"{layout.records_on_disk:<8d}".encode("ascii")
        with self.path.open("r+b") as fh:
            fh.seek(RECORD_COUNT_FIELD.start)
            fh.write(field)
        self._records_in_header = layout.records_on_disk

    def _add_gap(self, sample_index: int, n_missing: int) -> None:
        if not self.fills_gap(n_missing):
            warnings.warn(
                f"{where(self.path)}: a gap of {n_missing} samples ({n_missing / self.fs:g} s) "
                f"is longer than max_fill_s={self.max_fill_s:g} s and is not filled: time in "
                "the file after it is behind real time by the gap (annotated)",
                RecordingWarning,
                stacklevel=3,
            )
            self._annotations.append((self.file_time_s, n_missing / self.fs,
                                      markers.gap_text(sample_index, n_missing)))
            return
        self._annotations.append((self.file_time_s, n_missing / self.fs,
                                  markers.fill_text(self.file_samples, n_missing)))
        for done in range(0, n_missing, FILL_CHUNK_SAMPLES):
            rows = min(FILL_CHUNK_SAMPLES, n_missing - done)
            self._append(np.repeat(self._filler, rows, axis=0))

    def _add_annotation(self, onset_s: float, duration_s: float, text: str) -> None:
        encoded = text.encode("utf-8")
        if len(encoded) > ANNOTATION_TEXT_BYTES:
            short = encoded[:ANNOTATION_TEXT_BYTES].decode("utf-8", errors="ignore")
            warnings.warn(
                f"{where(self.path)}: annotation text {text!r} cut to {short!r} (EDF+ via edflib "
                f"keeps {ANNOTATION_TEXT_BYTES} bytes)",
                RecordingWarning,
                stacklevel=3,
            )
            text = short
        self._annotations.append((onset_s, duration_s, text))

    def _close(self) -> None:
        try:
            padded = self._pad_and_extend()
            for onset, duration, text in sorted(self._annotations):
                self._edf.writeAnnotation(onset, duration, text)
            if padded:
                end = self.file_time_s
                self._edf.writeAnnotation(end, self._records * self.record_duration_s - end,
                                          markers.padding_text(self.file_samples))
        finally:
            self._edf.close()

    def _pad_and_extend(self) -> bool:
        """Pad the last record with filler and add records until every annotation fits; True if
        padded. `file_samples` stays the count of samples before the padding."""
        padded = self._pending.shape[0] > 0 or self._records == 0
        if padded:
            fill = np.repeat(self._filler, self._spr - self._pending.shape[0], axis=0)
            self._write_records(np.concatenate((self._pending, fill)))
            self._pending = self._pending[:0]
        needed = len(self._annotations) + int(padded)
        if needed > self._records * self._annotation_signals:
            needed = len(self._annotations) + 1
            capacity = self._records * self._annotation_signals
            extra = -(-(needed - capacity) // self._annotation_signals)
            self._write_records(np.repeat(self._filler, extra * self._spr, axis=0))
            padded = True
        return padded


class BdfWriter(EdfWriter):
    """Chunked BDF+ writer (24-bit samples)."""

    FILE_TYPE = pyedflib.FILETYPE_BDFPLUS
    DIGITAL_MIN = -8388608
    DIGITAL_MAX = 8388607
    DEFAULT_RANGE_UV = 200_000.0
