"""Every number the detector uses, named, with where it comes from.

Nothing here is in µV: amplitudes are multiples of the channel's own noise floor, and durations
are converted to samples from `fs` by `DetectorGeometry`. The defaults come from docs/labels.md
(event
durations, isolation of fasciculations) or from false-alarm arithmetic on Gaussian noise (the
thresholds); each is documented where it is defined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emgspasm.dsp.filters import pass_band

_Z_QUANTILE = {0.1: 1.2816, 0.2: 0.8416, 0.3: 0.5244, 0.5: 0.0}
"""Standard-normal quantiles for the supported `noise_quantile` values."""


@dataclass(frozen=True)
class DetectorConfig:
    """Tunable parameters of the activity detector and event assembly."""

    hop_s: float = 0.01
    """Envelope time step. 10 ms resolves a fasciculation (5–25 ms MUAP) to well within the
    ±25 ms scoring tolerance and keeps onset quantisation below the 15–30 ms anchor."""

    level_window_s: float = 0.05
    """Trailing RMS window for sustained activity: long enough to average a 20–35 Hz
    interference pattern, short enough for the 125 ms voluntary-onset budget."""

    min_level_dof: float = 16.0
    """The level window is stretched until it spans this many independent noise values."""

    band_hz: tuple[float, float] = (20.0, 450.0)
    """sEMG band [De Luca 2010; SENIAM]; the upper edge follows Nyquist at low rates."""

    feature_hop_s: float = 0.2
    feature_window_s: float = 0.2
    """Spectral window features (median frequency, band powers, kurtosis) on a coarser grid of
    abutting windows: 0.2 s gives 5 Hz spectral resolution, enough to see 50/60 Hz and the
    20 Hz edge; episode features average them, so a finer step buys little for its cost."""

    mains_max_harmonic: int = 3
    """Mains harmonics notched up to this multiple (150/180 Hz). Higher ones carry little power
    on surface electrodes, and every notch is one more filter section per sample."""

    mains_cancel_max_harmonic: int = 7
    """The activity path's hum canceller (`emgspasm.dsp.mains`) fits mains harmonics up to this
    multiple: surface hum carries odd harmonics of 10-50 % of the fundamental up to the 7th,
    and each costs two columns of a per-block fit, not a filter section per sample."""

    ecg_cancel: bool = True
    """Take tracked heartbeats (continuous ECG crosstalk) out of the activity envelopes
    (`emgspasm.dsp.ecg`): docs/labels.md counts continuous ECG as background, never an event, and a
    fasciculation between two beats is still a twitch. Channels without a locked beat train
    are untouched."""

    noise_update_s: float = 1.0
    """The noise floor is re-estimated once per this many seconds, on a fixed grid so that
    any chunking of the stream sees the same estimates."""

    noise_quantile: float = 0.2
    """Quantile of the short RMS taken as that second's noise level: the quiet part of a second
    that may hold a few spikes."""

    noise_memory_s: float = 180.0
    """Seconds of per-second estimates the floor is taken from. Longer than all but the
    longest cramps (typically 10 s – 3 min), short enough to follow a change of contact."""

    noise_history_quantile: float = 0.1
    """The floor is this percentile of the remembered per-second estimates: near the quietest,
    but not fooled by one unusually quiet second (partial lead-off)."""

    false_alarms_per_hour: float = 30.0
    """Target rate at which pure Gaussian noise may cross a threshold; sets the multipliers."""

    release_fraction: float = 0.5
    """Hysteresis: the off threshold sits this far from the noise floor towards the on threshold."""

    valley_fraction: float = 0.15
    """An episode is split where its level stays below this share of the level on both sides
    for at least `episode_gap_s` (emgspasm.detect.valleys): two contractions joined only by a
    busy neighbour's crosstalk (0.3-10 % of its amplitude) are two. Well below the ~40 % a
    cramp's waxing and waning dips to."""

    burst_gap_s: float = 0.04
    """Bursts closer than this are one burst: fuses a fasciculation doublet (30–35 ms)."""

    episode_gap_s: float = 0.22
    """Activity separated by less quiet than this is one episode. Below the 250 ms isolation
    that defines a fasciculation [Sleutjes 2016], above the 143–200 ms discharge interval of a
    unit firing steadily at 5–7 Hz (rigidity)."""

    bridge_gap_s: float = 0.5
    """A hole in the data (packets the device or link lost) shorter than this is bridged: open
    episodes go on through it, their envelopes held at the last value seen (the samples of the
    hole are a straight line, which the band-pass turns into silence, so a feature window
    across it carries a little less power); a longer hole ends every episode and restarts the
    filters. Half a
    second is the shortest span that can hide an event boundary of a sustained class (a
    cramp's or a voluntary contraction's own onset and offset take longer) and many times a
    lost BLE packet (5-20 ms): a link dropping packets does not split or relabel events. A
    twitch (< 60 ms) inside a hole is simply not seen. (`DetectorGeometry.bridge_gap`: samples.)"""

    max_episode_s: float = 600.0
    """An episode longer than this is closed and a new one opened (bounded memory, and a label
    every 10 min even for a continuous contraction)."""

    onset_refine_sigma: float = 4.5
    """Onset/offset are pulled to the first/last hop whose peak exceeds this many noise floors
    (a Gaussian sample exceeds 4.5 σ about once in 150 000, so a noise peak inside the short
    look-back window rarely drags the onset early)."""

    twitch_core_fraction: float = 0.5
    """A twitch's extent is the span of hops whose peak reaches this share of its largest."""

    flat_fraction: float = 0.1
    """A hop whose RMS is below this share of the noise floor is flat (lead-off)."""

    min_flat_s: float = 0.3
    """A flat run shorter than this is not reported as lead-off."""

    broadband_highpass_hz: float = 2.0
    broadband_order: int = 4
    """Wide-band path that sees motion (1–15 Hz), mains and ECG, which the EMG band-pass
    removes. A 4th-order 2 Hz high-pass keeps them while cutting normal baseline wander
    (< 1 Hz) by > 30 dB, so breathing and slow electrode drift do not open episodes."""

    broadband_noise_hz: float = 10.0
    """Bandwidth that sets how much the wide-band level fluctuates with nothing happening.
    The wide band is not white: its lowest octaves carry what is left of baseline drift after
    the high-pass (hundreds of microvolts of it on a DC-coupled board), pink electrode noise
    and slow, small motion, all far stronger per hertz than the noise above 20 Hz. Its RMS
    over a level window therefore holds about 2 x this x window independent values, not
    fs x window as white noise would, and its on/off thresholds are set from that count
    (about 6x the wide-band floor at 250 Hz, 8x at 1-4 kHz, where white-noise statistics gave
    1.3-1.9x). The artifacts this path is for are far above that (motion, pops, cable swing:
    tens of times the noise). Measured on the independent generator with the white-noise
    count, the wide-band path was active on more than half the quiet hops of DC-coupled
    channels: false artifacts on its cyton profile fell 433 -> 225/h, and voluntary, cramp
    and rigidity F1 rose on every profile (10 Hz and 20 Hz agree on lab sessions; 20 Hz left
    a third more false artifacts on cyton ones)."""

    warmup_s: float = 1.0
    """Nothing is detected before the first noise estimate exists."""

    voluntary_min_s: float = 0.2
    """An intended contraction lasts at least this [docs/labels.md: 0.2 s to minutes; the briefest
    ballistic efforts]; a shorter non-twitch blip is a fragment, not a voluntary event."""
    cramp_min_s: float = 3.0
    rigidity_min_s: float = 10.0
    """Minimum durations (docs/labels.md): a shorter episode cannot carry these labels."""

    rigidity_max_rhythm_hz: float = 9.0
    """Fastest dominant discharge rhythm (episode feature `rhythm_hz`) an episode called
    rigidity may have: rigidity's few units fire at ~5–7 Hz with CV 0.03–0.1 (docs/labels.md),
    voluntary units at 8–35 Hz. 9 Hz sits above the 90th percentile of true rigidity episodes
    in our simulator and in an independent generator at every device profile (5.5–7.7 Hz),
    while 60 % of long voluntary episodes lie above it."""

    twitch_max_s: float = 0.06
    """A fasciculation is one MUAP (≤ 25 ms) or a doublet (30–35 ms apart): an episode whose
    core (`twitch_core_fraction`) spans longer than this cannot be a twitch."""

    label_min_confidence: tuple[tuple[str, float], ...] = (("cramp", 0.7), ("rigidity", 0.7),
                                                          ("artifact", 0.6))
    """An episode is called cramp, rigidity or artifact only when the classifier gives that
    label at least this probability; otherwise it takes its best other label. Telling a
    healthy person they had a cramp costs more than calling a weak cramp a contraction, and on
    recordings the classifier never saw (other generators, real armbands) its doubtful cramps
    are mostly gestures and strong efforts. A doubtful "artifact" would hide muscle activity
    from the user; on held-out simulated sessions the floor raised artifact F1 from 0.74 to
    0.77 at no cost elsewhere. Measured figures: README "Measured figures"."""

    twitch_min_fs: float = 400.0
    """Below this rate fasciculations are not labelled at all
    (docs/labels.md#saying-what-cannot-be-seen). A surface MUAP lasts 5-25 ms with most of its
    energy at 50-250 Hz; an armband at
    200-250 Hz keeps 20-100 Hz of it, where quantisation steps, motion and hum harmonics look
    the same, and the real armband recordings we have gave hundreds of false twitches per
    hour there. The pipeline says so once (`Pipeline.hidden`) instead of guessing."""

    label_min_fs: float = 200.0
    """Below this rate no label is given at all (SPEC "say what cannot be seen"). 200 Hz is the
    slowest rate the classifier was trained and measured at (the Myo armband; SPEC's simulated
    rates are 200-2000 Hz). At 100 Hz the pass band left is 20-45 Hz, where a contraction's
    spectrum, a cramp's irregular firing and a motion artifact's low-frequency energy are no
    longer told apart: on simulated sessions F1 fell to 0.20 (issue 11's measurement), i.e.
    most labels were wrong.
    The pipeline still runs (recordings, gaps, signal quality), says so once
    (`Pipeline.hidden`, every label) and emits no guesses."""

    max_plausible_uv: float = 50_000.0
    """An episode whose band-passed peak exceeds this many µV (50 mV) is an `artifact`, whatever
    the classifier says. Surface EMG reaches 0-10 mV peak to peak even in maximal contractions
    of large muscles with good skin contact [De Luca 1997, "The use of surface
    electromyography in biomechanics"; SENIAM], i.e. at most ~5 mV from baseline; the
    simulator's most extreme sessions (3 mV RMS at full effort times a 3x electrode gain, both
    at the top of their ranges) peak at 21 mV after the band-pass. 50 mV is ten times the
    physiological ceiling and more than twice the simulator's, so no muscle produced it: an
    electrode pop, a cable hit, a corrupted sample, wrong units (a single 1e5 µV sample in a
    rest recording was labelled `twitch`). It is compared with the band-passed peak, not the
    raw value, so a DC-coupled amplifier's electrode offset (hundreds of mV) does not trip it.
    Thresholds elsewhere stay relative to the noise floor (SPEC); this one is absolute because
    physiology bounds it, not the recording."""

    alert_step_s: float = 0.5
    """A sustained episode still in progress is classified on what it has shown so far every
    this often once it is old enough to carry a sustained label (`cramp_min_s`,
    `rigidity_min_s`): docs/scoring.md wants a cramp or rigidity alarm within 1 s of the class
    becoming decidable, not when the episode ends minutes later."""

    alert_horizon_s: float = 20.0
    """Episodes are re-examined in progress until this old (twice the longest minimum
    duration, rigidity's 10 s): each look re-reads the whole episode so far, and a label that
    only becomes clear later is still given when the episode ends."""

    alert_min_confidence: float = 0.6
    """An ongoing episode is announced only when the classifier gives its label at least this
    probability (a false alarm interrupts a person; a late alarm still arrives at the end)."""

    common_onset_s: float = 0.5
    """Artifacts on unrelated channels are one (common-mode) event only if they began within
    this of each other: interference reaches all its channels at once."""

    pair_overlap_min: float = 0.5
    """Same-label episodes on an agonist/antagonist pair (twitches: on told neighbours too)
    are one event only if they overlap for at least this share of the shorter one. A
    co-contraction both channels report in their own right overlaps almost wholly; any
    overlap at all chained episodes: a gesture's tail on one channel overlapping the next
    gesture's head on the partner joined repetitions 25 s long into one event."""

    satellite_ratio: float = 3.0
    """An episode whose agonist/antagonist partner carries at least this many times its RMS
    at the same time is crosstalk or co-activation: it joins the partner's event (and takes
    its label; see `satellite_channel_labels`). A twitch is never one: a fasciculation is
    isolated on its own channel, whatever the partner does."""

    satellite_channel_labels: tuple[str, ...] = ("rigidity",)
    """A satellite adds its own channel to its partner's event only when both carry the same
    label and it is one of these: rigidity is typically present in agonist and antagonist at
    once (docs/labels.md). A cramp is localised (its crosstalk is not a second cramp), a voluntary
    contraction's antagonist co-activation is small and not an event of its own, and a weaker
    copy of a local artifact is not that artifact on the partner (common-mode interference
    is grouped by its common onset instead)."""

    containment_wait_s: float = 180.0
    """A short voluntary or twitch episode between two pieces of a cramp or rigidity on its
    channel (bridging them, see `fragment_max_s`) is part of that event (precedence,
    docs/labels.md). The fragment waits for the piece after it to be labelled, but at most
    this long after its own end: past it, it is released as its own event. 180 s is the
    typical upper cramp duration (docs/labels.md), so a fragment in a dip of a cramp is
    absorbed unless the cramp resumes for longer than that, while a fragment that no host
    follows waits at most the host's merge gap after the chain's last fragment."""

    fragment_max_s: float = 3.0
    """A voluntary or twitch episode shorter than this can be a fragment inside a cramp or
    rigidity (see `containment_wait_s`), and a chain of such fragments, each within the host's
    merge gap of the episode before it, bridges two pieces of the host. A cramp's dips leave a
    few short bursts as its units drop out and return (0.3-0.7 s each, 0.2-0.5 s apart over
    2-3 s, read by hand off development sessions of the independent generator), which no
    single merge gap spans; without the chain one cramp came out as several, each piece but
    one a false alarm. The bound is the shortest cramp (the default of `cramp_min_s`): a
    contraction at least that long between two pieces is an event in its own right and ends
    the chain."""

    merge_gap_s: tuple[tuple[str, float], ...] = (
        ("artifact", 1.6),
        ("cramp", 2.0),
        ("rigidity", 1.0),
    )
    """Same-label events on a shared channel closer than this merge. Artifact 1.6 s bridges the
    beats of an ECG at ≥ 40 bpm; rigidity bridges a brief dip of a sustained event. A cramp's
    waxing and waning (~1.4 Hz modulation on a slower swell) can take its region's units below
    threshold for a second or two, leaving a few short bursts, and such a dip is not the end
    of the cramp: with 1 s, cramps of the independent generator came out in two pieces 1-3 s
    apart, the second a false alarm (cramp F1 there 0.56 -> 0.59 with 2 s, 0.60 with 3 s; 3 s
    also joined separate cramps of our own wearable split, F1 0.92 -> 0.90, 2 s 0.91).
    Voluntary repetitions and twitches never merge."""

    def merge_gap_for(self, label: str) -> float:
        return dict(self.merge_gap_s).get(label, 0.0)


