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
