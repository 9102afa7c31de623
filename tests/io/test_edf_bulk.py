"""Bulk reading of EDF/BDF data records gives exactly the samples pyedflib's readSignal does."""

from __future__ import annotations

import numpy as np
import pyedflib
import pytest

from emgspasm.io.edf_reader import EdfReader


def _write(path, file_type, signals, rates, dmin, dmax, pmin, pmax, dim="uV"):
    headers = [{"label": f"s{i}", "dimension": dim, "sample_frequency": rate,
                "physical_min": pmin, "physical_max": pmax, "digital_min": dmin,
                "digital_max": dmax, "transducer": "", "prefilter": ""}
               for i, rate in enumerate(rates)]
    with pyedflib.EdfWriter(str(path), len(signals), file_type=file_type) as w:
        w.setSignalHeaders(headers)
        w.writeSamples(signals, digital=True)


@pytest.mark.parametrize(("file_type", "dmin", "dmax", "ext"), [
    (pyedflib.FILETYPE_EDFPLUS, -32768, 32767, "edf"),
    (pyedflib.FILETYPE_BDFPLUS, -8388608, 8388607, "bdf"),
    (pyedflib.FILETYPE_EDF, -2048, 2047, "edf"),  # a narrow digital range
])
def test_bulk_reads_equal_read_signal(tmp_path, file_type, dmin, dmax, ext):
    rng = np.random.default_rng(3)
    n = 10 * 500
    emg = [rng.integers(dmin, dmax, n, endpoint=True).astype(np.int32) for _ in range(3)]
    emg[0][:50] = dmin
    emg[0][50:100] = dmax
    slow = rng.integers(dmin, dmax, 10 * 50).astype(np.int32)  # an accelerometer, skipped
    path = tmp_path / f"x.{ext}"
    _write(path, file_type, [emg[0], slow, emg[1], emg[2]], [500, 50, 500, 500],
           dmin, dmax, -1234.5, 5678.25, dim="mV")
    with pytest.warns(Warning):
        reader = EdfReader(path)
    assert reader._bulk is not None
    for start, count in [(0, n), (1, 499), (499, 2), (1234, 3000), (n - 7, 7)]:
        expected = np.stack([reader._edf.readSignal(s, start, count)
                             for s in reader._signals], axis=1) * reader._scales
        assert np.array_equal(reader.read_span(start, start + count), expected)
    reader.close()


@pytest.mark.parametrize(("file_type", "dmin", "dmax", "ext"), [
    (pyedflib.FILETYPE_EDFPLUS, -32768, 32767, "edf"),
    (pyedflib.FILETYPE_BDFPLUS, -8388608, 8388607, "bdf"),
    (pyedflib.FILETYPE_EDF, -2048, 2047, "edf"),  # stored values may lie outside this range
])
def test_stored_values_and_filler_scan_equal_read_signal(tmp_path, file_type, dmin, dmax, ext):
    """The filler scan of a file that lost its annotations reads stored digital values in
    bulk: the same values as readSignal(digital=True), so the same runs are found."""
    rng = np.random.default_rng(4)
    n = 20 * 256
    emg = [rng.integers(dmin, dmax, n, endpoint=True).astype(np.int32) for _ in range(2)]
    for lo, hi in ((0, 40), (1000, 1300), (n - 9, n)):  # filler runs on every channel
        for e in emg:
            e[lo:hi] = dmin
    emg[1][2000:2100] = dmin  # one channel at its rail: not filler
    path = tmp_path / f"x.{ext}"
    _write(path, file_type, emg, [256, 256], dmin, dmax, -100.0, 100.0)
    if file_type == pyedflib.FILETYPE_EDF:  # poke values beyond the digital range
        raw = bytearray(path.read_bytes())
        header = 256 * 3
        raw[header:header + 4] = np.array([dmin - 5, dmax + 9], dtype="<i2").tobytes()  # ch 1
        path.write_bytes(raw)
    reader = EdfReader(path)  # not ours: searched for filler only when asked, below
    assert reader._bulk is not None
    expected = [reader._edf.readSignal(s, 0, n, digital=True) for s in reader._signals]
    for got, want in zip(reader._bulk.stored(0, n), expected, strict=True):
        assert np.array_equal(got, want)
    for got, want in zip(reader._bulk.stored(300, 700), expected, strict=True):
        assert np.array_equal(got, want[300:1000])
    with pytest.warns(Warning, match="3 run"):
        bulk_runs = reader._scan_filler(n)
    reader._bulk, bulk = None, reader._bulk
    with pytest.warns(Warning, match="3 run"):
        assert reader._scan_filler(n) == bulk_runs
    assert bulk_runs[1:] == [(1000, 300), (n - 9, 9)]
    assert bulk_runs[0] == ((2, 38) if file_type == pyedflib.FILETYPE_EDF else (0, 40))
    reader._bulk = bulk
    reader.close()