@dataclass(frozen=True)
class DetectorGeometry:
    """`DetectorConfig` turned into sample and hop counts for one sampling rate."""

    fs: float
    hop: int
    level_hops: int
    feature_hops: int
    feature_window: int
    noise_hops: int
    noise_memory: int
    burst_gap_hops: int
    episode_gap_hops: int
    max_episode_hops: int
    bridge_gap: int
    warmup_hops: int
    min_flat_hops: int
    level_on: float
    level_off: float
    broad_on: float
    broad_off: float
    peak_on: float

    @classmethod
    def from_config(cls, cfg: DetectorConfig, fs: float) -> DetectorGeometry:
        if fs < 100:
            raise ValueError(f"fs={fs} Hz is too low for surface EMG (need ≥ 100 Hz)")
        hop = max(1, round(cfg.hop_s * fs))
        hop_s = hop / fs

        def hops(seconds: float, minimum: int = 1) -> int:
            return max(minimum, round(seconds / hop_s))

        # Band-limited noise has about 2·B independent values per second (B = pass band), so
        # the statistics below count those, not samples.
        low, high = pass_band(fs, band=cfg.band_hz)
        bandwidth = high - low
        # A level window must hold enough independent values for its RMS to be stable; at
        # 200 Hz (20–90 Hz left) that takes longer than 50 ms.
        level_s = max(cfg.level_window_s, cfg.min_level_dof / (2.0 * bandwidth))
        level_hops = hops(level_s, 2)
        feature_hops = hops(cfg.feature_hop_s)
        per_window = round(cfg.feature_window_s / cfg.feature_hop_s)
        feature_window = max(8, feature_hops * hop * per_window)
        # z-score allowed once per `false_alarms_per_hour` among an hour's hops.
        n_windows = 3600.0 / hop_s / cfg.false_alarms_per_hour
        z = math.sqrt(2.0 * math.log(n_windows))

        def level_thresholds(dof: float) -> tuple[float, float, float]:
            # RMS of `dof` Gaussian values has relative spread s ≈ 1/sqrt(2·dof). The floor is
            # the 20th percentile of such RMS values, i.e. σ·(1 − 0.84·s): divide that bias out.
            spread = 1.0 / math.sqrt(2.0 * dof)
            to_sigma = 1.0 / max(1.0 - _Z_QUANTILE[cfg.noise_quantile] * spread, 0.5)
            on = (1.0 + z * spread) * to_sigma
            return on, to_sigma + cfg.release_fraction * (on - to_sigma), to_sigma

        window_s = level_hops * hop_s
        level_on, level_off, to_sigma = level_thresholds(2.0 * bandwidth * window_s)
        broad_on, broad_off, _ = level_thresholds(
            2.0 * min(cfg.broadband_noise_hz, fs / 2.0) * window_s)
        # Peak: the largest |value| among N Gaussian values is about sqrt(2 ln N) σ
        # (extreme-value bound); N = independent values per hour / allowed false alarms.
        n_peak = 2.0 * bandwidth * 3600.0 / cfg.false_alarms_per_hour
        peak_on = math.sqrt(2.0 * math.log(n_peak)) * to_sigma
        return cls(
            fs=float(fs),
            hop=hop,
            level_hops=level_hops,
            feature_hops=feature_hops,
            feature_window=feature_window,
            noise_hops=hops(cfg.noise_update_s),
            noise_memory=max(1, round(cfg.noise_memory_s / cfg.noise_update_s)),
            burst_gap_hops=hops(cfg.burst_gap_s),
            # Activity seen through the trailing RMS lasts `level_hops - 1` hops beyond the
            # signal, eating into the quiet that separates episodes: discount it.
            episode_gap_hops=max(hops(cfg.episode_gap_s) - (level_hops - 1),
                                 hops(cfg.burst_gap_s) + 1),
            max_episode_hops=hops(cfg.max_episode_s),
            bridge_gap=round(cfg.bridge_gap_s * fs),
            warmup_hops=hops(cfg.warmup_s),
            min_flat_hops=hops(cfg.min_flat_s),
            level_on=level_on,
            level_off=level_off,
            broad_on=broad_on,
            broad_off=broad_off,
            peak_on=peak_on,
        )

    @property
    def hop_s(self) -> float:
        return self.hop / self.fs
