"""Whole-recording convenience: `read` a file into a `Recording`, `write` one out.

Both go through the chunked reader and writer, so there is one code path per format and a file
written here reads back the same way a streamed recording does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emgspasm.io.edf_writer import FILLER_MARGIN
from emgspasm.io.registry import open_reader, open_writer
from emgspasm.recording import Annotation, Recording

CHUNK_SAMPLES = 1 << 16
"""Rows moved per step: amortises per-call cost while keeping temporaries small."""

MIN_RANGE_UV = 1.0
"""Smallest EDF/BDF physical range `write` picks, so an all-zero channel is still storable."""


# open_reader's arguments, passed through: a signature cannot be shared.
def read(
    path: str | Path,
    *,
    fs: float | None = None,
    units: str | None = None,
    channels: list[str] | None = None,
    **options: Any,
) -> Recording:
    """Read a whole recording (any supported format) into memory, samples in µV.

    Same arguments as `open_reader`. The result carries `path`, `annotations` and `gaps`.

    Example::

        rec = read("session.bdf")
        rec.samples.shape      # (n_samples, n_channels)
    """
    with open_reader(path, fs=fs, units=units, channels=channels, **options) as reader:
        samples = np.empty((reader.n_samples, len(reader.channels)))
        position = 0
        for block in reader.chunks(CHUNK_SAMPLES):
            samples[position:position + block.shape[0]] = block
            position += block.shape[0]
        return Recording(
            samples=samples,
            fs=reader.fs,
            channels=list(reader.channels),
            annotations=list(reader.annotations),
            gaps=list(reader.gaps),
            path=reader.path,
        )


def write(
    path: str | Path,
    recording: Recording,
    annotations: Sequence[Annotation] | None = None,
    *,
    physical_range_uv: float | Sequence[float] | None = None,
) -> Path:
    """Write `recording` in the format of `path`'s extension (``.bdf``, ``.edf``, ``.csv``).

    `annotations` defaults to the recording's own; its `gaps` are written too (EDF+/BDF+ gap
    annotations, CSV time jumps). For EDF/BDF the physical range defaults to each channel's
    largest magnitude (rounded up, with `FILLER_MARGIN` so the most negative sample stays off
    the gap filler's value), so nothing is clipped.
    """
    samples = recording.samples
    notes = recording.annotations if annotations is None else annotations
    if physical_range_uv is None and samples.size:
        peak = np.maximum(np.abs(samples).max(axis=0), MIN_RANGE_UV)
        physical_range_uv = (peak * (1.0 + FILLER_MARGIN)).tolist()
    gaps = sorted(recording.gaps)
    for index, missing in gaps:
        if not 0 <= index <= recording.n_samples or missing < 1:
            raise ValueError(f"gap {(index, missing)} is outside the recording")
    with open_writer(path, recording.fs, recording.channels,
                     physical_range_uv=physical_range_uv) as out:
        position = 0
        for index, missing in [*gaps, (recording.n_samples, 0)]:
            for start in range(position, index, CHUNK_SAMPLES):
                out.write(samples[start:min(start + CHUNK_SAMPLES, index)])
            position = index
            if missing:
                out.add_gap(missing)
        for note in notes:
            out.add_annotation(note.onset_s, note.duration_s, note.text)
    return Path(path)
