"""FrontEnd: chunk invariance of hop envelopes and window features, independence from the
caller's buffer, and agreement with the same features computed offline on the whole signal.

The configuration has feature windows three times longer than their step, so up to three
windows straddle every block boundary and are built from the carried tail; with
`CACHE_BATCH_SAMPLES = 1` every window is its own feature batch, so straddling windows also
fall on batch boundaries.
"""

import numpy as np
import pytest

from emgspasm.detect import front_end
from emgspasm.detect.config import DetectorConfig, DetectorGeometry
from emgspasm.detect.front_end import SPECTRAL_FEATURES, FrontEnd
from emgspasm.dsp.features import cross_channel_features, window_features
from emgspasm.dsp.quality import quality_features

FS = 1000.0
N_CH = 3
CFG = DetectorConfig(feature_window_s=0.6, feature_hop_s=0.2)
GEO = DetectorGeometry.from_config(CFG, FS)
N_HOPS = 300  # 3 s: 15 windows


@pytest.fixture(autouse=True)
def one_window_per_batch(monkeypatch):
    monkeypatch.setattr(front_end, "CACHE_BATCH_SAMPLES", 1)


def test_geometry_makes_windows_straddle_blocks():
    # The premise of the tests below: windows overlap, each spans several hops.
    assert GEO.feature_window == 3 * GEO.feature_hops * GEO.hop
    assert GEO.hop == 10 and GEO.feature_hops == 20


def _signal(seed=0):
    """Noise, a burst, a rail (clipped) stretch and a flat (lead-off) stretch, so every
    window feature -- the raw-signal ones included -- has something to measure."""
    rng = np.random.default_rng(seed)
    n = N_HOPS * GEO.hop
    x = rng.normal(0.0, 5.0, size=(n, N_CH))
    x[800:1900, 0] *= 1.0 + 8.0 * np.abs(np.sin(np.arange(1100) / 150.0))
    x[:, 1] += 30.0 * np.sin(2 * np.pi * 50.0 * np.arange(n) / FS)  # mains
    x[1150:1700, 1] = np.clip(x[1150:1700, 1], -20.0, 20.0)
    x[580:1420, 2] = 3.0  # flat across several window and block boundaries
    return x


def _run(x, sizes, spoil=None):
    """Feed x in blocks of `sizes` hops; concatenate the outputs. `spoil(block)` is called on
    each block after `process` returns, as a caller reusing its buffer would."""
    fe = FrontEnd(FS, N_CH, GEO, CFG)
    hops, feats = [], []
    at = 0
    for n in sizes:
        block = x[at:at + n * GEO.hop].copy()
        at += n * GEO.hop
        hf, ff = fe.process(block)
        if spoil is not None:
            spoil(block)
        hops.append(hf)
        feats.append(ff)
    assert at == x.shape[0]
    hop_out = {k: np.concatenate([getattr(h, k) for h in hops])
               for k in ("peak", "level", "broad_level")}
    index = np.concatenate([f.hop_index for f in feats])
    with_windows = [f.values for f in feats if f.hop_index.size]  # an empty frame has none
    values = {k: np.concatenate([v[k] for v in with_windows]) for k in with_windows[0]}
    return hop_out, index, values


def _assert_identical(a, b):
    hop_a, index_a, values_a = a
    hop_b, index_b, values_b = b
    for k in hop_a:
        np.testing.assert_array_equal(hop_a[k], hop_b[k], err_msg=k)
    np.testing.assert_array_equal(index_a, index_b)
    assert values_a.keys() == values_b.keys()
    for k in values_a:
        np.testing.assert_array_equal(values_a[k], values_b[k], err_msg=k)


SPLITS = {
    "one hop at a time": [1] * N_HOPS,
    "shorter than a window, empty blocks": [0, 7, 0, 13, 1, 29, 0, 3, 41, 2, 0, 59, 11, 34, 3, 5,
                                            17, 23, 19, 0, 33],
    "exact window steps": [20] * 15,
    "exact windows": [60] * 5,
    "window and a hop": [61, 61, 61, 61, 56],
    "long and short": [137, 1, 1, 60, 1, 100],
}


@pytest.fixture(scope="module")
def x():
    return _signal()


@pytest.fixture(scope="module")
def whole(x):
    # Monkeypatching is function-scoped: set the batch size here too.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(front_end, "CACHE_BATCH_SAMPLES", 1)
        return _run(x, [N_HOPS])


@pytest.mark.parametrize("name", SPLITS)
def test_any_split_into_whole_hops_gives_identical_output(x, whole, name):
    sizes = SPLITS[name]
    assert sum(sizes) == N_HOPS
    _assert_identical(_run(x, sizes), whole)


def test_random_splits_give_identical_output(x, whole):
    rng = np.random.default_rng(3)
    for _ in range(5):  # cuts may repeat or fall at either end: empty blocks
        cuts = np.sort(rng.integers(0, N_HOPS + 1, size=12))
        _assert_identical(_run(x, np.diff(np.concatenate([[0], cuts, [N_HOPS]]))), whole)


