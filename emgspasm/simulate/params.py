"""Randomised parameter ranges of the simulator, as named constants.

Why one module: every estimate must be "a named, documented parameter, never a
buried constant", and the lead trains a classifier on hundreds of simulated sessions that must
generalise to real sensors and other generators. Every range here is therefore drawn *widely*
(uniformly unless marked log-uniform) from the session seed; the drawn values are recorded in
`Simulation.params`. "lit." numbers are the literature's, as summarised in
docs/labels.md#the-five-labels and
docs/signal.md#the-simulator, or its sources named; *(est.)* marks an informed estimate.

Units: seconds, Hz, fractions of maximal voluntary contraction (MVC) excitation, and µV
*before* the session `gain` (gain multiplies the whole recording at the very end).
"""

from __future__ import annotations

from typing import Final

# The sections repeat one shape (NAME: Final = value, then why): a data table, kept flat.

Range = tuple[float, float]

# --------------------------------------------------------------------------------------------
# Motor-unit pool (Fuglevand, Winter & Patla 1993; docs/signal.md#the-simulator)
# --------------------------------------------------------------------------------------------
N_MOTOR_UNITS: Final[tuple[int, int]] = (80, 200)
"""Units per channel's pool (lit.: ~120 per muscle); inclusive integer range."""
RECRUITMENT_RANGE: Final[Range] = (25.0, 40.0)
"""Ratio last/first recruitment threshold, thresholds spread exponentially (lit.: ~30-fold)."""
LAST_RECRUIT_MVC: Final[Range] = (0.5, 0.8)
"""Excitation (fraction MVC) at which the last unit is recruited (Fuglevand: ~0.6) *(est.)*."""
MIN_RATE_HZ: Final[Range] = (7.0, 9.0)
"""Voluntary firing rate at recruitment (lit.: 8 Hz)."""
PEAK_RATE_FIRST_HZ: Final[Range] = (30.0, 40.0)
"""Peak voluntary rate of the first-recruited unit (lit.: 35 Hz)."""
PEAK_RATE_LAST_HZ: Final[Range] = (22.0, 28.0)
"""Peak voluntary rate of the last-recruited unit (lit.: 25 Hz)."""
MUAP_AMP_SPREAD: Final[Range] = (50.0, 100.0)
"""Largest/smallest MUAP amplitude, exponential by rank (lit.: 50–100-fold)."""
MUAP_AMP_JITTER_SIGMA: Final[float] = 0.15
"""Log-normal scatter of each unit's amplitude about its rank curve *(est.)*."""
MUAP_DURATION_MS: Final[Range] = (10.0, 20.0)
"""Surface MUAP duration (span where |MUAP| ≥ 5 % of its peak; lit.: ~10–20 ms)."""
MUAP_HR2_WEIGHT: Final[Range] = (0.5, 1.0)
"""Weight of the triphasic (2nd-order HR) part of a MUAP vs the biphasic (1st-order) part;
biased to triphasic so the median frequency at 50 % MVC lands near the literature's 85–120 Hz."""
MUAP_ASYMMETRY: Final[Range] = (0.7, 1.4)
"""Ratio of the trailing to the leading time scale of a MUAP (log-uniform) *(est.)*."""
MVC_RMS_UV: Final[Range] = (500.0, 3000.0)
"""Surface RMS at a maximal contraction, per channel, log-uniform (brief: 0.5–3 mV)."""

