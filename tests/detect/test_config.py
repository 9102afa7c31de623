import pytest

from emgspasm.detect.config import DetectorConfig, DetectorGeometry


@pytest.mark.parametrize("fs", [200.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0])
def test_geometry_is_derived_from_fs(fs):
    g = DetectorGeometry.from_config(DetectorConfig(), fs)
    assert g.hop >= 1 and g.hop_s <= 0.011
    # Hysteresis order and sane false-alarm multipliers at every rate.
    assert 1.0 < g.level_off < g.level_on < 4.0
    assert 1.0 < g.broad_off < g.broad_on < 10.0
    # The wide band's noise is concentrated in its lowest octaves: fewer independent values
    # per level window than the EMG band's, so wider margins.
    assert g.broad_on > g.level_on
    assert 4.0 < g.peak_on < 8.0
    # The episode gap stays below the 250 ms fasciculation isolation.
    assert g.episode_gap_hops * g.hop_s < 0.25


def test_low_rates_get_longer_level_windows():
    lo = DetectorGeometry.from_config(DetectorConfig(), 200.0)
    hi = DetectorGeometry.from_config(DetectorConfig(), 2000.0)
    assert lo.level_hops * lo.hop_s > hi.level_hops * hi.hop_s


def test_rates_too_low_for_emg_are_refused():
    with pytest.raises(ValueError):
        DetectorGeometry.from_config(DetectorConfig(), 50.0)
