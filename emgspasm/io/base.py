"""The reader and writer interfaces every recording format implements.

One small interface over many formats (like MNE's readers or bleak's backends): the analysis
code asks for `chunks(n)` and never learns whether the bytes were EDF, CSV or text. Readers
stream, so analysing a 24-hour file takes memory independent of its length
(docs/architecture.md#invariants).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from emgspasm.io.errors import RecordingError, where
from emgspasm.io.timegrid import Placement
from emgspasm.recording import Annotation
from firmware_bridge.closing import ClosedOnExit

SPAN_READ_SAMPLES = 1 << 16
"""Block size `read_span` asks sequential formats for while skipping to a span."""


class RecordingReader(ClosedOnExit, ABC):
    """An open recording, read incrementally.

    Subclasses implement `_inspect`, which fills in the attributes (after checking the file well
    enough that they are right), and `_blocks`. Samples come out as float64 µV, shape
    (n, n_channels), in the order of `channels`. The constructor's arguments are the registry's
    (`emgspasm.io.registry.open_reader`), the same for every format, so they are declared once
    here; a reader with options of its own takes them before calling ``super().__init__``.

    Attributes:
        path: the file.
        fs: sampling rate in Hz.
        channels: channel names, in column order.
        n_samples: number of samples per channel that `chunks` will deliver.
        annotations: time-stamped notes carried by the file (onsets in seconds from its start).
        gaps: (sample_index, n_missing) pairs: samples known to be missing before that index.
        packed_gaps: the subset of `gaps` that takes no time on the file's own axis (stored
            back to back), i.e. what shifts annotation onsets against stream time; EDF/BDF
            written with filled gaps keep real time and list only unfilled ones. Defaults to
            `gaps`.
    """

    path: Path
    fs: float
    channels: list[str]
    n_samples: int
    annotations: list[Annotation]
    gaps: list[tuple[int, int]]

    # BioSPPyTextReader repeats these to add its ADC options (a signature cannot be extended).
    def __init__(
        self,
        path: str | Path,
        *,
        fs: float | None = None,
        units: str | None = None,
        channels: list[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self._inspect(fs, units, channels)

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        """Check the file and fill in the attributes. `fs` and `units` are what the caller
        gave (None: the file's own or the format's default); `channels` selects by name."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _inspect")

    def _read_head(self, n_bytes: int) -> tuple[bytes, bool]:
        """The file's first `n_bytes` and whether they are the whole file: text formats learn
        their layout and rate from the head before streaming the rest."""
        with self.path.open("rb") as fh:
            head = fh.read(n_bytes)
            return head, not fh.read(1)

    def _choose_channels(self, names: Sequence[str], requested: list[str] | None) -> list[int]:
        """Set `channels` to the `requested` names (all when None) and return their indices
        in `names` (see `select_channels` for the errors)."""
        picked = select_channels(self.path, names, requested)
        self.channels = [names[i] for i in picked]
        return picked

    def _measure(self, placed: Callable[[Placement], Iterable[np.ndarray]]) -> None:
        """Set `n_samples` and `gaps` by running a time-stamped format's rows through a fresh
        `Placement` once: such files hold no sample count, only stamps to check."""
        placement = Placement()
        for _ in placed(placement):
            pass
        self.n_samples = placement.n_out
        self.gaps = placement.gaps

    @property
    def packed_gaps(self) -> list[tuple[int, int]]:
        """Gaps stored back to back (see the class docstring); all of them unless overridden."""
        return self.gaps

    def chunks(self, n_samples_per_chunk: int) -> Iterator[np.ndarray]:
        """Yield the samples in blocks of `n_samples_per_chunk` rows (the last may be shorter).

        Each call starts again from the first sample. Raises `RecordingError` if the file no
        longer holds the number of samples found when it was opened (it changed underneath).
        """
        n = int(n_samples_per_chunk)
        if n < 1:
            raise ValueError(f"n_samples_per_chunk must be >= 1, got {n_samples_per_chunk}")
        return self._checked_chunks(n)

    def _checked_chunks(self, n: int) -> Iterator[np.ndarray]:
        delivered = 0
        for block in rechunk(self._blocks(n), n, len(self.channels)):
            delivered += block.shape[0]
            yield block
        if delivered != self.n_samples:
            raise RecordingError(
                f"{where(self.path)}: delivered {delivered} samples but the file held "
                f"{self.n_samples} when opened; was it modified while being read?"
            )

    def read_span(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` (file sample indices, gaps not counted) in µV.

        Reports read a few seconds around each event this way instead of keeping the
        recording in memory. This default walks the format's blocks and keeps only the span,
        so it costs a read up to `stop`; formats with random access (EDF/BDF) override it.
        """
        start, stop = self._check_span(start, stop)
        out = np.empty((stop - start, len(self.channels)))
        if stop == start:
            return out
        position = 0
        for block in self._blocks(max(stop - start, SPAN_READ_SAMPLES)):
            end = position + block.shape[0]
            lo, hi = max(start, position), min(stop, end)
            if hi > lo:
                out[lo - start:hi - start] = block[lo - position:hi - position]
            position = end
            if position >= stop:
                break
        if position < stop:
            raise RecordingError(
                f"{where(self.path)}: ended after {position} samples, before sample {stop}; "
                "was it modified while being read?"
            )
        return out

    def _check_span(self, start: int, stop: int) -> tuple[int, int]:
        """Validated integer bounds; a span outside the recording is an error naming it."""
        lo, hi = int(start), int(stop)
        if lo != start or hi != stop or not 0 <= lo <= hi <= self.n_samples:
            raise ValueError(
                f"{where(self.path)}: span [{start}, {stop}) is not within the "
                f"{self.n_samples} samples of the recording"
            )
        return lo, hi

    @abstractmethod
    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        """Yield float64 µV blocks of any size; `preferred` is a hint (the caller's chunk size)."""

    @property
    def duration_s(self) -> float:
        """Duration of the samples present (gaps excluded)."""
        return self.n_samples / self.fs

    def close(self) -> None:
        """Release the file; readers that keep no handle open need not override this."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.path)!r}, fs={self.fs:g}, "
            f"channels={self.channels}, n_samples={self.n_samples})"
        )


class RecordingWriter(ClosedOnExit, ABC):
    """A recording being written block by block, so nothing has to fit in memory.

    ``write`` appends samples (µV, shape (n, n_channels)); ``add_gap`` marks samples lost at the
    current position; ``add_annotation`` adds a note. ``close`` (or leaving the ``with`` block,
    even through an exception, so what was recorded is kept) finishes the file.
    """

    def __init__(self, path: str | Path, fs: float, channels: Sequence[str]) -> None:
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"{where(path)}: sampling rate must be positive, got {fs}")
        if not channels:
            raise ValueError(f"{where(path)}: at least one channel is needed")
        if len(set(channels)) != len(channels):
            raise ValueError(f"{where(path)}: channel names must be unique, got {list(channels)}")
        self.path = Path(path)
        self.fs = float(fs)
        self.channels = [str(c) for c in channels]
        self.n_samples = 0
        self.gaps: list[tuple[int, int]] = []
        self._closed = False

    def write(self, block: np.ndarray) -> None:
        """Append samples in µV, shape (n, n_channels) (1-D is accepted for one channel)."""
        self._check_open()
        x = np.asarray(block, dtype=np.float64)
        if x.ndim == 1 and len(self.channels) == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != len(self.channels):
            raise ValueError(
                f"{where(self.path)}: block of shape {x.shape} does not match "
                f"{len(self.channels)} channels"
            )
        if x.shape[0] == 0:
            return
        if not np.isfinite(x).all():
            raise ValueError(
                f"{where(self.path)}: block contains NaN or infinite samples, which the file "
                "cannot store; mark missing data with add_gap() instead"
            )
        self._write(x)
        self.n_samples += x.shape[0]

    def add_gap(self, n_missing: int) -> None:
        """Record that `n_missing` samples were lost just before the next sample written."""
        self._check_open()
        if n_missing < 1:
            raise ValueError(f"n_missing must be >= 1, got {n_missing}")
        self.gaps.append((self.n_samples, int(n_missing)))
        self._add_gap(self.n_samples, int(n_missing))

    def add_annotation(self, onset_s: float, duration_s: float, text: str) -> None:
        """Attach a note at `onset_s` seconds from the first sample, lasting `duration_s`."""
        self._check_open()
        if not (math.isfinite(onset_s) and onset_s >= 0):
            raise ValueError(f"annotation onset must be >= 0 s, got {onset_s}")
        if not (math.isfinite(duration_s) and duration_s >= 0):
            raise ValueError(f"annotation duration must be >= 0 s, got {duration_s}")
        self._add_annotation(float(onset_s), float(duration_s), str(text))

    @property
    def file_time_s(self) -> float:
        """Time of the next sample on the file's own time axis, where an annotation made now
        belongs. Formats that store samples back to back count received samples only; EDF/BDF
        count the filler that keeps real time across a gap."""
        return self.n_samples / self.fs

    def fills_gap(self, n_missing: int) -> bool:
        """True if a gap of `n_missing` samples keeps its length on the file's time axis (its
        annotations after the gap then need no shifting); False where stored back to back."""
        return False

    def close(self) -> None:
        """Finish the file. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._close()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{where(self.path)}: writer is closed")

    @abstractmethod
    def _write(self, x: np.ndarray) -> None:
        """Append a validated, non-empty float64 block."""

    @abstractmethod
    def _add_gap(self, sample_index: int, n_missing: int) -> None:
        """Store a gap in the format's own way."""

    @abstractmethod
    def _add_annotation(self, onset_s: float, duration_s: float, text: str) -> None:
        """Store an annotation in the format's own way."""

    @abstractmethod
    def _close(self) -> None:
        """Flush and finish the file."""


def rechunk(blocks: Iterable[np.ndarray], n: int, n_channels: int) -> Iterator[np.ndarray]:
    """Regroup blocks of any sizes into blocks of exactly `n` rows (the last may be shorter).

    Readers produce whatever is natural for the format (EDF data records, text byte blocks);
    callers get the size they asked for. Copies are made only when blocks must be joined.
    """
    pending: list[np.ndarray] = []
    have = 0
    for block in blocks:
        if block.shape[0] == 0:
            continue
        if have == 0 and block.shape[0] == n:
            yield block
            continue
        pending.append(block)
        have += block.shape[0]
        if have >= n:
            joined = np.concatenate(pending)
            full = (have // n) * n
            for start in range(0, full, n):
                yield joined[start:start + n]
            rest = joined[full:]
            pending = [rest] if rest.shape[0] else []
            have = rest.shape[0]
    if have:
        yield np.concatenate(pending) if len(pending) > 1 else pending[0]


def select_channels(
    path: str | Path, available: Sequence[str], requested: Sequence[str] | None
) -> list[int]:
    """Column indices of `requested` channel names (all channels when None), in that order.

    A name the file does not have is an error listing the names it does have, so a typo in a
    montage is caught at open time rather than silently analysing the wrong muscle.
    """
    if requested is None:
        return list(range(len(available)))
    if not requested:
        raise RecordingError(f"{where(path)}: empty channel list; the file has {list(available)}")
    index = {name: i for i, name in enumerate(available)}
    missing = [name for name in requested if name not in index]
    if missing:
        raise RecordingError(
            f"{where(path)}: no channel(s) {missing}; the file has {list(available)}"
        )
    if len(set(requested)) != len(requested):
        raise RecordingError(f"{where(path)}: channel list {list(requested)} repeats a name")
    return [index[name] for name in requested]