# --------------------------------------------------------------------------------------------
# Amplitude scale, noise and SNR
# --------------------------------------------------------------------------------------------
GAIN: Final[Range] = (0.3, 3.0)
"""Multiplies the whole recording, log-uniform (lit.: people/electrodes differ by 10×)."""
NOISE_UV: Final[Range] = (1.0, 8.0)
"""Clean resting baseline noise RMS, log-uniform (lit.: "a few µV RMS")."""
SNR_DB: Final[Range] = (5.0, 40.0)
"""Signal-to-noise ratio relative to the reference contraction (lit.: 5–40 dB)."""
REF_CONTRACTION_MVC: Final[float] = 0.2
"""The "reference moderate contraction" of the SNR definition: a steady 20 % MVC voluntary
excitation. snr_db = 20·log10(RMS_ref / RMS_noise), RMS_ref the Campbell-theorem RMS of the
channel's pool at this excitation (see MotorUnitPool.expected_rms)."""
P_CLEAN_NOISE_REGIME: Final[float] = 0.5
"""If neither snr_db nor noise_uv is given: probability of drawing the noise level from NOISE_UV
(clean lab electrodes) rather than the SNR from SNR_DB (noisy/dry electrodes, low-cost boards)."""
NOISE_CHANNEL_SPREAD: Final[Range] = (0.8, 1.25)
"""Per-channel factor on a drawn (clean-regime) noise level, log-uniform *(est.)*."""
NOISE_COLOUR_FRACTION: Final[Range] = (0.0, 0.5)
"""Fraction of the noise power that is low-pass coloured rather than white *(est.)*."""
NOISE_COLOUR_CUTOFF_HZ: Final[Range] = (20.0, 200.0)
"""Corner of the first-order low-pass colouring the coloured part (clamped below Nyquist)."""
MIN_BURST_RMS_SNR: Final[float] = 2.0
"""A voluntary contraction's level is raised (up to VOL_LEVEL_MVC's top) until its expected RMS
is at least this many times the channel's noise RMS, so truth is not invisible *(est.)*."""

# Continuous background (not events)
MAINS_HZ: Final[tuple[float, float]] = (50.0, 60.0)
"""Mains frequency, one of the two."""
HUM_REL_NOISE: Final[Range] = (0.05, 1.0)
"""Continuous mains hum amplitude relative to the channel's noise RMS (small; not an event)."""
HUM_HARMONIC_REL: Final[Range] = (0.05, 0.5)
"""Amplitude of each odd harmonic (3rd, 5th) relative to the fundamental."""
HARMONIC_NYQUIST_FRACTION: Final[float] = 0.45
"""Harmonics at or above this fraction of fs are omitted (the device's anti-alias filter)."""
WANDER_UV: Final[Range] = (5.0, 100.0)
"""Baseline-wander component amplitude, log-uniform (removed by the 20 Hz high-pass)."""
WANDER_HZ: Final[Range] = (0.05, 0.8)
"""Baseline-wander component frequencies (< 1 Hz)."""
WANDER_COMPONENTS: Final[tuple[int, int]] = (1, 3)
"""Number of wander sinusoids per channel (inclusive)."""
CROSSTALK: Final[Range] = (0.0, 0.10)
"""Fraction of a channel's EMG appearing on its pair partner (brief: 0–10 %)."""
CROSSTALK_CUTOFF_HZ: Final[Range] = (60.0, 250.0)
"""Volume-conduction low-pass on crosstalk (first order; clamped below Nyquist) *(est.)*."""

# --------------------------------------------------------------------------------------------
# voluntary (lit.: orderly recruitment, ISI CV 0.1–0.2, graded ramps, small co-activation)
# --------------------------------------------------------------------------------------------
VOL_RAMP_S: Final[Range] = (0.1, 1.0)
VOL_LEVEL_MVC: Final[Range] = (0.05, 0.8)
VOL_DURATION_S: Final[Range] = (0.3, 20.0)
"""Total (ramp up + hold + ramp down), log-uniform."""
VOL_LONG_DURATION_S: Final[Range] = (20.0, 45.0)
P_VOL_LONG: Final[float] = 0.1
VOL_ISI_CV: Final[Range] = (0.1, 0.2)
VOL_COACTIVATION: Final[Range] = (0.0, 0.15)
"""Antagonist excitation as a fraction of the agonist's."""
VOL_COACT_SMOOTH_S: Final[Range] = (0.05, 0.3)
"""Time constant smoothing the antagonist's copy of the excitation *(est.)*."""
P_VOL_REPETITIONS: Final[float] = 0.3
VOL_N_REPETITIONS: Final[tuple[int, int]] = (2, 5)
VOL_REP_DURATION_S: Final[Range] = (0.3, 6.0)
VOL_REP_REST_S: Final[Range] = (0.5, 3.0)
VOL_REP_LEVEL_SPREAD: Final[Range] = (0.85, 1.15)
DRIVE_FLUCTUATION: Final[Range] = (0.01, 0.05)
"""SD of the common-drive fluctuation, relative to the excitation (force steadiness) *(est.)*."""
DRIVE_FLUCTUATION_HZ: Final[Range] = (0.5, 3.0)
"""Low-pass corner of that fluctuation *(est.)*."""

