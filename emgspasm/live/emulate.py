"""The signal an `emgspasm emulate` device streams: a recording or a simulated session.

Kept on the emgspasm side because it needs what firmware_bridge must not know: reading
recordings (`emgspasm.io`), the simulator, and resampling to the device's rate (DSP). The
emulator itself only receives µV at its own rate and turns them into counts with its codec.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

SIMULATED_S = 120.0
"""Length of the simulated session an emulator loops over."""


def resample(x: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """``x`` (n, channels) from ``fs_in`` to ``fs_out`` with a polyphase anti-alias filter."""
    if np.isclose(fs_in, fs_out):
        return x
    ratio = Fraction(fs_out / fs_in).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator, axis=0)


def emulator_uv(
    fs: float,
    n_channels: int,
    source: str | Path | None = None,
    *,
    seed: int = 0,
    scenario: str = "mixed",
    duration_s: float = SIMULATED_S,
) -> tuple[np.ndarray, str]:
    """µV at ``fs`` for an emulated device, and a description of where they came from.

    ``source`` is a recording path (any format `emgspasm.io` reads; resampled to ``fs``,
    channels cycled to ``n_channels``), or None / ``"simulate"`` for a simulated session.
    """
    if source is None or str(source) == "simulate":
        from emgspasm.simulate import simulate

        sim = simulate(duration_s=duration_s, fs=fs, n_channels=n_channels, seed=seed,
                       scenario=scenario)
        x = sim.recording.samples
        what = f"simulated '{scenario}' session (seed {seed}), {duration_s:g} s looped"
    else:
        from emgspasm.io import read

        rec = read(source)
        x = resample(rec.samples, rec.fs, fs)
        what = f"{source} ({rec.fs:g} Hz -> {fs:g} Hz, {x.shape[0] / fs:.1f} s looped)"
    cols = [i % x.shape[1] for i in range(n_channels)]
    return np.ascontiguousarray(x[:, cols]), what
