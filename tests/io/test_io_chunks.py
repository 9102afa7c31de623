"""Chunked reading equals whole reading, for any chunk size and every format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA, make_recording
from hypothesis import given, settings
from hypothesis import strategies as st

from emgspasm.io import open_reader, read, write

FORMATS = ("rec.bdf", "rec.edf", "rec.csv", "timevalue.txt", "biosppy.txt")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray]]:
    """Each format once, with its whole-file samples."""
    root = tmp_path_factory.mktemp("chunks")
    rec = make_recording(n=1537, fs=512.0, n_channels=3, seed=3)
    out = {}
    for name in ("rec.bdf", "rec.edf", "rec.csv"):
        out[name] = write(root / name, rec)
    stamps = (np.arange(1200) + 1) / 4000
    stamps[700:] += 3 / 4000  # a gap
    text = "\n".join(f"{t:.6g} {v:.4f}" for t, v in zip(stamps, np.sin(stamps * 300),
                                                           strict=True))
    (root / "timevalue.txt").write_text(text.replace("\n", "\r\n", 400))
    adc = np.random.default_rng(1).integers(1900, 2200, 999)
    (root / "biosppy.txt").write_text(
        "# Simple Text Format\n# Sampling Rate (Hz):= 1000.00\n# Resolution:= 12\n"
        "# Labels:= EMG\n" + "\n".join(f"{a}.0" for a in adc) + "\n"
    )
    out["timevalue.txt"] = root / "timevalue.txt"
    out["biosppy.txt"] = root / "biosppy.txt"
    return {name: (path, read(path).samples) for name, path in out.items()}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(FORMATS), size=st.one_of(st.integers(1, 40), st.integers(41, 2000)))
def test_chunked_equals_whole(files, name: str, size: int) -> None:
    path, whole = files[name]
    with open_reader(path) as reader:
        blocks = list(reader.chunks(size))
    assert all(b.shape == (size, whole.shape[1]) for b in blocks[:-1])
    assert 1 <= blocks[-1].shape[0] <= size
    assert all(b.dtype == np.float64 for b in blocks)
    assert np.array_equal(np.concatenate(blocks), whole)


@pytest.mark.parametrize("size", [1, 4097])
def test_chunked_equals_whole_on_corrupted_physionet_file(size: int) -> None:
    path = SHARED_DATA / "physionet_emgdb_emg_myopathy.txt"
    if not path.exists():
        pytest.skip("../shared/data is not present")
    with pytest.warns(Warning):
        whole = read(path).samples
    with pytest.warns(Warning), open_reader(path) as reader:
        chunks = reader.chunks(size)
        first = next(chunks)
        rest = list(chunks)
    assert np.array_equal(np.concatenate([first, *rest]), whole)