# --------------------------------------------------------------------------------------------
# cramp (lit.: Minetto 2009; Ross & Thomas 1995)
# --------------------------------------------------------------------------------------------
CRAMP_RISE_S: Final[Range] = (0.05, 0.3)
CRAMP_LEVEL_MVC: Final[Range] = (0.2, 1.0)
CRAMP_MIN_RATE_PPS: Final[Range] = (5.0, 7.0)
CRAMP_MAX_RATE_PPS: Final[Range] = (22.0, 25.0)
CRAMP_MEAN_RATE_PPS: Final[Range] = (12.0, 17.0)
"""Mean rate of the recruited units at the mean excitation (lit.: mean 14.5 pps)."""
CRAMP_ISI_CV: Final[Range] = (0.35, 0.6)
"""Overall ISI CV of each unit, doublets included (lit.: ≈ 0.45)."""
CRAMP_MIN_RENEWAL_CV: Final[float] = 0.3
"""Floor of the renewal CV behind CRAMP_ISI_CV (irregular even with doublets excluded) *(est.)*."""
CRAMP_DOUBLET_FRACTION: Final[Range] = (0.02, 0.06)
"""Fraction of discharges followed by a doublet (lit.: ~4 %)."""
CRAMP_DOUBLET_ISI_S: Final[Range] = (0.005, 0.010)
CRAMP_MOD_HZ: Final[Range] = (0.8, 2.5)
"""Common waxing/waning modulation (lit.: ~1.4 Hz)."""
CRAMP_MOD_DEPTH: Final[Range] = (0.2, 0.6)
"""Excitation swings between level·(1 − depth) and level."""
CRAMP_DURATION_S: Final[Range] = (3.0, 60.0)
CRAMP_MIXED_DURATION_S: Final[Range] = (3.0, 30.0)
P_CRAMP_LONG_IN_MIXED: Final[float] = 0.1
CRAMP_DECAY_S: Final[Range] = (0.2, 2.0)
CRAMP_FLUCTUATION: Final[Range] = (0.02, 0.08)
P_CRAMP_PRECURSOR: Final[float] = 0.3
CRAMP_PRECURSOR_S: Final[Range] = (2.0, 8.0)
"""Slow low-level EMG rise before some cramps (lit.: Chaney & Sherman, scaled down)."""
CRAMP_PRECURSOR_UNITS: Final[tuple[int, int]] = (1, 4)
PRECURSOR_MAX_MVC: Final[float] = 0.03
"""The precursor's excitation never exceeds this; it is not part of the truth event."""

# --------------------------------------------------------------------------------------------
# twitch / fasciculation (lit.: Sleutjes 2016, Kleine 2012, Bashford 2020)
# --------------------------------------------------------------------------------------------
FASCICULATING_UNITS: Final[tuple[int, int]] = (1, 3)
"""Distinct fasciculating MUs per channel (the same shapes recur)."""
TWITCH_PEAK_UV: Final[Range] = (20.0, 400.0)
"""Peak of a fasciculation potential, log-uniform (lit.: tens to a few hundred µV)."""
MIN_TWITCH_PEAK_SNR: Final[float] = 8.0
"""A twitch's peak is never below this × the channel's noise RMS, so truth is detectable."""
TWITCH_AMP_JITTER: Final[float] = 0.05
"""Relative SD of the amplitude of repeated discharges of one MU *(est.)*."""
TWITCH_RATE_HZ: Final[Range] = (0.1, 2.0)
TWITCH_EPISODE_S: Final[Range] = (5.0, 30.0)
TWITCH_MIXED_EPISODE_S: Final[Range] = (5.0, 20.0)
TWITCH_QUIET_S: Final[float] = 0.25
"""Quiet before and after each twitch (lit.: isolated, > 250 ms)."""
P_TWITCH_DOUBLET: Final[float] = 0.1
TWITCH_DOUBLET_S: Final[Range] = (0.030, 0.035)

