"""Crosstalk between agonist/antagonist partners.

Why: surface electrodes over neighbouring muscles pick up a little of each other's activity
through the volume conductor, low-pass filtered by the tissue. The brief asks for 0–10 % of a
channel's EMG on its pair partner; the "localised" cramp criterion (docs/labels.md) means the
partner is quiet
*apart from* this crosstalk, so the detector must learn to discount it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import signal

from emgspasm.simulate import params as P
from emgspasm.simulate._util import log_uniform
from emgspasm.simulate.montage import default_pairs


def draw_crosstalk(rng: np.random.Generator, n_channels: int, fs: float,
                   wide: bool = False) -> list[dict[str, Any]]:
    """One (source → target, fraction, cutoff) entry per direction of each pair; in the wide
    variety the pair fraction is log-uniform in WIDE_PAIR_CROSSTALK (down to none), and there
    is crosstalk between adjacent channels of different pairs too (armband sectors,
    neighbouring heads), at up to WIDE_NEIGHBOUR_CROSSTALK."""
    pair = (lambda: log_uniform(rng, P.WIDE_PAIR_CROSSTALK)) if wide else (
        lambda: float(rng.uniform(*P.CROSSTALK)))
    edges = [(p, pair) for p in default_pairs(n_channels)]
    if wide:
        edges += [((b, b + 1), lambda: float(rng.uniform(*P.WIDE_NEIGHBOUR_CROSSTALK)))
                  for _, b in default_pairs(n_channels) if b + 1 < n_channels]
    links = []
    for (a, b), draw in edges:
        for src, dst in ((a, b), (b, a)):
            links.append(
                {
                    "source": src,
                    "target": dst,
                    "fraction": draw(),
                    "cutoff_hz": min(log_uniform(rng, P.CROSSTALK_CUTOFF_HZ), 0.45 * fs),
                }
            )
    return links


def apply_crosstalk(emg: np.ndarray, fs: float, links: list[dict[str, Any]]) -> np.ndarray:
    """Return emg (n_channels, n) plus the low-passed, attenuated copies along `links`."""
    out = emg.copy()
    for link in links:
        src = emg[link["source"]]
        if link["fraction"] <= 0 or not np.any(src):
            continue
        sos = signal.butter(1, link["cutoff_hz"], fs=fs, output="sos")
        out[link["target"]] += link["fraction"] * signal.sosfilt(sos, src)
    return out
