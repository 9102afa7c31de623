"""The real-recording loader and its held-out split (emgspasm.realdata).

The split is pure logic and always tested; loading runs on the real Myo archives beside this
checkout and skips when they are absent (they are never copied into the project).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emgspasm import realdata

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="module")
def directory() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not beside this checkout")
    return REALDATA


def test_session_id_groups_takes_and_keeps_other_stems() -> None:
    assert realdata.session_id("x/myo_francic_right_10000-2.npz") == "right_10000"
    assert realdata.session_id("myo_libemg_onesubject_stream.npz") == "myo_libemg_onesubject_stream"


def test_split_is_about_a_third_and_unknown_ids_are_held_out() -> None:
    ids = realdata.TRAINING_IDS | realdata.KNOWN_HELD_OUT_IDS
    assert not realdata.TRAINING_IDS & realdata.KNOWN_HELD_OUT_IDS
    assert 0.25 <= len(realdata.TRAINING_IDS) / len(ids) <= 0.4
    assert not realdata.is_held_out("myo_francic_left_44444-3.npz")
    assert realdata.is_held_out("myo_francic_right_10000-1.npz")
    assert realdata.is_held_out("myo_francic_left_99999-1.npz")  # never seen: held out
    assert realdata.is_held_out("myo_libemg_onesubject_stream.npz")


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        realdata.recordings(tmp_path / "absent")


def test_every_real_id_is_on_one_side_and_both_sides_have_gestures(directory: Path) -> None:
    every = realdata.recordings(directory, held_out=None)
    held = realdata.recordings(directory)
    training = realdata.recordings(directory, held_out=False)
    assert sorted(held + training) == every and not set(held) & set(training)
    francic = {realdata.session_id(p) for p in every if p.name.startswith("myo_francic_")}
    assert francic == realdata.TRAINING_IDS | realdata.KNOWN_HELD_OUT_IDS
    for side in (held, training):
        assert any(m.gesture > 0 for p in side for m in realdata.load(p))


def test_load_gives_minutes_at_200_hz_on_eight_sectors(directory: Path) -> None:
    path = next(p for p in realdata.recordings(directory) if "right_10000" in p.name)
    minutes = realdata.load(path)
    assert [m.gesture for m in minutes] == list(range(8))
    for m in minutes:
        rec = m.recording
        assert rec.fs == 200.0 and rec.channels == list(realdata.CHANNELS)
        assert 55 < rec.duration_s < 65 and rec.samples.dtype == np.float64
        assert np.all(np.abs(rec.samples) <= 128) and m.cue.shape == (rec.n_samples,)
        assert set(np.unique(m.cue)) <= {0, m.gesture}
    assert minutes[3].name == f"{path.stem}/g3"


def test_load_stream(directory: Path) -> None:
    (minute,) = realdata.load(directory / "myo_libemg_onesubject_stream.npz")
    assert minute.gesture == realdata.STREAM and minute.cue is None
    assert minute.recording.samples.shape == (4900, 8)


def test_load_rejects_an_archive_without_emg(tmp_path: Path) -> None:
    np.savez(tmp_path / "myo_x.npz", other=np.zeros(3))
    with pytest.raises(ValueError, match="myo_x"):
        realdata.load(tmp_path / "myo_x.npz")
    np.savez(tmp_path / "myo_y.npz", emg=np.zeros((10, 3), np.int8))
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        realdata.load(tmp_path / "myo_y.npz")
