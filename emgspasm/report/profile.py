"""What a report needs to know about a recording, gathered during the one analysis pass.

A 24-hour, 8-channel, 2 kHz recording cannot be held in memory, and reading it a second time
just to draw a report would double the cost of `analyze`. `RecordingProfile` is therefore fed
the same raw µV chunks the pipeline gets and keeps only small summaries:

* an **RMS strip**: the band-passed RMS of every `strip_s` seconds per channel (86 400 values
  per channel for a day), the backdrop of the report's overview;
* a **mains strip**: the RMS of the mains lines (fundamentals and low harmonics, after the
  same band-pass) over the same bins;
* raw-signal counters for **clipping**, **flat lines** and the **gaps** reported by the reader.

From those it derives the quality figures a reader of the report checks first: the noise floor,
the mains level, the clipping and flat-line fractions.

Filters start from rest at the recording's start and after every gap, as the pipeline's do;
the first sample of each such segment is subtracted before filtering, so a DC offset (raw
biopotential front ends sit tens of mV off zero) does not ring through them as a step.

Everything is vectorized (causal `sosfilt` with carried state, reductions per bin), and the
result does not depend on how the recording was chunked: the filters carry their state,
samples of an unfinished bin are held back until the bin is complete and then summed in one
fixed-shape reduction, and the raw counters are exact integer counts and extremes. Any chunking
gives bit-identical profiles (tested with random chunkings).

Times are *stream* times, like the events': a gap advances the clock by the samples lost
(`add_gap`), and the bins it covers are empty (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import signal

from emgspasm.dsp.filters import (
    NOTCH_NYQUIST_GUARD,
    StreamingFilter,
    design_emg_filter,
    pass_band,
)

PROFILE_VERSION = 1
"""Version of the `to_dict` layout; `from_dict` refuses layouts it does not know."""

NOISE_FLOOR_PERCENTILE = 5.0
"""The noise floor is this percentile of a channel's RMS strip. Rest is the absence of events,
and most recordings are mostly rest, so the quietest seconds are electrode and amplifier noise;
any activity only raises the RMS. A low percentile rather than the minimum ignores the odd
quiet second (a filter restart after a gap, a brief lead-off), yet stays a floor as long as the
muscle rests for more than 5 % of the recording (a muscle never at rest has no measurable floor,
and the report says the floor is high)."""

MIN_BIN_FILL = 0.5
"""Bins less than half filled (next to a gap, the last one) are left out of the noise floor:
an RMS over a few samples is too noisy to be a floor."""

MAINS_LINE_BANDWIDTH_HZ = 1.0
"""-3 dB width of the notch on each mains line; what the notch removes is the line's level.
Narrow enough that broadband EMG and noise leak little (π/2 Hz noise bandwidth per line: white
noise of σ at 1 kHz reads as ~0.06 σ per line), wide enough to follow grid frequency drift
(±0.2 Hz costs 7 % of the amplitude)."""

MAINS_HARMONICS = 3
"""Mains lines measured: the fundamental and harmonics up to the third (odd harmonics carry most
interference power after the fundamental; higher ones are weak in surface recordings)."""

FLAT_MIN_RUN_S = 0.05
"""A flat line is a run of identical raw values lasting at least this long. Noise, even coarsely
quantised (8-bit armbands), does not hold one value for 50 ms; a lead-off or a stuck amplifier
does."""

FLAT_MIN_RUN_SAMPLES = 3
"""Lower bound on the run length in samples, for very low rates."""

CLIP_MIN_REPEATS = 2
"""Samples at a channel's extreme count as clipped only if that extreme value occurs at least
this often: a continuous signal reaches its maximum once, a clipped one sits on its rail."""

CLIP_MIN_LEVELS = 64
"""Clipping is assessed only when the channel spans at least this many quantisation steps. With
fewer levels (a quiet 8-bit channel) ordinary noise revisits its extreme values by chance, and
"at the extreme" says nothing about a rail."""


class RecordingProfile:
    """Streaming accumulator of a recording's RMS strip and signal-quality figures.

    Feed it the raw µV chunks of one pass (`update`), and `add_gap` where samples are missing;
    then read the properties or serialise with `to_dict`. A profile restored by `from_dict` is
    finished: it answers every property but takes no more samples.

    Parameters
    ----------
    fs : sampling rate in Hz.
    channels : channel names, in column order.
    mains_hz : mains frequency or frequencies whose lines (and harmonics up to
        `MAINS_HARMONICS`) are measured; both 50 and 60 Hz by default, as the origin of a
        recording is often unknown; None or () for none.
    strip_s : length of one strip bin in seconds (rounded to whole samples).

    Example
    -------
    >>> import numpy as np
    >>> p = RecordingProfile(1000.0, ["ch1"])
    >>> t = np.arange(5000) / 1000.0
    >>> p.update((10 * np.sqrt(2) * np.sin(2 * np.pi * 50 * t))[:, None])
    >>> round(float(p.mains_uv[0]))    # a 10 µV RMS hum
    10
    """

    def __init__(
        self,
        fs: float,
        channels: Sequence[str],
        mains_hz: float | Sequence[float] | None = (50.0, 60.0),
        strip_s: float = 1.0,
    ) -> None:
        self.fs = float(fs)
        if not (np.isfinite(self.fs) and self.fs > 0):
            raise ValueError(f"fs must be a positive number of Hz, got {fs!r}")
        self.channels = [str(c) for c in channels]
        if not self.channels:
            raise ValueError("a profile needs at least one channel")
        if not (np.isfinite(strip_s) and strip_s > 0):
            raise ValueError(f"strip_s must be positive, got {strip_s!r}")
        self.mains_hz = tuple(float(f) for f in np.atleast_1d(
            np.asarray(() if mains_hz is None else mains_hz, dtype=np.float64)))
        self.strip_s = float(strip_s)
        self.strip_samples = max(1, round(strip_s * self.fs))
        self.band_hz = pass_band(self.fs)
        self.mains_lines_hz = mains_lines(self.fs, self.mains_hz)
        n = len(self.channels)
        # The strip is band-passed only (no notches), as the detector's activity stage sees
        # the signal: hum raises the floor there too, and the mains column says by how much.
        self._band = StreamingFilter(design_emg_filter(self.fs, mains_hz=None), n)
        # Mains = band-passed minus band-passed-and-notched: the complement of a notch is a
        # resonator on its line, and one cascade costs far less than a filter call per line.
        self._notches = StreamingFilter(_notch_cascade(self.fs, self.mains_lines_hz), n)
        self._bins = _Binner(self.strip_samples, 2 * n)
        self._raw = _RawStats(n, max(FLAT_MIN_RUN_SAMPLES, round(FLAT_MIN_RUN_S * self.fs)))
        self._offset: np.ndarray | None = None
        self._gaps: list[tuple[int, int]] = []
        self._n_samples = 0
        self._n_missing = 0
        self._view: dict[str, Any] | None = None
        self._finished = False

    # -- feeding -----------------------------------------------------------------------
    def update(self, chunk: np.ndarray) -> None:
        """Add raw samples in µV, shape (n, n_channels), any n >= 0."""
        if self._finished:
            raise ValueError("this profile was restored from a dict and takes no more samples")
        x = np.asarray(chunk, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.channels):
            raise ValueError(f"chunk must have shape (n, {len(self.channels)}), got {x.shape}")
        if x.shape[0] == 0:
            return
        if not np.isfinite(x).all():
            raise ValueError("chunk contains NaN or inf; mark missing samples with add_gap()")
        if self._offset is None:
            self._offset = x[0].copy()
        n = len(self.channels)
        band = self._band.process(x - self._offset)
        mains = band - self._notches.process(band)
        power = np.empty((x.shape[0], 2 * n))
        np.multiply(band, band, out=power[:, :n])
        np.multiply(mains, mains, out=power[:, n:])
        self._bins.add(power)
        self._raw.update(x)
        self._n_samples += x.shape[0]
        self._view = None

    def add_gap(self, n_missing: int) -> None:
        """Record `n_missing` samples lost just before the next chunk.

        The clock moves on by the samples lost, filters restart (as the pipeline's do) and a
        flat run does not continue across the hole.
        """
        if self._finished:
            raise ValueError("this profile was restored from a dict and takes no more samples")
        n = int(n_missing)
        if n < 1:
            raise ValueError(f"n_missing must be >= 1, got {n_missing!r}")
        self._gaps.append((self._n_samples, n))
        self._n_missing += n
        self._bins.skip(n)
        self._band.reset()
        self._notches.reset()
        self._offset = None
        self._raw.break_run()
        self._view = None

    # -- results -----------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        """Samples received (gaps excluded)."""
        return int(self._get("n_samples"))

    @property
    def n_missing(self) -> int:
        """Samples known to be missing (sum over gaps)."""
        return int(self._get("n_missing"))

    @property
    def duration_s(self) -> float:
        """Stream duration: samples received plus samples missing, in seconds."""
        return (self.n_samples + self.n_missing) / self.fs

    @property
    def gaps(self) -> list[tuple[int, int]]:
        """(file sample index, n_missing) pairs, as readers report them."""
        return list(self._get("gaps"))

    @property
    def strip_times_s(self) -> np.ndarray:
        """Start time of each strip bin (stream time), shape (n_bins,)."""
        return np.arange(self.strip_count.size) * (self.strip_samples / self.fs)

    # One read-only view per stored field: alike in shape only.
    @property
    def strip_count(self) -> np.ndarray:
        """Samples present in each bin, shape (n_bins,); 0 inside gaps."""
        return self._get("strip_count")

    @property
    def strip_rms_uv(self) -> np.ndarray:
        """Band-passed RMS per bin, shape (n_channels, n_bins), NaN where a bin is empty."""
        return self._get("strip_rms_uv")

    @property
    def strip_mains_uv(self) -> np.ndarray:
        """RMS of the mains lines per bin, shape (n_channels, n_bins), NaN where empty."""
        return self._get("strip_mains_uv")

    @property
    def noise_floor_uv(self) -> np.ndarray:
        """`NOISE_FLOOR_PERCENTILE` of each channel's RMS strip, µV (NaN if no full bin)."""
        return self._get("noise_floor_uv")

    @property
    def mains_uv(self) -> np.ndarray:
        """Typical mains level, µV per channel: the median over time of the mains strip (NaN if
        no line is measured). Hum is continuous, so its typical level is the median; a mean
        would also count the EMG of every contraction leaking into the narrow lines."""
        return self._get("mains_uv")

    @property
    def clip_fraction(self) -> np.ndarray:
        """Share of samples sitting on the channel's extreme values (its rails); NaN where the
        channel spans fewer than `CLIP_MIN_LEVELS` quantisation steps (not assessable)."""
        return self._get("clip_fraction")

    @property
    def flat_fraction(self) -> np.ndarray:
        """Share of samples in runs of identical values lasting `FLAT_MIN_RUN_S` or longer."""
        return self._get("flat_fraction")

    @property
    def max_uv(self) -> np.ndarray:
        """Largest raw value per channel, µV (NaN before any sample)."""
        return self._get("max_uv")

    @property
    def min_uv(self) -> np.ndarray:
        """Smallest raw value per channel, µV (NaN before any sample)."""
        return self._get("min_uv")

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (NaN as None); `from_dict` restores it exactly."""
        view = self._get_view()
        out: dict[str, Any] = {
            "version": PROFILE_VERSION,
            "fs": self.fs,
            "channels": list(self.channels),
            "mains_hz": list(self.mains_hz),
            "strip_s": self.strip_s,
            "strip_samples": self.strip_samples,
            "band_hz": list(self.band_hz),
            "mains_lines_hz": list(self.mains_lines_hz),
            "duration_s": self.duration_s,
            "n_samples": int(view["n_samples"]),
            "n_missing": int(view["n_missing"]),
            "gaps": [[int(i), int(n)] for i, n in view["gaps"]],
            "strip_count": view["strip_count"].tolist(),
        }
        for key in _FLOAT_FIELDS:
            out[key] = _nan_to_none(view[key])
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordingProfile:
        """A finished profile from `to_dict` output (read-only: `update` raises)."""
        if d.get("version") != PROFILE_VERSION:
            raise ValueError(
                f"profile layout version {d.get('version')!r} is not {PROFILE_VERSION}"
            )
        missing = [k for k in (*_FLOAT_FIELDS, "fs", "channels", "strip_count") if k not in d]
        if missing:
            raise ValueError(f"profile dict lacks field(s) {missing}")
        profile = cls(d["fs"], d["channels"], d.get("mains_hz"), d.get("strip_s", 1.0))
        if int(d.get("strip_samples", profile.strip_samples)) != profile.strip_samples:
            raise ValueError("profile dict's strip_samples does not match fs and strip_s")
        view: dict[str, Any] = {
            "n_samples": int(d["n_samples"]),
            "n_missing": int(d["n_missing"]),
            "gaps": [(int(i), int(n)) for i, n in d.get("gaps", [])],
            "strip_count": np.asarray(d["strip_count"], dtype=np.int64),
        }
        for key in _FLOAT_FIELDS:
            view[key] = np.array(d[key], dtype=np.float64)  # None -> nan
        n_ch = len(profile.channels)
        view["strip_rms_uv"] = view["strip_rms_uv"].reshape(n_ch, -1)
        view["strip_mains_uv"] = view["strip_mains_uv"].reshape(n_ch, -1)
        profile._view = view
        profile._finished = True
        return profile

    def __repr__(self) -> str:
        return (
            f"RecordingProfile(fs={self.fs:g}, channels={self.channels}, "
            f"duration_s={self.duration_s:g})"
        )

    # -- internals ---------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        return self._get_view()[key]

    def _get_view(self) -> dict[str, Any]:
        if self._view is None:
            self._view = self._compute_view()
        return self._view

    def _compute_view(self) -> dict[str, Any]:
        n_ch = len(self.channels)
        sums, counts = self._bins.result()
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(sums / counts[:, None]).T  # 0/0 -> nan for empty bins
        strip_rms, strip_mains = rms[:n_ch], rms[n_ch:]
        filled = counts >= MIN_BIN_FILL * self.strip_samples
        if not filled.any():
            filled = counts > 0
        floor = (
            np.percentile(strip_rms[:, filled], NOISE_FLOOR_PERCENTILE, axis=1)
            if filled.any() else np.full(n_ch, np.nan)
        )
        if self.mains_lines_hz and filled.any():
            mains = np.median(strip_mains[:, filled], axis=1)
        else:
            mains = np.full(n_ch, np.nan)
        raw = self._raw
        present = max(self._n_samples, 1)
        at_rail = (np.where(raw.n_top >= CLIP_MIN_REPEATS, raw.n_top, 0)
                   + np.where(raw.n_bottom >= CLIP_MIN_REPEATS, raw.n_bottom, 0))
        with np.errstate(invalid="ignore"):
            levels = (raw.top - raw.bottom) / raw.step  # a constant channel has 0 levels
            clip = np.where(levels >= CLIP_MIN_LEVELS, at_rail / present, np.nan)
        seen = self._n_samples > 0
        return {
            "n_samples": self._n_samples,
            "n_missing": self._n_missing,
            "gaps": list(self._gaps),
            "strip_count": counts,
            "strip_rms_uv": strip_rms,
            "strip_mains_uv": strip_mains,
            "noise_floor_uv": floor,
            "mains_uv": mains,
            "clip_fraction": clip,
            "flat_fraction": raw.flat / present,
            "max_uv": raw.top if seen else np.full(n_ch, np.nan),
            "min_uv": raw.bottom if seen else np.full(n_ch, np.nan),
        }


_FLOAT_FIELDS = (
    "strip_rms_uv", "strip_mains_uv", "noise_floor_uv", "mains_uv", "clip_fraction",
    "flat_fraction", "max_uv", "min_uv",
)


def mains_lines(fs: float, mains_hz: Sequence[float]) -> tuple[float, ...]:
    """Mains lines measured at rate `fs`: each fundamental and its harmonics up to
    `MAINS_HARMONICS` that fall in the EMG pass band (hum elsewhere is filtered out anyway) and
    below the notch guard of Nyquist (a notch there is ill-conditioned)."""
    low, high = pass_band(fs)
    limit = min(high, NOTCH_NYQUIST_GUARD * fs / 2.0)
    lines = {round(k * f0, 9) for f0 in mains_hz for k in range(1, MAINS_HARMONICS + 1)}
    return tuple(sorted(f for f in lines if low <= f <= limit))


def _notch_cascade(fs: float, lines: Sequence[float]) -> np.ndarray:
    """One notch of `MAINS_LINE_BANDWIDTH_HZ` per line, as SOS (a pass-through if none)."""
    if not lines:
        return np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    return np.concatenate([
        signal.tf2sos(*signal.iirnotch(f, f / MAINS_LINE_BANDWIDTH_HZ, fs=fs)) for f in lines
    ])


def _nan_to_none(a: np.ndarray) -> Any:
    """Nested lists with NaN as None (JSON has no NaN)."""
    values = np.asarray(a, dtype=object)
    values[np.isnan(np.asarray(a, dtype=np.float64))] = None
    return values.tolist()


def _row_sums(blocks: np.ndarray) -> np.ndarray:
    """Per-bin sums of (n_bins, bin_len, k) values, shape (n_bins, k).

    Each bin is summed as one contiguous row, so its result depends only on its own samples,
    never on how many bins a chunk happened to hold (numpy's pairwise summation runs per row).
    """
    return np.ascontiguousarray(blocks.transpose(0, 2, 1)).sum(axis=-1)


class _Binner:
    """Sums of per-sample values over fixed bins of `size` stream samples.

    Samples of a bin that is not yet complete are held back (at most one bin's worth) and summed
    once it completes, or at a gap that moves the clock past it, or at the end.
    """

    def __init__(self, size: int, width: int) -> None:
        self.size = size
        self.width = width
        self.position = 0  # stream index of the next sample
        self._open: list[np.ndarray] = []
        self._open_bin = 0
        self._sums: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._n_bins = 0  # bins emitted so far

    def add(self, values: np.ndarray) -> None:
        start, size = self.position, self.size
        n = values.shape[0]
        self.position += n
        first = start // size
        if self._open and first != self._open_bin:
            self._close()
        self._open_bin = first
        head = min(n, (first + 1) * size - start)
        self._open.append(values[:head].copy())  # hold one bin, not the caller's chunk
        if start + head < (first + 1) * size:
            return  # bin `first` is still open
        self._close()
        rest = values[head:]
        full = (rest.shape[0] // size) * size
        if full:
            self._emit(first + 1, _row_sums(rest[:full].reshape(-1, size, self.width)),
                       np.full(full // size, size, dtype=np.int64))
        if full < rest.shape[0]:
            self._open_bin = first + 1 + full // size
            self._open = [rest[full:].copy()]

    def skip(self, n_missing: int) -> None:
        self.position += n_missing

    def _close(self) -> None:
        sums, count = self._open_sums()
        self._emit(self._open_bin, sums, np.array([count], dtype=np.int64))
        self._open = []

    def _open_sums(self) -> tuple[np.ndarray, int]:
        block = np.concatenate(self._open) if len(self._open) > 1 else self._open[0]
        return _row_sums(block[None]), block.shape[0]

    def _emit(self, first_bin: int, sums: np.ndarray, counts: np.ndarray) -> None:
        if first_bin > self._n_bins:  # bins the clock skipped over in a gap
            empty = first_bin - self._n_bins
            self._sums.append(np.zeros((empty, self.width)))
            self._counts.append(np.zeros(empty, dtype=np.int64))
        self._sums.append(sums)
        self._counts.append(counts)
        self._n_bins = first_bin + sums.shape[0]

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(sums (n_bins, width), counts (n_bins,)) up to the current position, open bin
        included, without closing it (more samples may follow)."""
        sums, counts = list(self._sums), list(self._counts)
        done = self._n_bins
        if self._open:
            open_sums, count = self._open_sums()
            if self._open_bin > done:
                sums.append(np.zeros((self._open_bin - done, self.width)))
                counts.append(np.zeros(self._open_bin - done, dtype=np.int64))
            sums.append(open_sums)
            counts.append(np.array([count], dtype=np.int64))
            done = self._open_bin + 1
        total = -(-self.position // self.size)
        if total > done:  # a gap at the end
            sums.append(np.zeros((total - done, self.width)))
            counts.append(np.zeros(total - done, dtype=np.int64))
        if not sums:
            return np.zeros((0, self.width)), np.zeros(0, dtype=np.int64)
        return np.concatenate(sums), np.concatenate(counts)


class _RawStats:
    """Exact counters on the raw signal: extremes and how often they occur, the smallest
    non-zero step (the quantisation), and samples in long runs of identical values.

    Works on channel-major copies (n_channels, n): reductions along a contiguous axis are an
    order of magnitude faster than down the columns of an (n, n_channels) block.
    """

    def __init__(self, n_channels: int, flat_run: int) -> None:
        self.flat_run = flat_run
        self.top = np.full(n_channels, -np.inf)
        self.bottom = np.full(n_channels, np.inf)
        self.n_top = np.zeros(n_channels, dtype=np.int64)
        self.n_bottom = np.zeros(n_channels, dtype=np.int64)
        self.step = np.full(n_channels, np.inf)
        self.flat = np.zeros(n_channels, dtype=np.int64)
        self._last: np.ndarray | None = None
        self._run = np.zeros(n_channels, dtype=np.int64)

    def update(self, x: np.ndarray) -> None:
        xt = np.ascontiguousarray(x.T)
        hi, lo = xt.max(axis=1), xt.min(axis=1)
        n_hi = np.count_nonzero(xt == hi[:, None], axis=1)
        n_lo = np.count_nonzero(xt == lo[:, None], axis=1)
        self.n_top = np.where(hi > self.top, n_hi, self.n_top + np.where(hi == self.top, n_hi, 0))
        self.n_bottom = np.where(lo < self.bottom, n_lo,
                                 self.n_bottom + np.where(lo == self.bottom, n_lo, 0))
        self.top, self.bottom = np.maximum(self.top, hi), np.minimum(self.bottom, lo)

        step = np.empty_like(xt)
        step[:, 0] = 0.0 if self._last is None else xt[:, 0] - self._last
        np.subtract(xt[:, 1:], xt[:, :-1], out=step[:, 1:])  # np.diff(prepend=) is 20x slower
        np.abs(step, out=step)
        still = step == 0
        step[still] = np.inf
        self.step = np.minimum(self.step, step.min(axis=1))
        if self._last is None:
            still[:, 0] = False  # a run starts at the first sample (after a start or a gap)
        self._last = xt[:, -1].copy()
        if not still.any():  # continuous data: every run has length 1
            self._run[:] = 1
            return
        # Position of each sample in its run of identical values, carried across chunks.
        idx = np.arange(xt.shape[1])
        last_move = np.maximum.accumulate(np.where(still, -1, idx), axis=1)
        run = np.where(last_move >= 0, idx - last_move + 1, self._run[:, None] + idx + 1)
        # A run is counted whole once it reaches flat_run samples, then sample by sample.
        self.flat += np.count_nonzero(run == self.flat_run, axis=1) * self.flat_run
        self.flat += np.count_nonzero(run > self.flat_run, axis=1)
        self._run = run[:, -1].copy()

    def break_run(self) -> None:
        self._last = None