# --------------------------------------------------------------------------------------------
# rigidity (lit.: Zijdewind & Thomas 2001; SPS literature)
# --------------------------------------------------------------------------------------------
RIGIDITY_UNITS: Final[tuple[int, int]] = (2, 6)
RIGIDITY_RATE_HZ: Final[Range] = (5.0, 7.0)
RIGIDITY_ISI_CV: Final[Range] = (0.03, 0.1)
RIGIDITY_LEVEL_MVC: Final[Range] = (0.01, 0.10)
"""Only units recruited below this level (the lowest-threshold ones) take part."""
RIGIDITY_MAX_CANDIDATES: Final[int] = 15
RIGIDITY_DURATION_S: Final[Range] = (10.0, 60.0)
RIGIDITY_MIXED_DURATION_S: Final[Range] = (10.0, 30.0)
RIGIDITY_MIN_PEAK_SNR: Final[float] = 5.0
"""Each rigidity MUAP peak is at least this × noise RMS (scaled by RIGIDITY_PEAK_BOOST)."""
RIGIDITY_PEAK_BOOST: Final[Range] = (1.0, 2.0)

# --------------------------------------------------------------------------------------------
# artifacts (docs/labels.md#the-five-labels, `artifact` row)
# --------------------------------------------------------------------------------------------
ARTIFACT_SUBTYPES: Final[tuple[str, ...]] = ("motion", "pop", "mains", "ecg", "clipping", "leadoff")
ARTIFACT_WEIGHTS: Final[tuple[float, ...]] = (0.25, 0.2, 0.1, 0.15, 0.15, 0.15)
MOTION_DURATION_S: Final[Range] = (0.2, 2.0)
MOTION_BAND_HZ: Final[Range] = (1.0, 15.0)
MOTION_COMPONENTS: Final[tuple[int, int]] = (2, 5)
MOTION_PEAK_UV: Final[Range] = (300.0, 10000.0)
MOTION_MIN_PEAK_NOISE: Final[float] = 20.0
"""Motion peak is at least this × noise RMS ("amplitude ≫ EMG")."""
MOTION_CHANNEL_GAIN: Final[Range] = (0.3, 1.0)
MOTION_LEAKAGE: Final[Range] = (0.01, 0.1)
"""RMS of the broadband leakage burst relative to the motion peak."""
POP_STEP_UV: Final[Range] = (200.0, 5000.0)
POP_MIN_STEP_NOISE: Final[float] = 10.0
"""A pop's step is at least this × the channel's noise RMS (detectable truth)."""
POP_TAU_S: Final[Range] = (0.02, 0.2)
POP_EDGE_S: Final[Range] = (0.0, 0.002)
POP_EXTENT_TAUS: Final[float] = 5.0
"""A pop's truth extent ends this many decay time constants after its edge (< 1 % left)."""
MAINS_BURST_S: Final[Range] = (1.0, 5.0)
MAINS_BURST_UV: Final[Range] = (100.0, 5000.0)
MAINS_BURST_MIN_NOISE: Final[float] = 3.0
"""A mains burst's amplitude is at least this × the largest channel noise RMS."""
MAINS_BURST_HARMONIC_REL: Final[Range] = (0.1, 0.5)
MAINS_BURST_EDGE_S: Final[Range] = (0.005, 0.1)
MAINS_CHANNEL_GAIN: Final[Range] = (0.7, 1.3)
ECG_DURATION_S: Final[Range] = (3.0, 15.0)
ECG_BPM: Final[Range] = (50.0, 110.0)
ECG_HRV_CV: Final[Range] = (0.01, 0.05)
ECG_AMP_UV: Final[Range] = (50.0, 500.0)
ECG_MIN_PEAK_NOISE: Final[float] = 4.0
"""The R peak (strongest channel) is at least this × the channels' noise RMS (detectable)."""
ECG_CHANNEL_GAIN: Final[Range] = (0.3, 1.0)
CLIP_DURATION_S: Final[Range] = (0.2, 2.0)
"""Time the signal is held at the rail."""
CLIP_EDGE_S: Final[Range] = (0.03, 0.15)
CLIP_RAIL_UV: Final[Range] = (500.0, 5000.0)
CLIP_MIN_RAIL_MVC: Final[float] = 2.0
"""The rail is at least this × the channel's MVC RMS (a device that clips only gross events)."""
CLIP_OVERDRIVE: Final[Range] = (1.5, 3.5)
"""Peak of the saturating transient relative to the rail."""
CLIP_BURST_REL: Final[Range] = (0.02, 0.1)
"""Broadband burst riding on the saturating transient, relative to the rail."""
LEADOFF_DURATION_S: Final[Range] = (0.5, 3.0)
P_LEADOFF_AT_RAIL: Final[float] = 0.5
"""A lead-off sits at the rail (else at 0 µV)."""

