"""Physiology measured from the generator's own spike trains and signals
(docs/labels.md#the-five-labels)."""

from __future__ import annotations

import numpy as np

from emgspasm.simulate import MIN_TWITCH_PEAK_SNR, simulate
from emgspasm.simulate.motor_units import draw_pool
from emgspasm.simulate.muap import draw_bank
from emgspasm.simulate.spike_trains import renewal_trains

from ._sim_helpers import cached, event_records, highpass, isi_stats


def _hold_windows(ev_record):
    """(start, end, level) of each hold phase ≥ 2 s of a voluntary event."""
    for c in ev_record["contractions"]:
        if c["hold_s"] >= 2.0:
            t0 = ev_record["start_s"] + c["onset_s"] + c["ramp_up_s"]
            yield t0, t0 + c["hold_s"], c["level_mvc"]


def test_voluntary_isi_cv_and_rates(sims_by_scenario):
    cvs, rates = [], []
    for sim in sims_by_scenario["voluntary"]:
        records = event_records(sim)
        for r in sim.spikes:
            if r.role != "agonist":
                continue
            thresholds = np.array(sim.params["pools"][r.channel]["units"]["threshold_mvc"])
            for t0, t1, level in _hold_windows(records[r.event]):
                # units clearly above threshold (near-threshold ones fire intermittently)
                firm = thresholds[r.units] < 0.85 * level
                keep = (r.times >= t0) & (r.times <= t1) & firm
                cv, rate = isi_stats(r.times[keep], r.units[keep])
                cvs += list(cv)
                rates += list(rate)
    cvs, rates = np.array(cvs), np.array(rates)
    assert cvs.size > 100
    assert 0.1 <= np.median(cvs) <= 0.2, np.median(cvs)
    assert np.percentile(cvs, 90) < 0.28
    assert rates.min() > 6.0 and rates.max() < 42.0  # 8 Hz at recruitment .. ≤ 35–40 Hz peak


def test_cramp_irregular_firing_rates_and_doublets(sims_by_scenario):
    medians, all_rates, n_doublets, n_spikes = [], [], 0, 0
    for sim in sims_by_scenario["cramp"]:
        for r in sim.spikes:
            if r.role != "cramp":
                continue
            cv, rate = isi_stats(r.times, r.units, min_isis=10)
            medians.append(np.median(cv))
            all_rates += list(rate)
            for u in np.unique(r.units):
                isi = np.diff(r.times[r.units == u])
                n_doublets += int(np.sum((isi >= 0.005) & (isi <= 0.0101)))
                n_spikes += isi.size + 1
    medians = np.array(medians)
    assert medians.size >= 3
    assert np.all(np.abs(medians - 0.45) <= 0.15 + 0.05), medians
    assert 0.30 <= np.median(medians) <= 0.60
    assert 10.0 <= np.mean(all_rates) <= 19.0  # literature mean 14.5 pps
    assert np.percentile(all_rates, 95) <= 25.5
    assert 0.01 < n_doublets / n_spikes < 0.08  # literature ~4 %


def test_rigidity_steady_low_rate(sims_by_scenario):
    cvs, rates = [], []
    for sim in sims_by_scenario["rigidity"]:
        for r in sim.spikes:
            assert r.role == "rigidity"
            cv, rate = isi_stats(r.times, r.units)
            cvs += list(cv)
            rates += list(rate)
            assert 2 <= np.unique(r.units).size <= 6
    cvs, rates = np.array(cvs), np.array(rates)
    assert np.all(cvs < 0.12), cvs.max()
    assert np.all((rates > 4.8) & (rates < 7.2)), (rates.min(), rates.max())


def test_cramp_is_localised_partner_quiet(sims_by_scenario):
    for sim in sims_by_scenario["cramp"]:
        x = highpass(sim.recording.samples, sim.recording.fs)
        fs = sim.recording.fs
        for ev in sim.truth:
            ch = sim.recording.channels.index(ev.channels[0])
            partner = ch ^ 1
            # no discharges at all on the partner during the cramp
            assert not any(
                r.channel == partner and r.event == ev.extra["sim_event"] for r in sim.spikes
            )
            seg = slice(int(ev.start_s * fs), int(ev.end_s * fs))
            ratio = x[seg, partner].std() / x[seg, ch].std()
            assert ratio < 0.3, ratio


