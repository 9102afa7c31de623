"""Rate-adaptive causal sEMG filters: one SOS design, an offline and a streaming way to run it.

Why this shape (after :mod:`scipy.signal`): the design is a pure function of ``fs`` returning
second-order sections, so the same coefficients serve a 200 Hz Myo armband, a 250 Hz Cyton and a
4 kHz lab amplifier; running them is ``sosfilt`` with explicit state, so a live block-by-block
session and an offline pass over a whole file produce *bit-identical* samples (docs/architecture.md,
"Chunk invariance" and "Causality"). ``filtfilt`` is never used: it is non-causal and its output
would change as more of the signal arrives.

Example
-------
>>> import numpy as np
>>> from emgspasm.dsp import StreamingFilter, design_emg_filter, emg_clean
>>> sos = design_emg_filter(200.0)          # Myo: the pass band becomes 20-90 Hz
>>> x = np.random.default_rng(0).standard_normal((400, 8))
>>> f = StreamingFilter(sos, n_channels=8)
>>> y = np.concatenate([f.process(x[:150]), f.process(x[150:])])
>>> bool(np.array_equal(y, emg_clean(x, fs=200.0)))
True
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import signal

__all__ = [
    "DEFAULT_BAND_HZ",
    "DEFAULT_FILTER_ORDER",
    "DEFAULT_MAINS_HZ",
    "DEFAULT_NOTCH_Q",
    "ECG_HIGHPASS_HZ",
    "MIN_BAND_RATIO",
    "NOTCH_NYQUIST_GUARD",
    "NYQUIST_FRACTION",
    "StreamingFilter",
    "design_emg_filter",
    "emg_clean",
    "notch_frequencies",
    "notch_sections",
    "pass_band",
]

#: 20-450 Hz is the standard sEMG band [De Luca et al. 2010, J Biomech 43:1573; SENIAM]: below
#: 20 Hz lies movement artefact and cable sway, above 450 Hz there is hardly any EMG power.
DEFAULT_BAND_HZ: tuple[float, float] = (20.0, 450.0)

#: Notch both mains frequencies by default: a recording's origin (50 Hz Europe/Asia, 60 Hz the
#: Americas) is often unknown, and a Q=30 notch costs a ~2 Hz sliver of EMG spectrum each.
DEFAULT_MAINS_HZ: tuple[float, ...] = (50.0, 60.0)

#: Quality factor of each mains notch: the -3 dB width is f0/Q (1.7 Hz at 50 Hz), narrow enough
#: to leave the broadband EMG spectrum intact, wide enough to cover normal grid-frequency drift.
DEFAULT_NOTCH_Q: float = 30.0

#: Butterworth order passed to :func:`scipy.signal.butter`.  A band-pass of order N has 2N poles
#: (N sections), i.e. 24 dB/octave on each skirt for N=4: ~-48 dB at 5 Hz for a 20 Hz edge.
DEFAULT_FILTER_ORDER: int = 4

#: The upper band edge is clipped to this fraction of Nyquist.  A Butterworth edge *at* Nyquist
#: cannot be designed, and one very close to it has nearly no roll-off before aliasing; 0.9 keeps a
#: usable transition band.  At 200 Hz (Myo) the 450 Hz edge becomes 90 Hz, at 250 Hz (Cyton)
#: 112.5 Hz: what is lost at those rates is everything above, which is stated, not hidden.
NYQUIST_FRACTION: float = 0.9

#: The clipped pass band must span at least this ratio (upper/lower edge, ~1/3 octave).  A
#: narrower "band" is a resonator, not an EMG filter, so the design refuses (fs below ~56 Hz with
#: the default band) instead of returning something that silently looks like EMG.
MIN_BAND_RATIO: float = 1.25

#: Notches above this fraction of Nyquist are skipped: :func:`scipy.signal.iirnotch` needs
#: ``w0 < 1`` and near Nyquist its pole pair almost coincides with the aliased image, so the
#: section is ill-conditioned.  With the band clipped at 0.9 Nyquist this is a second guard.
NOTCH_NYQUIST_GUARD: float = 0.95

#: The usual ECG-rejection high-pass for trunk muscles (docs/signal.md): a trade-off between
#: removing
#: QRS energy, concentrated below ~30 Hz, and keeping low-frequency EMG.  Not applied by default;
#: pass ``ecg_highpass_hz=ECG_HIGHPASS_HZ``.
ECG_HIGHPASS_HZ: float = 30.0


def _check_fs(fs: float) -> float:
    fs = float(fs)
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"sampling rate fs must be a positive finite number, got {fs!r}")
    return fs


# Same keyword options as notch_frequencies: one filter spec asked two questions (shape only).
def pass_band(
    fs: float,
    *,
    band: tuple[float, float] = DEFAULT_BAND_HZ,
    ecg_highpass_hz: float | None = None,
) -> tuple[float, float]:
    """Return the effective ``(low, high)`` pass band in Hz that :func:`design_emg_filter` uses.

    Exposed so a pipeline or report can say what a low sampling rate costs (e.g. 20-90 Hz at
    200 Hz) instead of the caller re-deriving the clipping rule.

    Raises
    ------
    ValueError
        If the band is malformed, or ``fs`` is too low for any EMG pass band to exist.
    """
    fs = _check_fs(fs)
    low, high = (float(v) for v in band)
    if not (0 < low < high):
        raise ValueError(f"band must satisfy 0 < low < high, got {band!r}")
    nyq = fs / 2.0
    high_eff = min(high, NYQUIST_FRACTION * nyq)
    low_eff = low
    if ecg_highpass_hz is not None:
        ecg = float(ecg_highpass_hz)
        if not (0 < ecg < high_eff):
            raise ValueError(
                f"ecg_highpass_hz={ecg!r} must lie inside (0, {high_eff:g}) Hz, the upper "
                f"pass-band edge at fs={fs:g} Hz"
            )
        low_eff = max(low, ecg)
    if high_eff < MIN_BAND_RATIO * low_eff:
        min_fs = 2.0 * MIN_BAND_RATIO * low_eff / NYQUIST_FRACTION
        raise ValueError(
            f"fs={fs:g} Hz leaves no EMG pass band: the upper edge ({NYQUIST_FRACTION:g} x Nyquist "
            f"= {high_eff:g} Hz) must be at least {MIN_BAND_RATIO:g} x the lower edge "
            f"({low_eff:g} Hz); need fs >= {min_fs:.4g} Hz"
        )
    return low_eff, high_eff


def _as_mains_tuple(mains_hz: float | Iterable[float] | None) -> tuple[float, ...]:
    if mains_hz is None:
        return ()
    if np.ndim(mains_hz) == 0:
        values: tuple[float, ...] = (float(mains_hz),)  # type: ignore[arg-type]
    else:
        values = tuple(float(v) for v in mains_hz)  # type: ignore[union-attr]
    for v in values:
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"mains frequencies must be positive, got {mains_hz!r}")
    return values


# Same keyword options as pass_band: one filter spec asked two questions (shape only).
def notch_frequencies(
    fs: float,
    *,
    band: tuple[float, float] = DEFAULT_BAND_HZ,
    mains_hz: float | Iterable[float] | None = DEFAULT_MAINS_HZ,
    harmonics: bool = True,
    ecg_highpass_hz: float | None = None,
    max_harmonic: int | None = None,
) -> tuple[float, ...]:
    """Return the sorted notch frequencies (Hz) that :func:`design_emg_filter` places.

    Each mains frequency contributes itself and, with ``harmonics``, every integer multiple below
    Nyquist.  A candidate is kept only if it lies inside the effective pass band (elsewhere the
    band-pass already attenuates it, and a notch would only add phase distortion) and below
    ``NOTCH_NYQUIST_GUARD`` x Nyquist.  Shared harmonics (300 Hz = 6x50 = 5x60) are notched once.
    ``max_harmonic`` caps the multiples (each notch costs one filter section per sample, and
    high harmonics carry little power in surface recordings); ``None`` keeps all.
    """
    fs = _check_fs(fs)
    low, high = pass_band(fs, band=band, ecg_highpass_hz=ecg_highpass_hz)
    nyq = fs / 2.0
    found: set[float] = set()
    for f0 in _as_mains_tuple(mains_hz):
        n_max = int(np.ceil(nyq / f0)) if harmonics else 1
        if max_harmonic is not None:
            n_max = min(n_max, int(max_harmonic))
        for k in range(1, n_max + 1):  # a handful of harmonics, not a sample loop
            f = k * f0
            if low <= f <= high and f < NOTCH_NYQUIST_GUARD * nyq and f < nyq:
                found.add(round(f, 9))
    return tuple(sorted(found))


def design_emg_filter(
    fs: float,
    *,
    band: tuple[float, float] = DEFAULT_BAND_HZ,
    mains_hz: float | Iterable[float] | None = DEFAULT_MAINS_HZ,
    harmonics: bool = True,
    notch_q: float = DEFAULT_NOTCH_Q,
    ecg_highpass_hz: float | None = None,
    order: int = DEFAULT_FILTER_ORDER,
    max_harmonic: int | None = None,
) -> np.ndarray:
    """Design the sEMG cleaning filter for sampling rate ``fs`` as one SOS array.

    The cascade is a Butterworth band-pass (``order`` sections), an optional Butterworth
    high-pass at ``ecg_highpass_hz`` (ECG rejection on trunk muscles, e.g. ``ECG_HIGHPASS_HZ``),
    and one :func:`scipy.signal.iirnotch` section per frequency from :func:`notch_frequencies`.
    The upper band edge follows Nyquist (``NYQUIST_FRACTION``), so every rate from 200 Hz to
    several kHz gets a valid design rather than a crash.

    Parameters
    ----------
    fs : sampling rate in Hz.
    band : nominal ``(low, high)`` pass band in Hz; ``high`` is clipped below Nyquist.
    mains_hz : ``None`` (no notches), one frequency, or several.
    harmonics : also notch integer multiples of each mains frequency inside the pass band.
    max_harmonic : highest multiple notched (``None``: every one below Nyquist).
    notch_q : quality factor of each notch (-3 dB width ``f0 / notch_q``).
    ecg_highpass_hz : extra high-pass corner in Hz, or ``None``.
    order : Butterworth order (the band-pass has ``2 * order`` poles).

    Returns
    -------
    sos : array of shape ``(n_sections, 6)``, float64, for :func:`scipy.signal.sosfilt`.

    Raises
    ------
    ValueError
        If ``fs`` is too low for the band to exist (below ~56 Hz with the defaults), or any
        parameter is out of range.  The message states the minimum usable ``fs``.

    Examples
    --------
    >>> design_emg_filter(1000.0).shape    # 4 band-pass + 15 mains/harmonic notches
    (19, 6)
    >>> design_emg_filter(200.0, mains_hz=50.0).shape  # 100 Hz harmonic = Nyquist: skipped
    (5, 6)
    """
    fs = _check_fs(fs)
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if not notch_q > 0:
        raise ValueError(f"notch_q must be positive, got {notch_q!r}")
    _, high = pass_band(fs, band=band, ecg_highpass_hz=ecg_highpass_hz)
    sections = [signal.butter(int(order), [float(band[0]), high], "bandpass", fs=fs, output="sos")]
    if ecg_highpass_hz is not None:
        sections.append(
            signal.butter(int(order), float(ecg_highpass_hz), "highpass", fs=fs, output="sos")
        )
    sections.append(notch_sections(fs, notch_frequencies(
        fs,
        band=band,
        mains_hz=mains_hz,
        harmonics=harmonics,
        ecg_highpass_hz=ecg_highpass_hz,
        max_harmonic=max_harmonic,
    ), notch_q))
    return np.ascontiguousarray(np.concatenate(sections, axis=0), dtype=np.float64)


def notch_sections(fs: float, freqs: Iterable[float],
                   notch_q: float = DEFAULT_NOTCH_Q) -> np.ndarray:
    """One :func:`scipy.signal.iirnotch` SOS section per frequency in `freqs`, (n, 6)."""
    rows = [signal.tf2sos(*signal.iirnotch(f, notch_q, fs=fs)) for f in freqs]
    return np.concatenate(rows, axis=0) if rows else np.zeros((0, 6))


def _check_sos(sos: np.ndarray) -> np.ndarray:
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] < 1:
        raise ValueError(f"sos must have shape (n_sections, 6), got {sos.shape}")
    return sos


class StreamingFilter:
    """Run an SOS filter over consecutive blocks of ``(n, n_channels)`` samples.

    The filter state (``zi`` of :func:`scipy.signal.sosfilt`) is carried from block to block, so
    any split of a signal -- one call, 1-sample blocks, empty blocks -- gives bit-identical output
    to a single :func:`emg_clean` pass over the whole signal.  That is what makes live, replay and
    batch one code path.

    The initial state is zeros, *not* ``sosfilt_zi`` scaled by the first sample: scaling by the
    first sample would make the output depend on where a recording (or a chunk) happened to
    start, breaking chunk invariance, and a causal device really does see a step from silence
    when it switches on.  The price is a start-up transient of a few tens of ms (longest for the
    20 Hz high-pass edge and the narrow notches); detectors should ignore the first ~0.2 s after
    construction or :meth:`reset`.

    Call :meth:`reset` after a gap (dropped packets, reconnect) so the filter does not bridge
    the hole as if the signal were continuous.  A non-finite input sample poisons the state;
    :meth:`reset` also recovers from that.

    Parameters
    ----------
    sos : second-order sections, shape ``(n_sections, 6)``, e.g. from :func:`design_emg_filter`.
    n_channels : number of columns every block will have.
    """

    def __init__(self, sos: np.ndarray, n_channels: int) -> None:
        if int(n_channels) != n_channels or n_channels < 1:
            raise ValueError(f"n_channels must be a positive integer, got {n_channels!r}")
        self.sos = np.ascontiguousarray(_check_sos(sos), dtype=np.float64)
        self.n_channels = int(n_channels)
        # The state in the layout sosfilt's compiled kernel works on: (channels, sections, 2).
        self._state = np.zeros((self.n_channels, self.sos.shape[0], 2), dtype=np.float64)

    @property
    def zi(self) -> np.ndarray:
        """A copy of the current filter state, shape ``(n_sections, 2, n_channels)``."""
        return self._state.transpose(1, 2, 0).copy()

    def process(self, block: np.ndarray) -> np.ndarray:
        """Filter one block of shape ``(n, n_channels)`` (any ``n >= 0``) and advance the state.

        Returns a (n, n_channels) view of a (n_channels, n) array, as `sosfilt` with
        ``axis=0`` does. When scipy's compiled kernel is importable it is called directly:
        `sosfilt` itself spends ~40 µs per call validating and moving axes, a quarter of a
        live 20 ms push's filtering; the kernel, its inputs and so its output bits are the
        same (tested against `sosfilt`).
        """
        block = np.asarray(block, dtype=np.float64)
        if block.ndim != 2 or block.shape[1] != self.n_channels:
            raise ValueError(f"block must have shape (n, {self.n_channels}), got {block.shape}")
        if block.shape[0] == 0:
            return np.empty((0, self.n_channels), dtype=np.float64)
        if _sosfilt_kernel is None:
            out, zi = signal.sosfilt(self.sos, block, axis=0, zi=self.zi)
            self._state = np.ascontiguousarray(zi.transpose(2, 0, 1))
            return out
        x = np.array(block.T, dtype=np.float64, order="C")  # a copy, filtered in place
        _sosfilt_kernel(self.sos, x, self._state)
        return x.T

    def reset(self) -> None:
        """Return to the zero initial state, e.g. after a gap in the signal."""
        self._state = np.zeros_like(self._state)


def _kernel() -> object | None:
    """scipy's compiled SOS loop (`scipy.signal._sosfilt._sosfilt(sos, x, zi)`: filters the
    C-contiguous rows of x in place, zi (rows, sections, 2) in place), or None if this scipy
    does not have it under that name -- then `sosfilt` is used."""
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:
        return None
    return _sosfilt


_sosfilt_kernel = _kernel()


def emg_clean(
    x: np.ndarray,
    *,
    fs: float,
    axis: int = 0,
    **design_kwargs: object,
) -> np.ndarray:
    """Filter a whole signal causally with :func:`design_emg_filter` (offline convenience).

    Uses ``sosfilt`` from a zero initial state -- not ``filtfilt`` -- so the result is exactly
    what :class:`StreamingFilter` produces live, sample for sample (the first ~0.2 s carry the
    same start-up transient).  ``axis`` is the time axis, as in :mod:`scipy.signal`.

    >>> import numpy as np
    >>> emg_clean(np.zeros((10, 2)), fs=1000.0, mains_hz=50.0).shape
    (10, 2)
    """
    sos = design_emg_filter(fs, **design_kwargs)  # type: ignore[arg-type]
    x = np.asarray(x, dtype=np.float64)
    if x.shape[axis] == 0:
        return x.copy()
    return signal.sosfilt(sos, x, axis=axis)
