"""Signal processing for sEMG: rate-adaptive causal filters, envelopes, windows and features.

Everything here is designed from ``fs`` (200 Hz Myo to multi-kHz lab amplifiers), runs causally
with explicit state, and gives identical results however the signal is chunked -- the
properties live, replay and batch analysis rely on (docs/architecture.md#invariants).

Typical flow: :func:`design_emg_filter` -> :class:`StreamingFilter` (live) or :func:`emg_clean`
(offline) -> :class:`MainsCanceller` (hum subtracted without ringing) -> :class:`EcgCanceller`
(tracked heartbeats out of the activity envelopes) -> :func:`sliding_windows`
-> :func:`window_features` / :func:`cross_channel_features`.
"""

from emgspasm.dsp.ecg import EcgCanceller
from emgspasm.dsp.envelope import DEFAULT_RMS_WINDOW_S, rms_envelope, teager_kaiser
from emgspasm.dsp.features import (
    BANDS_HZ,
    CROSS_CHANNEL_NAMES,
    DEFAULT_THRESHOLD_RMS_FRACTION,
    ENVELOPE_SMOOTH_S,
    FEATURE_NAMES,
    cross_channel_features,
    window_features,
)
from emgspasm.dsp.filters import (
    DEFAULT_BAND_HZ,
    DEFAULT_FILTER_ORDER,
    DEFAULT_MAINS_HZ,
    DEFAULT_NOTCH_Q,
    ECG_HIGHPASS_HZ,
    NYQUIST_FRACTION,
    StreamingFilter,
    design_emg_filter,
    emg_clean,
    notch_frequencies,
    pass_band,
)
from emgspasm.dsp.mains import MainsCanceller
from emgspasm.dsp.windows import sliding_windows

__all__ = [
    "BANDS_HZ",
    "CROSS_CHANNEL_NAMES",
    "DEFAULT_BAND_HZ",
    "DEFAULT_FILTER_ORDER",
    "DEFAULT_MAINS_HZ",
    "DEFAULT_NOTCH_Q",
    "DEFAULT_RMS_WINDOW_S",
    "DEFAULT_THRESHOLD_RMS_FRACTION",
    "ECG_HIGHPASS_HZ",
    "ENVELOPE_SMOOTH_S",
    "FEATURE_NAMES",
    "NYQUIST_FRACTION",
    "EcgCanceller",
    "MainsCanceller",
    "StreamingFilter",
    "cross_channel_features",
    "design_emg_filter",
    "emg_clean",
    "notch_frequencies",
    "pass_band",
    "rms_envelope",
    "sliding_windows",
    "teager_kaiser",
    "window_features",
]
