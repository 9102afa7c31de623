"""A BDF+ laid out as emgspasm wrote it before gaps were filled, written with pyedflib directly.

Received samples back to back, each gap as a ``gap N samples before #i`` annotation (i counts
received samples) and the record padding (the last value held) as ``end of data: sample count
N``: the layout of every `--record x.bdf` made before, which the reader must keep reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyedflib

RANGE_UV = 1000.0
"""Physical range of the legacy file's channels (±µV on the full 24-bit range)."""

DIGITAL_MAX = 8388607
DIGITAL_MIN = -8388608


def write_back_to_back(
    path: Path,
    samples: np.ndarray,
    fs: int,
    gaps: Sequence[tuple[int, int]],
    notes: Sequence[tuple[float, str]] = (),
) -> Path:
    """Write `samples` (µV, (n, n_channels)) at integer `fs` with 1 s records, old-style."""
    n, n_channels = samples.shape
    edf = pyedflib.EdfWriter(str(path), n_channels, pyedflib.FILETYPE_BDFPLUS)
    edf.setSignalHeaders([{
        "label": f"ch{i + 1}", "dimension": "uV", "sample_frequency": fs,
        "physical_max": RANGE_UV, "physical_min": -RANGE_UV,
        "digital_max": DIGITAL_MAX, "digital_min": DIGITAL_MIN,
        "transducer": "", "prefilter": "",
    } for i in range(n_channels)])
    scale = (DIGITAL_MAX - DIGITAL_MIN) / (2.0 * RANGE_UV)
    digital = np.rint((samples + RANGE_UV) * scale + DIGITAL_MIN).astype(np.int32)
    records = -(-n // fs)
    padded = np.concatenate((digital, np.repeat(digital[-1:], records * fs - n, axis=0)))
    for r in range(records):
        edf.blockWriteDigitalSamples(np.ascontiguousarray(padded[r * fs:(r + 1) * fs].T).ravel())
    for index, missing in gaps:
        edf.writeAnnotation(index / fs, missing / fs, f"gap {missing} samples before #{index}")
    for onset, text in notes:
        edf.writeAnnotation(onset, 0.0, text)
    if records * fs > n:
        edf.writeAnnotation(n / fs, records - n / fs, f"end of data: sample count {n}")
    edf.close()
    return path