def test_voluntary_amplitude_matches_calibration(sims_by_scenario):
    ratios = []
    for sim in sims_by_scenario["voluntary"]:
        fs = sim.recording.fs
        x = highpass(sim.recording.samples, fs)
        noise = np.array(sim.params["noise_uv"]) * sim.params["gain"]
        records = event_records(sim)
        for ev in sim.truth:
            rec = records[ev.extra["sim_event"]]
            c = rec["contractions"][ev.extra["repetition"]]
            if c["hold_s"] < 1.0:
                continue
            ch = sim.recording.channels.index(ev.channels[0])
            t0 = rec["start_s"] + c["onset_s"] + c["ramp_up_s"]
            seg = x[int(t0 * fs) : int((t0 + c["hold_s"]) * fs), ch]
            ratios.append(seg.std() / np.hypot(ev.extra["expected_rms_uv"], noise[ch]))
    assert len(ratios) >= 5
    assert 0.75 < np.median(ratios) < 1.25, ratios


def test_mvc_and_noise_ranges():
    for seed in range(6):
        sim = cached("rest", seed, 20.0, 1000.0, 2)
        p = sim.params
        for pool in p["pools"]:
            if p["noise_regime"] in ("clean", "snr"):
                assert 500 <= pool["mvc_rms_uv"] <= 3000
        if p["noise_regime"] == "clean":
            assert all(0.7 <= n <= 10.0 for n in p["noise_uv"])
        else:
            assert all(4.9 <= s <= 40.1 for s in p["snr_db_per_channel"])
        assert 0.3 <= p["gain"] <= 3.0
        x = highpass(sim.recording.samples, sim.recording.fs)
        expected = np.array(p["noise_uv"]) * p["gain"]
        measured = x.std(axis=0)
        # background = noise (+ a small hum, + coloured part partly below 20 Hz)
        assert np.all(measured > 0.6 * expected) and np.all(measured < 1.6 * expected)


def test_twitch_peaks_detectable_and_in_range(sims_by_scenario):
    for sim in sims_by_scenario["twitch"]:
        noise = np.array(sim.params["noise_uv"]) * sim.params["gain"]
        for ev in sim.truth:
            ch = sim.recording.channels.index(ev.channels[0])
            assert ev.extra["peak_uv"] >= MIN_TWITCH_PEAK_SNR * noise[ch] * (1 - 1e-9)
            floor = MIN_TWITCH_PEAK_SNR * noise[ch]
            assert ev.extra["peak_uv"] <= max(400 * 1.3 * sim.params["gain"], floor * 1.01)


def test_twitch_shapes_repeat():
    sim = simulate(60.0, fs=2000.0, n_channels=1, seed=4, scenario="twitch", snr_db=40.0)
    units = {e.extra["unit"] for e in sim.truth}
    assert 1 <= len(units) <= 3
    assert len(sim.truth) > len(units)  # the same fasciculating units recur


def test_muap_durations_and_pool_structure():
    rng = np.random.default_rng(0)
    bank = draw_bank(rng, 500)
    d = bank.duration_s * 1e3
    assert d.min() >= 10.0 - 1e-6 and d.max() <= 20.0 + 1e-6
    pool = draw_pool(np.random.default_rng(1), 1000.0)
    th = pool.thresholds
    assert np.all(np.diff(th) > 0)
    assert 25 <= th[-1] / th[0] <= 40
    spread = pool.amplitudes.max() / pool.amplitudes.min()
    assert 30 <= spread <= 200
    assert abs(float(pool.expected_rms(1.0)[0]) - 1000.0) < 1e-6
    rates = pool.voluntary_rates(np.array([th[0], 1.0]))
    assert rates[0, 0] == pool.min_rate and 7 <= pool.min_rate <= 9
    assert rates[0, 1] == pool.peak_rates[0] and 30 <= rates[0, 1] <= 40
    assert abs(rates[-1, 1] - pool.peak_rates[-1]) < 1e-9 and 22 <= rates[-1, 1] <= 28