# --------------------------------------------------------------------------------------------
# session scheduling
# --------------------------------------------------------------------------------------------
INITIAL_REST_S: Final[Range] = (1.0, 6.0)
REST_GAP_S: Final[Range] = (1.0, 6.0)
"""Rest between consecutive events on one channel group (≥ 1 s,
docs/signal.md#recording-conditions)."""
END_MARGIN_S: Final[float] = 1.0
"""Events end at least this long before the recording ends."""
LANE_SLACK_S: Final[float] = 2.0
"""A new event goes to a random group among those free within this of the earliest one."""
MIXED_CLASS_WEIGHTS: Final[dict[str, float]] = {
    "voluntary": 0.26,
    "artifact": 0.26,
    "cramp": 0.18,
    "twitch": 0.12,
    "rigidity": 0.18,
}
"""Class draw weights in the mixed scenario, chosen so counts per class come out balanced."""
RIGIDITY_MIN_SESSION_S: Final[float] = 40.0
"""Mixed sessions at least this long always try to include a rigidity event."""
MAX_PLACEMENT_FAILURES: Final[int] = 25
"""Scheduling stops after this many draws that did not fit."""

# --------------------------------------------------------------------------------------------
# The "wide" variety (training): what other generators and real sensors do that the standard
# ranges above leave out. The standard ranges stay as they were so the held-out `test` split
# remains comparable across releases; `emgspasm.sets` trains on the wide variety.
# --------------------------------------------------------------------------------------------
WIDE_HUM_REL_NOISE: Final[Range] = (0.05, 10.0)
"""Continuous hum relative to the noise RMS, log-uniform (wearables: several × the noise)."""
WIDE_HUM_HARMONICS: Final[tuple[int, ...]] = (2, 3, 4, 5, 6, 7)
WIDE_HUM_ODD_REL: Final[Range] = (0.1, 0.5)
"""Odd harmonic k's amplitude is this / (k // 2) of the fundamental's."""
WIDE_HUM_EVEN_REL: Final[Range] = (0.02, 0.1)
WIDE_HUM_OFFSET_HZ: Final[Range] = (-0.1, 0.1)
"""Mains frequency deviation from nominal (grids drift by up to ~0.1 Hz)."""
WIDE_HUM_DRIFT_SD: Final[float] = 0.2
"""Log-normal SD of the hum's slow amplitude drift *(est.)*."""
WIDE_HUM_DRIFT_S: Final[Range] = (20.0, 100.0)
"""Time scale of that drift."""
P_WIDE_ECG: Final[float] = 0.4
"""Probability that a session carries continuous ECG crosstalk (trunk and proximal muscles)."""
WIDE_ECG_CHANNELS: Final[tuple[int, int]] = (1, 2)
WIDE_ECG_QRS_REL_NOISE: Final[Range] = (3.0, 30.0)
"""R-peak amplitude of background ECG relative to the channel's noise RMS, log-uniform."""
P_WIDE_QUANTISED: Final[float] = 0.5
"""At armband rates (≤ WIDE_QUANTISED_MAX_FS), probability of 8-bit quantisation (Myo)."""
WIDE_QUANTISED_MAX_FS: Final[float] = 260.0
WIDE_LSB_REL_NOISE: Final[Range] = (0.6, 1.6)
"""Quantisation step relative to the rest noise RMS (Myo: rest noise 0.6–1.5 counts)."""
WIDE_QUANTISED_LEVELS: Final[int] = 128
"""Signed 8-bit: values clip at ±this many steps."""
WIDE_NEIGHBOUR_CROSSTALK: Final[Range] = (0.0, 0.3)
"""Crosstalk between adjacent channels of different pairs (armband sectors: 1–28 %)."""
WIDE_CRAMP_MOD_DEPTH: Final[Range] = (0.03, 0.6)
"""Cramps with shallow waxing/waning, down to the ±4–7 % of saturated high-level cramps."""
WIDE_CRAMP_DURATION_S: Final[Range] = (3.0, 180.0)
"""Cramp length, log-uniform (docs/labels.md: ≥ 3 s, typically 10 s – 3 min); the standard
ranges stop at 60 s, so a minute-long cramp was a shape the classifier had only seen as a long
voluntary hold."""
WIDE_CRAMP_DECAY_S: Final[Range] = (0.2, 10.0)
"""A cramp may stop abruptly or fade over seconds as it is stretched out *(est.)*."""
WIDE_CRAMP_FLUCTUATION: Final[Range] = (0.02, 0.25)
"""Slow wax/wane of the cramp drive beyond the ~1.4 Hz modulation (SD of the low-passed drive
fluctuation): cramps swell and ease over seconds as well *(est.)*."""
WIDE_CRAMP_MAX_RATE_PPS: Final[Range] = (16.0, 30.0)
WIDE_CRAMP_MEAN_RATE_PPS: Final[Range] = (10.0, 20.0)
"""Cramp discharge rates are reported higher than 14.5 pps in some studies, and rate is not a
cramp's signature (docs/labels.md, "The five labels"): the wide variety spreads them so that no
rate is."""
WIDE_PAIR_CROSSTALK: Final[Range] = (0.001, 0.15)
"""Pair crosstalk, log-uniform: from none (electrodes over muscles far apart, where a quiet
partner's envelope has nothing to do with the cramp next door) to 15 % (close electrodes). The
standard 0–10 % uniform range almost always put a visible, perfectly correlated copy of a loud
cramp on its partner, which the classifier learnt as a cramp signature."""
WIDE_WANDER_UV: Final[Range] = (5.0, 1000.0)
"""Baseline wander in the wide variety, log-uniform: DC-coupled front ends (OpenBCI's
ADS1299, many DIY boards) pass electrode drift of hundreds of µV, which a 20 Hz high-pass
removes but window statistics of the broadband signal still see *(est.)*."""
WIDE_MUAP_DURATION_MS: Final[Range] = (6.0, 20.0)
"""Surface MUAP duration in the wide variety: thin fat layers and small inter-electrode
distances give shorter MUAPs and median frequencies up to ~150 Hz *(est.)*."""
P_WIDE_RIGIDITY_SINGLE: Final[float] = 0.3
"""Rigidity on one muscle of a pair alone (a valid event; a user may wear one sensor)."""
WIDE_VOLUNTARY_KINDS: Final[dict[str, float]] = {
    "standard": 0.45, "postural": 0.2, "strong": 0.2, "gait": 0.15}