@pytest.mark.parametrize("fill", ["nan", "random"])
def test_outputs_do_not_depend_on_the_callers_buffer_after_process(x, whole, fill):
    # The caller owns the block and may reuse it once process() returns: the tail carried
    # for straddling windows must be a copy. Blocks of a window or longer are the ones whose
    # tail is a slice of the block itself.
    rng = np.random.default_rng(5)

    def spoil(block):
        block[:] = np.nan if fill == "nan" else rng.normal(0.0, 50.0, size=block.shape)

    _assert_identical(_run(x, [60, 61, 99, 20, 60], spoil=spoil), whole)


def test_matches_features_of_the_whole_signal_computed_offline(x, whole):
    """Reference: filter the whole signal at once (the same filter sections and a fresh hum
    canceller, fresh state: band-pass, canceller, then notches), cut every window out of it
    (zeros before the first sample, as the stream starts from silence) and compute the
    features of all windows in one call."""
    ref = FrontEnd(FS, N_CH, GEO, CFG)
    band = ref._mains.process(ref._band.process(x))
    emg = ref._notch.process(band)
    broad = ref._broad.process(x)
    hop, width = GEO.hop, GEO.feature_window

    # Hop envelopes: peak |band| per hop, trailing RMS over `level_hops` hops (zeros before).
    per_hop = band.reshape(N_HOPS, hop, N_CH)
    k = GEO.level_hops

    def trailing_rms(s):
        ms = np.concatenate([np.zeros((k - 1, N_CH)), (s.reshape(N_HOPS, hop, N_CH) ** 2)
                             .mean(axis=1)])
        return np.sqrt(np.stack([ms[i:i + k].mean(axis=0) for i in range(N_HOPS)]))

    hop_out, index, values = whole
    np.testing.assert_array_equal(hop_out["peak"], np.abs(per_hop).max(axis=1))
    np.testing.assert_allclose(hop_out["level"], trailing_rms(band), rtol=1e-12)
    np.testing.assert_allclose(hop_out["broad_level"], trailing_rms(broad), rtol=1e-12)

    # Windows end at every `feature_hops`-th hop (hop_index is the 0-based hop they end in).
    ends = np.arange(GEO.feature_hops, N_HOPS + 1, GEO.feature_hops) * hop
    np.testing.assert_array_equal(index, ends // hop - 1)

    def windows(s):
        padded = np.concatenate([np.zeros((width, N_CH)), s])
        return np.stack([padded[e:e + width] for e in ends])  # padded[e + width] is x[e]

    w_emg, w_broad, w_raw = windows(emg), windows(broad), windows(x)
    expected = dict(window_features(w_emg, fs=FS, names=SPECTRAL_FEATURES))
    expected.update(quality_features(w_raw, fs=FS, names=("flat_fraction", "clip_fraction")))
    q = quality_features(w_broad, fs=FS, names=("lf_fraction", "mains_fraction"))
    expected["broad_lf_fraction"] = q["lf_fraction"]
    expected["broad_mains_fraction"] = q["mains_fraction"]
    expected["common_mode"] = cross_channel_features(w_broad, pairs=[],
                                                     names=("common_mode",))["common_mode"]
    assert set(values) == set(expected)
    for name in expected:
        np.testing.assert_allclose(values[name], expected[name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    # The signal exercises the raw-signal features (not all zeros).
    assert values["flat_fraction"].max() > 0.5 and values["clip_fraction"].max() > 0.01


def test_the_first_full_window_is_the_first_feature_window_samples(x, whole):
    # Explicit: the window ending at sample `feature_window` is x[:feature_window] filtered.
    _, index, values = whole
    i = int(np.flatnonzero(index == GEO.feature_window // GEO.hop - 1)[0])
    w_raw = x[None, :GEO.feature_window]
    flat = quality_features(w_raw, fs=FS, names=("flat_fraction",))["flat_fraction"]
    np.testing.assert_array_equal(values["flat_fraction"][i], flat[0])
    fresh = FrontEnd(FS, N_CH, GEO, CFG)
    sig = fresh._notch.process(fresh._mains.process(fresh._band.process(x[:GEO.feature_window])))
    spectral = window_features(sig[None], fs=FS, names=("median_freq",))["median_freq"]
    np.testing.assert_allclose(values["median_freq"][i], spectral[0], rtol=1e-12)


def test_activity_path_sees_hum_cancelled_without_a_tail_after_a_spike():
    # Hum 5x the noise on every channel: the activity path's level falls to the noise once
    # the canceller has converged, and a large isolated spike leaves no tail in `peak`.
    rng = np.random.default_rng(7)
    n = 800 * GEO.hop  # 8 s
    t = np.arange(n) / FS
    noise = rng.normal(0.0, 1.0, size=(n, N_CH))
    hum = 5.0 * np.sqrt(2.0) * (np.sin(2 * np.pi * 60.04 * t) + 0.3 * np.sin(
        2 * np.pi * 180.12 * t + 1.0))[:, None]
    at = 600 * GEO.hop
    spike = np.zeros((n, N_CH))
    spike[at:at + 10, 0] = 60.0 * np.hanning(10) * np.sign(np.arange(10) - 4.5)
    quiet, _ = FrontEnd(FS, N_CH, GEO, CFG).process(noise)
    hummed, _ = FrontEnd(FS, N_CH, GEO, CFG).process(noise + hum)
    spiked, _ = FrontEnd(FS, N_CH, GEO, CFG).process(noise + hum + spike)
    late = slice(400, 800)
    assert np.median(hummed.level[late]) < 1.05 * np.median(quiet.level[late])
    # 50-300 ms after the spike: peaks as without it (the band-pass's own tail is < 50 ms).
    after = slice(600 + 5, 600 + 30)
    np.testing.assert_allclose(spiked.peak[after, 0], hummed.peak[after, 0], atol=0.5)


def test_after_restart_it_is_as_if_the_recording_began_there():
    # A gap: what follows must not be filtered, averaged or windowed together with what came
    # before. With the restart on a window boundary, the grids coincide and everything after
    # it equals a fresh front end's output on the same samples.
    x = _signal(3)
    cut = 2 * GEO.feature_window  # 1.2 s, a whole number of windows
    fe = FrontEnd(FS, N_CH, GEO, CFG)
    fe.process(x[:cut])
    fe.restart()
    after_hops, after_feats = fe.process(x[cut:])
    fresh_hops, fresh_feats = FrontEnd(FS, N_CH, GEO, CFG).process(x[cut:])
    for name in ("peak", "level", "broad_level"):
        np.testing.assert_array_equal(getattr(after_hops, name), getattr(fresh_hops, name))
    np.testing.assert_array_equal(after_feats.hop_index - cut // GEO.hop, fresh_feats.hop_index)
    for k, v in fresh_feats.values.items():
        np.testing.assert_array_equal(after_feats.values[k], v, err_msg=k)


def _ecg_signal(seconds: float = 12.0) -> np.ndarray:
    """Noise on every channel, continuous ECG (R peak 15x the noise, 70 bpm) on channel 0."""
    from emgspasm.simulate import artifacts

    rng = np.random.default_rng(11)
    n = int(seconds * FS)
    tpl = artifacts.ecg_template(rng)
    beats = np.cumsum(0.857 * (1 + 0.04 * rng.standard_normal(int(seconds) + 3))) - 0.3
    x = rng.normal(0.0, 1.0, size=(n, N_CH))
    x[:, 0] += 15.0 * artifacts.ecg(np.arange(n) / FS, beats, tpl)
    return x


def test_ecg_is_taken_out_of_the_activity_path_only_where_locked():
    # Beats raise the band level and the wide-band level of channel 0 without the canceller;
    # with it (default) they are gone after the lock; the other channels are bit-identical,
    # and the feature path is untouched on every channel.
    x = _ecg_signal()
    on_h, on_f = FrontEnd(FS, N_CH, GEO, CFG).process(x)
    off_cfg = DetectorConfig(feature_window_s=0.6, feature_hop_s=0.2, ecg_cancel=False)
    off_h, off_f = FrontEnd(FS, N_CH, GEO, off_cfg).process(x)
    for name in ("peak", "level", "broad_level"):
        np.testing.assert_array_equal(getattr(on_h, name)[:, 1:], getattr(off_h, name)[:, 1:])
    for k, v in off_f.values.items():
        np.testing.assert_array_equal(on_f.values[k], v, err_msg=k)
    late = slice(600, None)
    noise = np.median(off_h.level[late, 1])
    assert np.percentile(off_h.level[late, 0], 99) > 2.0 * noise
    assert np.percentile(on_h.level[late, 0], 99) < 1.5 * noise
    noise_b = np.median(off_h.broad_level[late, 1])
    assert np.percentile(off_h.broad_level[late, 0], 90) > 2.0 * noise_b
    assert np.percentile(on_h.broad_level[late, 0], 90) < 1.3 * noise_b


@pytest.mark.parametrize("sizes", [[1], [7, 1, 33], [250]])
def test_ecg_removal_is_chunk_invariant_and_restarts(sizes):
    x = _ecg_signal(8.0)
    ref, _ = FrontEnd(FS, N_CH, GEO, CFG).process(x)
    fe = FrontEnd(FS, N_CH, GEO, CFG)
    out, at, k = [], 0, 0
    while at < x.shape[0]:
        step = sizes[k % len(sizes)] * GEO.hop
        out.append(fe.process(x[at:at + step])[0])
        at, k = at + step, k + 1
    for name in ("peak", "level", "broad_level"):
        np.testing.assert_array_equal(np.concatenate([getattr(h, name) for h in out]),
                                      getattr(ref, name), err_msg=name)
    fe.restart()  # a gap: the beat train must be found again, as in a fresh front end
    again, _ = fe.process(x)
    np.testing.assert_array_equal(again.level, ref.level)