def test_renewal_train_statistics():
    rng = np.random.default_rng(3)
    rates = np.full((50, 10_000), 20.0)  # 20 s at 20 Hz
    times, units = renewal_trains(rng, 0.0, rates, 0.15)
    cv, r = isi_stats(times, units)
    assert abs(np.median(cv) - 0.15) < 0.02
    assert abs(np.median(r) - 20.0) < 0.5
    assert times.min() >= 0.0 and times.max() < 20.0


def test_voluntary_median_frequency(sims_by_scenario):
    """docs/signal.md: median frequency at ~50 % MVC ~85–120 Hz (wide tolerance across random
    pools)."""
    from scipy import signal

    mdfs = []
    for sim in sims_by_scenario["voluntary"]:
        fs = sim.recording.fs
        x = highpass(sim.recording.samples, fs)
        records = event_records(sim)
        for ev in sim.truth:
            rec = records[ev.extra["sim_event"]]
            c = rec["contractions"][ev.extra["repetition"]]
            if c["hold_s"] < 1.0 or c["level_mvc"] < 0.3:
                continue
            t0 = rec["start_s"] + c["onset_s"] + c["ramp_up_s"]
            seg = x[
                int(t0 * fs) : int((t0 + c["hold_s"]) * fs),
                sim.recording.channels.index(ev.channels[0]),
            ]
            f, pxx = signal.welch(seg, fs=fs, nperseg=512)
            cum = np.cumsum(pxx)
            mdfs.append(f[np.searchsorted(cum, cum[-1] / 2)])
    assert len(mdfs) >= 3
    assert 70 <= np.median(mdfs) <= 130, mdfs


def test_voluntary_coactivation_small(sims_by_scenario):
    for sim in sims_by_scenario["voluntary"]:
        records = event_records(sim)
        for r in sim.spikes:
            if r.role != "antagonist":
                continue
            rec = records[r.event]
            assert sim.recording.channels[r.channel] == rec["antagonist"]
            assert rec["coactivation"] <= 0.15
            thresholds = np.array(sim.params["pools"][r.channel]["units"]["threshold_mvc"])
            peak = max(c["level_mvc"] for c in rec["contractions"])
            # only units recruitable by ≤ 15 % of the agonist's (fluctuating) excitation
            assert thresholds[r.units].max() <= rec["coactivation"] * peak * 1.3


def test_cramp_precursor_below_truth_onset():
    found = 0
    for seed in range(12):
        sim = cached("cramp", seed, 60.0, 500.0, 2)
        for ev in sim.truth:
            pre = [
                r for r in sim.spikes if r.event == ev.extra["sim_event"] and r.role == "precursor"
            ]
            for r in pre:
                if r.times.size == 0:
                    continue
                found += 1
                assert r.times.max() < ev.start_s
                assert r.units.max() < 4  # only the 1–4 lowest-threshold units
    assert found >= 1


def test_rigidity_spikes_stand_out_of_noise(sims_by_scenario):
    for sim in sims_by_scenario["rigidity"]:
        noise = np.array(sim.params["noise_uv"])
        for rec in sim.params["events"]:
            for name, c in rec["channels"].items():
                ch = sim.recording.channels.index(name)
                assert min(c["peak_uv"]) >= 5.0 * noise[ch] * (1 - 1e-6)
                assert 2 <= len(c["units"]) <= 6
                assert all(5.0 <= r <= 7.0 for r in c["rates_hz"])


def test_muap_placement_matches_continuous_shape():
    """The tabulated placement equals the continuous shape sampled at fs (≲ 1 % of the peak)."""
    from emgspasm.simulate.muap import place_muaps

    rng = np.random.default_rng(5)
    bank = draw_bank(rng, 20)
    for fs in (200.0, 1000.0, 4000.0):
        n = int(2 * fs)
        times = rng.uniform(0.05, 1.95, 30)
        units = rng.integers(0, 20, 30)
        out = np.zeros(n)
        place_muaps(out, fs, times, units, np.ones(30), bank)
        t = np.arange(n) / fs
        exact = sum(
            bank.evaluate((t - tk)[None, :], np.array([u]))[0]
            for tk, u in zip(times, units, strict=True)
        )
        assert np.abs(out - exact).max() < 0.01