"""Kinds of voluntary activity in the wide variety, with their draw weights."""
POSTURAL_S: Final[Range] = (20.0, 120.0)
POSTURAL_LEVEL_MVC: Final[Range] = (0.02, 0.15)
"""Long low-level holds: the hard negatives for rigidity."""
POSTURAL_DRIFT: Final[Range] = (0.08, 0.2)
POSTURAL_DRIFT_HZ: Final[Range] = (0.01, 0.05)
P_POSTURAL_COCONTRACTION: Final[float] = 0.35
POSTURAL_COCONTRACTION: Final[Range] = (0.4, 1.0)
STRONG_S: Final[Range] = (2.0, 8.0)
STRONG_LEVEL_MVC: Final[Range] = (0.5, 1.0)
"""Brief maximal efforts: the hard negatives for cramp, as loud as cramps."""
GAIT_BOUT_S: Final[Range] = (20.0, 90.0)
GAIT_BURST_S: Final[Range] = (0.25, 0.4)
GAIT_CADENCE_HZ: Final[Range] = (0.8, 1.2)
GAIT_LEVEL_MVC: Final[Range] = (0.1, 0.5)
GAIT_PHASE: Final[Range] = (0.4, 0.6)
"""The antagonist's bursts lag the agonist's by this fraction of a stride."""
