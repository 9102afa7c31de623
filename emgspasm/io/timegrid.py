"""Sample positions from a time column: the sampling rate, gaps, and irregular stamps.

A time column is evidence of where each sample belongs. Reading it as "one row = the next
sample" would silently shift everything after a lost or duplicated row, so every time stamp is
placed on the grid ``t0 + k / fs`` and checked: a stamp between grid points is an error naming
its line, a jump of whole samples is a gap (reported, never bridged), a step backwards is an
error. Time stamps are usually printed rounded (PhysioNet's 4000 Hz files use 6 significant digits,
±0.2 sample), so the tolerance follows the printed precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emgspasm.io.errors import RecordingError, where

JITTER_SAMPLES = 0.1
"""Allowed deviation from the grid beyond print rounding, in samples ("roughly uniform")."""


def resolution_s(times: np.ndarray | float, digits: int) -> np.ndarray:
    """Print precision of time stamps written with `digits` significant digits."""
    magnitude = np.floor(np.log10(np.maximum(np.abs(np.asarray(times, dtype=np.float64)), 1e-12)))
    return 10.0 ** (magnitude - digits + 1)


def _refine(steps_s: np.ndarray, span: float, dt: float) -> float:
    """Step length such that the stamps are whole numbers of steps apart (a fixed point)."""
    for _ in range(8):
        new = span / np.maximum(np.rint(steps_s / dt), 1.0).sum()
        if new == dt:
            break
        dt = new
    return dt


def _misfit(times: np.ndarray, dt: float) -> float:
    """Largest distance, in steps, of a stamp from the grid ``times[0] + k * dt``."""
    position = (times - times[0]) / dt
    return float(np.abs(position - np.rint(position)).max())


def infer_fs(times: np.ndarray, digits: int) -> float | None:
    """Sampling rate from increasing time stamps printed with `digits` significant digits.

    Two first guesses, the mean step (right when stamps are coarsely rounded) and the median
    step (right when the block has gaps), are each refined by counting whole steps between
    stamps; the one whose grid fits the stamps best wins. Because stamps are rounded, the
    result is then snapped to the simplest rate (integer Hz first) within its own uncertainty:
    4000.03 Hz measured from 4-decimal stamps is 4000 Hz, which keeps the grid exact over
    millions of samples.
    Only the increasing prefix is used. Returns None if it has fewer than two stamps.
    """
    times = np.asarray(times, dtype=np.float64)
    steps_s = np.diff(times)
    backwards = np.flatnonzero(steps_s <= 0)
    if backwards.size:  # use the increasing prefix; the grid check names the bad line later
        times, steps_s = times[:backwards[0] + 1], steps_s[:backwards[0]]
    if times.size < 2:
        return None
    span = float(times[-1] - times[0])
    candidates = [_refine(steps_s, span, span / steps_s.size),
                  _refine(steps_s, span, float(np.median(steps_s)))]
    dt = min(candidates, key=lambda c: (_misfit(times, c), -c))
    fs = 1.0 / dt
    resolution = float(resolution_s(max(abs(times[0]), abs(times[-1])), digits))
    relative_uncertainty = max(resolution / span, 1e-9)
    for places in range(4):
        candidate = round(fs, places)
        if abs(candidate - fs) <= fs * relative_uncertainty:
            return float(candidate)
    return fs


@dataclass(frozen=True)
class TimeGrid:
    """The sampling instants ``t0 + k / fs`` of stamps printed with `digits` significant digits.

    A stamp may sit half its print precision plus `JITTER_SAMPLES` from its grid point, and
    never more than 0.45 sample (beyond that it would not name a unique sample).
    """

    t0: float
    fs: float
    digits: int

    def locate(
        self, times: np.ndarray, lines: np.ndarray, path: str | Path, hint: str = ""
    ) -> np.ndarray:
        """Grid index of each stamp; a stamp off the grid is an error naming its line."""
        position = (np.asarray(times, dtype=np.float64) - self.t0) * self.fs
        k = np.rint(position)
        tolerance = np.minimum(
            0.45, 0.5 * self.fs * resolution_s(times, self.digits) + JITTER_SAMPLES
        )
        off = np.abs(position - k) > tolerance
        if off.any():
            i = int(np.argmax(off))
            raise RecordingError(
                f"{where(path, int(lines[i]))}: time {float(times[i])!r} s is "
                f"{position[i] - k[i]:+.2f} samples off the sampling grid (fs={self.fs:g} Hz "
                f"from t0={self.t0!r} s): the time column is irregular.{hint}"
            )
        return k.astype(np.int64)


@dataclass
class Placement:
    """Running placement of lines on the grid: output sample count and the gaps found."""

    next_index: int | None = None
    n_out: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)

    def place(
        self,
        k: np.ndarray,
        per_line: np.ndarray,
        times: np.ndarray,
        lines: np.ndarray,
        path: str | Path,
    ) -> None:
        """Account for lines at grid indices `k` holding `per_line` samples each.

        A line whose index is beyond the expected one opens a gap before its first sample; one
        at or before the previous sample is an error (duplicated or out-of-order stamps).
        """
        if k.size == 0:
            return
        expected = np.empty_like(k)
        expected[1:] = k[:-1] + per_line[:-1]
        expected[0] = k[0] if self.next_index is None else self.next_index
        missing = k - expected
        if (missing < 0).any():
            i = int(np.argmax(missing < 0))
            previous = f" ({float(times[i - 1])!r} s)" if i > 0 else ""
            raise RecordingError(
                f"{where(path, int(lines[i]))}: time {float(times[i])!r} s does not come after "
                f"the previous sample{previous}; time stamps must increase"
            )
        first_out = self.n_out + np.concatenate(([0], np.cumsum(per_line)[:-1]))
        for i in np.flatnonzero(missing > 0):
            self.gaps.append((int(first_out[i]), int(missing[i])))
        self.n_out += int(per_line.sum())
        self.next_index = int(k[-1] + per_line[-1])


def grid_for(
    path: str | Path, times: np.ndarray, digits: int, fs: float | None, cannot_derive: str
) -> TimeGrid:
    """The grid of a time-stamped text file from its first stamps: `fs` if the caller gave one
    (it must be positive), else the rate the stamps show (`infer_fs`); `cannot_derive` is the
    error, naming the format's time column and line, when they show none."""
    rate = fs if fs is not None else infer_fs(times, digits)
    if rate is None:
        raise RecordingError(cannot_derive)
    if not rate > 0:
        raise RecordingError(f"{where(path)}: fs must be positive, got {rate}")
    return TimeGrid(float(times[0]), float(rate), digits)
