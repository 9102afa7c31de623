"""Real recordings from ../shared/data (skipped when absent): false alarms and robust reading.

None of them holds a cramp, a fasciculation train or rigidity as far as is known, so a cramp or
rigidity label there is a false alarm; the BioSPPy bursts are voluntary contractions.
"""

from __future__ import annotations

import warnings

import pytest

from emgspasm.analyze import analyze

BIOSPPY_1_BURSTS_S = [(1.5, 1.8), (15.5, 17.0), (25.6, 26.9), (36.0, 41.0)]
"""Voluntary bursts of biosppy_emg_1.txt (the BioSPPy project's examples/emg_1.txt), as the
catalogue the recordings came with describes them; the file itself carries no annotations."""


@pytest.fixture(scope="module")
def biosppy_events():
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return {name: analyze(SHARED_DATA / name) for name in ("biosppy_emg.txt", "biosppy_emg_1.txt")}


def test_no_cramp_or_rigidity_on_real_rest_and_voluntary_recordings(biosppy_events):
    for name, events in biosppy_events.items():
        wrong = [e.to_dict() for e in events if e.label in ("cramp", "rigidity")]
        assert not wrong, f"{name}: false alarms {wrong}"


def test_real_voluntary_bursts_come_out_as_voluntary(biosppy_events):
    events = biosppy_events["biosppy_emg_1.txt"]
    for start, end in BIOSPPY_1_BURSTS_S:
        over = [e for e in events if e.start_s < end and e.end_s > start]
        assert over, f"burst {start}-{end} s not detected"
        assert all(e.label == "voluntary" for e in over), [e.to_dict() for e in over]


def test_weak_low_snr_contraction_is_found_as_voluntary(biosppy_events):
    events = biosppy_events["biosppy_emg.txt"]
    inside = [e for e in events if e.start_s < 58.0 and e.end_s > 35.0]
    assert sum(e.duration_s for e in inside if e.label == "voluntary") > 10.0


@pytest.mark.parametrize("name", ["physionet_emgdb_emg_myopathy.txt",
                                  "physionet_emgdb_emg_neuropathy.txt"])
def test_corrupted_physionet_lines_are_reported_and_the_file_still_analyses(shared_data, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = analyze(shared_data / name)
    messages = " ".join(str(w.message) for w in caught)
    assert "line" in messages, "recovered lines must be reported, not silently fixed"
    assert all(0 <= e.start_s < e.end_s for e in events)
