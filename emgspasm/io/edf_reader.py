"""EDF, EDF+, BDF and BDF+ recordings: headers parsed by pyedflib, data records read in bulk.

Physical units are honoured: each signal's dimension (µV/uV, mV, V in any case) is converted to
µV, and an unknown one is an error naming the signal rather than a silent factor of 1000.
Reading is chunked so memory does not grow with the recording. pyedflib parses the header;
the samples of a chunk are then read as its whole data records in one ``readinto`` and
converted with numpy exactly as edflib converts them (`_RecordBlocks`: the same clamp to the
digital range and the same ``bitvalue * (offset + digital)`` in float64, so the same bits),
because ``readSignal(channel, start, n)``, one channel at a time, cost 0.9-1.8 s of a 1-hour
8-channel 2 kHz analysis. Files whose layout is not the plain one that needs (signals of
another rate among the picked ones' records are fine) are read with ``readSignal``.
EDF+ annotations are carried; the I/O layer's own markers (`markers`) become
`gaps` and the true sample count instead.

Gaps written as filler (``BAD_gap N samples at #F``, see `edf_writer`) are taken back out:
sample indices, `n_samples` and `chunks` count received samples only, exactly as for a file
whose gaps were stored back to back, so the filler never reaches the pipeline as signal and a
file reads the same whichever way its gaps were written. Annotation onsets stay in the file's
own time (real time for filled gaps); `packed_gaps` lists the gaps that time skips. A
recording of ours whose writer was killed has no annotations (edflib writes them at close):
its filler is then found by value (every channel at its lowest digital value) and reported.

The header's record count is checked against the file size, because edflib trusts it: a count
of -1 (a writer killed before closing) or one smaller than the complete records on disk is
*recovered* — pyedflib reads a temporary copy whose count says what the disk holds — with a
`RecordingWarning`; bytes after the last record are reported, never skipped in silence.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyedflib

from emgspasm.io import markers
from emgspasm.io.base import RecordingReader, select_channels
from emgspasm.io.edf_diagnose import RECORD_COUNT_FIELD, Layout, read_layout, size_problem
from emgspasm.io.errors import RecordingError, RecordingWarning, where
from emgspasm.io.units import uv_per_unit
from emgspasm.recording import Annotation
from emgspasm.timeline import file_to_stream

FILLER_SCAN_SAMPLES = 1 << 16
"""Samples per channel read per step when a file that lost its annotations is searched for
gap filler."""


class EdfReader(RecordingReader):
    """Reader for EDF/EDF+/BDF/BDF+ files.

    `channels` selects signals by label. All selected signals must share one rate; with no
    selection, signals at a lower rate than the fastest (e.g. an accelerometer) are skipped with
    a `RecordingWarning`. `fs`, if given, must match the file. `units` is used only for signals
    whose dimension field is blank.
    """

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        self._recovered: tempfile.TemporaryDirectory[str] | None = None
        self._opened = self.path
        self._bulk: _RecordBlocks | None = None
        self._edf = self._open_checked()
        try:
            self._setup(fs, units, channels)
        except BaseException:
            self.close()
            raise

    def _open_checked(self) -> pyedflib.EdfReader:
        """pyedflib's reader on the file, or on a recovered copy if the header's count is stale."""
        layout = read_layout(self.path) if self.path.is_file() else None
        if layout is None or not _stale_count(layout):
            edf = _open(self.path)
            if layout is not None and layout.n_records >= 0 and layout.tail_bytes:
                _warn(f"{where(self.path, byte=layout.file_bytes - layout.tail_bytes)}: "
                      f"{layout.tail_bytes} bytes after the last complete data record are not "
                      "read (a partly written record?)")
            return edf
        self._recovered = tempfile.TemporaryDirectory(prefix="emgspasm-recover-")
        copy = Path(self._recovered.name) / self.path.name
        keep = layout.header_bytes + layout.records_on_disk * layout.record_bytes
        with self.path.open("rb") as src, copy.open("wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.truncate(keep)
            dst.seek(RECORD_COUNT_FIELD.start)
            dst.write(f"{layout.records_on_disk:<8d}".encode("ascii"))
        said = ("-1 (the recording was never closed: killed or crashed?)"
                if layout.n_records < 0 else f"{layout.n_records}")
        tail = f", and {layout.tail_bytes} bytes of a partial record dropped" \
            if layout.tail_bytes else ""
        _warn(f"{where(self.path)}: the header's record count is {said} but the file holds "
              f"{layout.records_on_disk} complete data records; recovered all "
              f"{layout.records_on_disk}{tail}; annotations written only at close may be missing")
        self._opened = copy
        return _open(copy, shown=self.path)

    def _setup(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        edf = self._edf
        labels = [str(x) for x in edf.getSignalLabels()]
        rates = np.asarray(edf.getSampleFrequencies(), dtype=np.float64)
        if not labels:
            raise RecordingError(f"{where(self.path)}: the file has no signals")
        picked = select_channels(self.path, labels, channels)
        picked_rates = rates[picked]
        if not np.allclose(picked_rates, picked_rates.max()):
            if channels is not None:
                raise RecordingError(
                    f"{where(self.path)}: channels {channels} have different rates "
                    f"{sorted(set(picked_rates.tolist()))} Hz; select channels of one rate"
                )
            top = picked_rates.max()
            skipped = [labels[i] for i in picked if not np.isclose(rates[i], top)]
            picked = [i for i in picked if np.isclose(rates[i], top)]
            warnings.warn(
                f"{where(self.path)}: skipped signals {skipped} sampled slower than "
                f"{top:g} Hz; select them with channels= to read them on their own",
                RecordingWarning,
                stacklevel=5,
            )
        self._signals = picked
        self.channels = [labels[i] for i in picked]
        self.fs = float(rates[picked[0]])
        if fs is not None and not np.isclose(fs, self.fs, rtol=1e-9):
            raise RecordingError(
                f"{where(self.path)}: the file is sampled at {self.fs:g} Hz but fs={fs:g} "
                "was passed"
            )
        self._scales = np.array([self._scale(i, labels[i], units) for i in picked])
        stored = int(min(edf.getNSamples()[i] for i in picked))
        self.annotations, packed, fills, end = self._annotations(edf)
        in_file = stored if end is None else min(end, stored)
        self._bulk = _RecordBlocks.open(self._opened, edf, picked, self._scales)
        if self._lost_its_annotations(packed, fills, end):
            fills = self._scan_filler(in_file)
        self._fills = self._received_fills(fills, in_file)
        self._fill_at = np.array([at for at, _ in self._fills], dtype=np.int64)
        self._packed = packed
        self.gaps = sorted(packed + self._fills)
        self.n_samples = in_file - sum(n for _, n in self._fills)

    @property
    def packed_gaps(self) -> list[tuple[int, int]]:
        """Gaps stored back to back (older files, or too long to fill); filled ones keep time."""
        return self._packed

    def _lost_its_annotations(self, packed: list, fills: list, end: int | None) -> bool:
        """True for a recording of ours with no annotation at all: edflib writes them only at
        close, so its writer was killed, and any gap filler in it is unmarked. (Our live
        recordings always end with a note, and our gaps are always annotated.)"""
        equipment = str(self._edf.getEquipment()).strip()
        return (equipment == markers.WRITER_EQUIPMENT and not (packed or fills or self.annotations)
                and end is None)

    def _scan_filler(self, in_file: int) -> list[tuple[int, int]]:
        """Runs of samples where every channel sits at its lowest digital value (our gap
        filler), as (file index, n), found in one chunked pass over the digital samples.

        Used only for a file that lost its annotations. Our writer keeps that value for
        filler (data, even clipped, never take it); in a file written before it did, data
        clipped at the negative rail on every channel at once would be taken for filler, so
        the runs found are reported in a warning.
        """
        lowest = [int(self._edf.getDigitalMinimum(i)) for i in self._signals]
        runs: list[tuple[int, int]] = []
        for start in range(0, in_file, FILLER_SCAN_SAMPLES):
            n = min(FILLER_SCAN_SAMPLES, in_file - start)
            mask = np.ones(n, dtype=bool)
            # Whole records in one read when the layout allows (1.8 s -> 0.2 s for 1 hour of
            # 8 channels at 2 kHz), else one readSignal per channel.
            stored = self._bulk.stored(start, n) if self._bulk is not None else [
                self._edf.readSignal(signal, start, n, digital=True) for signal in self._signals]
            for digital, floor in zip(stored, lowest, strict=True):
                mask &= digital == floor
            edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
            for lo, hi in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
                if runs and runs[-1][0] + runs[-1][1] == start + lo:  # continues across chunks
                    runs[-1] = (runs[-1][0], runs[-1][1] + hi - lo)
                else:
                    runs.append((start + lo, hi - lo))
        if runs:
            _warn(f"{where(self.path)}: no annotations (the recording was not closed: killed?); "
                  f"{len(runs)} run(s) of gap filler ({sum(n for _, n in runs)} samples at "
                  "every channel's lowest value) taken as gaps")
        return runs

    def _received_fills(
        self, fills: list[tuple[int, int]], in_file: int
    ) -> list[tuple[int, int]]:
        """Filler spans (file index, n) as gaps before received-sample indices.

        A span that overlaps another or runs past the data is cut to what the file holds, with
        a warning: the annotation was not written by us, or the file was edited.
        """
        gaps: list[tuple[int, int]] = []
        position = 0  # file index after the previous filler
        removed = 0
        for start, n in sorted(fills):
            lo, hi = max(start, position), min(start + n, in_file)
            if (lo, hi) != (start, start + n):
                _warn(f"{where(self.path)}: gap filler annotated at file samples {start}.."
                      f"{start + n - 1} overlaps other filler or runs past the data "
                      f"({in_file} samples); only {max(hi - lo, 0)} of them taken as gap")
            if hi <= lo:
                continue
            gaps.append((lo - removed, hi - lo))
            removed += hi - lo
            position = hi
        return gaps

    def _scale(self, signal: int, label: str, units: str | None) -> float:
        dimension = str(self._edf.getPhysicalDimension(signal)).strip()
        if not dimension and units is not None:
            dimension = units
        scale = uv_per_unit(dimension)
        if scale is None:
            raise RecordingError(
                f"{where(self.path)}: signal {label!r} has physical dimension {dimension!r}, "
                "not a voltage (uV, mV, V); select EMG signals with channels="
                + ("" if dimension else ", or pass units= for a blank dimension")
            )
        return scale

    def _annotations(
        self, edf: pyedflib.EdfReader
    ) -> tuple[list[Annotation], list[tuple[int, int]], list[tuple[int, int]], int | None]:
        """User annotations, back-to-back gaps (received index, n), filler spans (file index,
        n) and the number of file samples before the padding, from the file's annotations."""
        onsets, durations, texts = edf.readAnnotations()
        annotations: list[Annotation] = []
        gaps: list[tuple[int, int]] = []
        fills: list[tuple[int, int]] = []
        end: int | None = None
        for onset, duration, text in zip(onsets, durations, texts, strict=True):
            text = str(text)
            gap = markers.parse_gap(text)
            fill = markers.parse_fill(text)
            count = markers.parse_end(text)
            if gap is not None:
                gaps.append(gap)
            elif fill is not None:
                fills.append(fill)
            elif count is not None:
                end = count
            else:
                annotations.append(Annotation(float(onset), max(float(duration), 0.0), text))
        return annotations, sorted(gaps), fills, end

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for start in range(0, self.n_samples, preferred):
            yield self._read(start, min(start + preferred, self.n_samples))

    def read_span(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` in µV, read directly with pyedflib's random access."""
        start, stop = self._check_span(start, stop)
        return self._read(start, stop)

    def _read(self, start: int, stop: int) -> np.ndarray:
        """Received samples ``[start, stop)`` in µV, stepping over gap filler in the file."""
        block = np.empty((stop - start, len(self._signals)))
        if stop <= start:
            return block
        at = self._fill_at
        cuts = at[np.searchsorted(at, start, side="right"):np.searchsorted(at, stop)]
        bounds = np.concatenate(([start], cuts, [stop])).astype(np.int64)
        in_file = file_to_stream(bounds[:-1], self._fills)  # file index of each piece
        for lo, hi, first in zip(bounds[:-1].tolist(), bounds[1:].tolist(), in_file.tolist(),
                                 strict=True):
            if self._bulk is not None:  # already in µV
                block[lo - start:hi - start] = self._bulk.read(first, hi - lo)
                continue
            for j, signal in enumerate(self._signals):
                block[lo - start:hi - start, j] = (
                    self._edf.readSignal(signal, first, hi - lo) * self._scales[j])
        return block

    def close(self) -> None:
        """Close the underlying pyedflib reader (and remove a recovered copy)."""
        if getattr(self, "_bulk", None) is not None:
            self._bulk.close()
            self._bulk = None
        if getattr(self, "_edf", None) is not None:
            self._edf.close()
        if self._recovered is not None:
            self._recovered.cleanup()
            self._recovered = None


class _RecordBlocks:
    """Samples of the picked signals read as whole data records, converted as edflib does.

    The data section is ``n_records`` records, each holding every signal's samples of that
    record in header order (2-byte little-endian integers in EDF, 3-byte in BDF). A block of
    samples is the records it spans, read in one call, sliced per signal. edflib turns a
    digital value d into ``bitvalue * (offset + d)`` after clamping d to the signal's digital
    range, with ``bitvalue = (pmax - pmin) / (dmax - dmin)`` and ``offset = pmax / bitvalue -
    dmax`` from the header values it parsed (pyedflib reports them): the same float64
    operations here give the same bits (checked in the tests against ``readSignal``).
    """

    def __init__(self, path: Path, header_bytes: int, sample_bytes: int, record_bytes: int,
                 layout: list[tuple[int, int]], lo: np.ndarray, hi: np.ndarray,
                 bitvalue: np.ndarray, offset: np.ndarray, scales: np.ndarray) -> None:
        self._file = path.open("rb")
        self._header_bytes = header_bytes
        self._sample_bytes = sample_bytes
        self._record_bytes = record_bytes
        self._layout = layout  # per picked signal: (byte offset in a record, samples per record)
        self._lo, self._hi = lo, hi
        self._bitvalue, self._offset, self._scales = bitvalue, offset, scales

    @classmethod
    def open(cls, path: Path, edf: pyedflib.EdfReader, picked: list[int],
             scales: np.ndarray) -> _RecordBlocks | None:
        """The bulk reader for `path` (opened by pyedflib as `edf`), or None when its header
        is not one this reads the same way as edflib (then ``readSignal`` is used)."""
        try:
            with path.open("rb") as fh:
                fixed = fh.read(256)
                n_all = int(fixed[252:256].decode("ascii").strip())
                fields = fh.read(256 * n_all)
            header_bytes = int(fixed[184:192].decode("ascii").strip())
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if len(fields) < 256 * n_all or header_bytes != 256 * (n_all + 1):
            return None
        sample_bytes = 3 if fixed[:1] == b"\xff" else 2
        labels = [fields[16 * i:16 * i + 16].decode("ascii", "replace").strip()
                  for i in range(n_all)]
        spr_at = 216 * n_all  # samples-per-record fields follow 216 bytes of fields per signal
        try:
            spr = [int(fields[spr_at + 8 * i:spr_at + 8 * i + 8].decode("ascii").strip())
                   for i in range(n_all)]
        except (ValueError, UnicodeDecodeError):
            return None
        # edflib numbers the signals that are not annotation signals, in header order.
        data = [i for i in range(n_all) if labels[i] not in ("EDF Annotations",
                                                             "BDF Annotations")]
        if len(data) != edf.signals_in_file:
            return None
        starts = np.concatenate([[0], np.cumsum(spr)]) * sample_bytes
        layout = []
        for s in picked:
            raw = data[s]
            if spr[raw] != edf.samples_in_datarecord(s) or spr[raw] <= 0:
                return None
            layout.append((int(starts[raw]), spr[raw]))
        if len({n for _, n in layout}) != 1:
            return None
        dmin = np.array([edf.getDigitalMinimum(s) for s in picked], dtype=np.float64)
        dmax = np.array([edf.getDigitalMaximum(s) for s in picked], dtype=np.float64)
        pmin = np.array([edf.getPhysicalMinimum(s) for s in picked], dtype=np.float64)
        pmax = np.array([edf.getPhysicalMaximum(s) for s in picked], dtype=np.float64)
        if np.any(dmax <= dmin):
            return None
        bitvalue = (pmax - pmin) / (dmax - dmin)
        offset = pmax / bitvalue - dmax
        return cls(path, header_bytes, sample_bytes, int(starts[-1]), layout, dmin, dmax,
                   bitvalue, offset, scales)

    def read(self, start: int, n: int) -> np.ndarray:
        """Samples ``[start, start + n)`` of the picked signals, (n, signals) float64 µV."""
        out = np.empty((n, len(self._layout)))
        for j, digital in enumerate(self.stored(start, n)):
            d = np.clip(digital, self._lo[j], self._hi[j]).astype(np.float64)
            out[:, j] = self._bitvalue[j] * (self._offset[j] + d)
        out *= self._scales
        return out

    def stored(self, start: int, n: int) -> list[np.ndarray]:
        """Per picked signal, its digital values ``[start, start + n)`` as stored, read as
        the whole records they lie in with one call (not clamped to the digital range:
        ``readSignal(..., digital=True)`` gives the same values)."""
        per = self._layout[0][1]
        first, stop = start // per, -(-(start + n) // per)
        buf = bytearray((stop - first) * self._record_bytes)
        self._file.seek(self._header_bytes + first * self._record_bytes)
        got = self._file.readinto(buf)
        records = np.frombuffer(buf, dtype=np.uint8)[:got - got % self._record_bytes]
        records = records.reshape(-1, self._record_bytes)
        skip = start - first * per
        if records.shape[0] * per < skip + n:
            raise RecordingError(f"{where(self._file.name)}: the file ends before sample "
                                 f"{start + n} it declares")
        width = self._sample_bytes
        signals = []
        for at, count in self._layout:
            raw = records[:, at:at + count * width]
            if width == 2:
                digital = raw.copy().view("<i2").reshape(-1)
            else:  # 24-bit little-endian two's complement
                b = raw.reshape(-1, 3).astype(np.int32)
                digital = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
                digital = (digital ^ 0x800000) - 0x800000
            signals.append(digital[skip:skip + n])
        return signals

    def close(self) -> None:
        self._file.close()


def _stale_count(layout: Layout) -> bool:
    """True if the header's record count is -1 or below the complete records on disk."""
    return layout.records_on_disk > 0 and layout.n_records < layout.records_on_disk


def _warn(message: str) -> None:
    warnings.warn(message, RecordingWarning, stacklevel=6)


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """edflib prints "filesize … != …" to the C stdout; we report size problems ourselves, and
    the line would break a summary table printed on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _open(path: Path, shown: Path | None = None) -> pyedflib.EdfReader:
    """pyedflib's reader, with its errors turned into ones that say where the file is broken.

    `shown` is the path to name in messages when `path` is a recovered copy of it.
    """
    shown = path if shown is None else shown
    try:
        with _stdout_silenced():
            return pyedflib.EdfReader(str(path))
    except FileNotFoundError:
        raise
    except OSError as exc:
        reason = str(exc).removeprefix(str(path)).lstrip(": ")
        detail = size_problem(path)
        extra = f"; {detail}" if detail else ""
        raise RecordingError(
            f"{where(shown)}: not a readable EDF/BDF file ({reason}){extra}"
        ) from exc
