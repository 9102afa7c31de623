"""A long-ish recording written and read chunk by chunk, with memory independent of length."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

from emgspasm.io import open_reader, open_writer

FS = 2000.0
CHANNELS = [f"EMG{i + 1}" for i in range(8)]
SECONDS = 300  # 4.8 M samples (38 MB as float64): long enough to see memory stay flat
BLOCK = 500


def _block(index: int) -> np.ndarray:
    """Deterministic block `index` (regenerated for checking, never stored)."""
    t = (index * BLOCK + np.arange(BLOCK))[:, None] / FS
    return 300.0 * np.sin(2 * np.pi * (7.0 + np.arange(8)) * t) + index % 50


def test_chunked_bdf_writer_and_reader_keep_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "long.bdf"
    n_blocks = int(SECONDS * FS) // BLOCK
    tracemalloc.start()
    with open_writer(path, FS, CHANNELS) as out:
        for i in range(n_blocks):
            out.write(_block(i))
            if i == n_blocks // 2:
                out.add_gap(40)
                out.add_annotation(i * BLOCK / FS, 0.0, "halfway")
    _, write_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert write_peak < 2_000_000  # vs 38 MB of samples

    tracemalloc.start()
    with open_reader(path) as reader:
        assert reader.n_samples == n_blocks * BLOCK
        assert reader.gaps == [((n_blocks // 2 + 1) * BLOCK, 40)]
        assert [a.text for a in reader.annotations] == ["halfway"]
        worst = 0.0
        for i, block in enumerate(reader.chunks(BLOCK)):
            worst = max(worst, float(np.abs(block - _block(i)).max()))
    _, read_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert read_peak < 2_000_000
    assert worst <= 0.5 * 400_000 / (2**24 - 1) * 1.001  # half a 24-bit step of ±200 mV
