"""Physical units of voltage samples, all converted to microvolts.

Everything above the I/O layer works in µV (docs/architecture.md), so a reader multiplies by one
scale
factor per channel and nothing else needs to know what the file used. EDF dimension fields are
free text written by many programs, hence the tolerant spelling (``uV``, ``µV``, ``UV``, ``mv``).
"""

from __future__ import annotations

from pathlib import Path

from emgspasm.io.errors import RecordingError, where

_UV_PER_UNIT: dict[str, float] = {
    "nv": 1e-3,
    "uv": 1.0,
    "μv": 1.0,  # Greek mu; str.casefold() also maps the micro sign (U+00B5) to it
    "mv": 1e3,
    "v": 1e6,
}

SUPPORTED_UNITS = ("nV", "uV", "µV", "mV", "V")
"""Spellings accepted by `uv_per_unit` (case-insensitive)."""


def uv_per_unit(unit: str) -> float | None:
    """Microvolts per one `unit`, or None when `unit` is not a voltage we know.

    Case is ignored: upper-case ``MV`` in an EDF header means millivolts in practice, never
    megavolts.
    """
    return _UV_PER_UNIT.get(unit.strip().casefold())


def require_uv_per_unit(unit: str, path: str | Path) -> float:
    """Like `uv_per_unit`, but a unit we do not know is an error naming the file."""
    scale = uv_per_unit(unit)
    if scale is None:
        raise RecordingError(
            f"{where(Path(path))}: unknown units {unit!r}; use one of {', '.join(SUPPORTED_UNITS)}"
        )
    return scale
