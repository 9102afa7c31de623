"""EDF, EDF+, BDF and BDF+ recordings, read through pyedflib (never hand-parsed).

Physical units are honoured: each signal's dimension (µV/uV, mV, V in any case) is converted to
µV, and an unknown one is an error naming the signal rather than a silent factor of 1000.
Reading is chunked with ``readSignal(channel, start, n)`` so memory does not grow with the
recording. EDF+ annotations are carried; the I/O layer's own markers (`markers`) become
`gaps` and the true sample count instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyedflib

from emgspasm.io import markers
from emgspasm.io.base import RecordingReader, select_channels
from emgspasm.io.edf_diagnose import size_problem
from emgspasm.io.errors import RecordingError, RecordingWarning, where
from emgspasm.io.units import uv_per_unit
from emgspasm.recording import Annotation


class EdfReader(RecordingReader):
    """Reader for EDF/EDF+/BDF/BDF+ files.

    `channels` selects signals by label. All selected signals must share one rate; with no
    selection, signals at a lower rate than the fastest (e.g. an accelerometer) are skipped with
    a `RecordingWarning`. `fs`, if given, must match the file. `units` is used only for signals
    whose dimension field is blank.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fs: float | None = None,
        units: str | None = None,
        channels: list[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self._edf = _open(self.path)
        try:
            self._setup(fs, units, channels)
        except BaseException:
            self._edf.close()
            raise

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
                stacklevel=4,
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
        self.annotations, self.gaps, end = self._annotations(edf)
        self.n_samples = stored if end is None else min(end, stored)

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
    ) -> tuple[list[Annotation], list[tuple[int, int]], int | None]:
        """User annotations, gaps and the true sample count from the file's annotations."""
        onsets, durations, texts = edf.readAnnotations()
        annotations: list[Annotation] = []
        gaps: list[tuple[int, int]] = []
        end: int | None = None
        for onset, duration, text in zip(onsets, durations, texts, strict=True):
            text = str(text)
            gap = markers.parse_gap(text)
            count = markers.parse_end(text)
            if gap is not None:
                gaps.append(gap)
            elif count is not None:
                end = count
            else:
                annotations.append(Annotation(float(onset), max(float(duration), 0.0), text))
        return annotations, sorted(gaps), end

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for start in range(0, self.n_samples, preferred):
            n = min(preferred, self.n_samples - start)
            block = np.empty((n, len(self._signals)))
            for j, signal in enumerate(self._signals):
                block[:, j] = self._edf.readSignal(signal, start, n)
            block *= self._scales
            yield block

    def read_span(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` in µV, read directly with pyedflib's random access."""
        start, stop = self._check_span(start, stop)
        block = np.empty((stop - start, len(self._signals)))
        if stop > start:
            for j, signal in enumerate(self._signals):
                block[:, j] = self._edf.readSignal(signal, start, stop - start)
            block *= self._scales
        return block

    def close(self) -> None:
        """Close the underlying pyedflib reader."""
        self._edf.close()


def _open(path: Path) -> pyedflib.EdfReader:
    """pyedflib's reader, with its errors turned into ones that say where the file is broken."""
    try:
        return pyedflib.EdfReader(str(path))
    except FileNotFoundError:
        raise
    except OSError as exc:
        reason = str(exc).removeprefix(str(path)).lstrip(": ")
        detail = size_problem(path)
        extra = f"; {detail}" if detail else ""
        raise RecordingError(
            f"{where(path)}: not a readable EDF/BDF file ({reason}){extra}"
        ) from exc
