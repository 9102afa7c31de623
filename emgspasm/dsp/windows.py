"""Zero-copy sliding windows, the unit every feature is computed on.

A strided view, not a copy: with a hop much shorter than the window (e.g. 250 ms windows every
25 ms) a copy would multiply memory by window/hop; the view costs nothing until a feature reads
it.

>>> import numpy as np
>>> from emgspasm.dsp import sliding_windows
>>> sliding_windows(np.zeros((1000, 8)), window=200, hop=50).shape
(17, 200, 8)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["sliding_windows"]


def sliding_windows(x: np.ndarray, window: int, hop: int, axis: int = 0) -> np.ndarray:
    """Read-only view of the full windows of ``x`` along ``axis``, one every ``hop`` samples.

    Window ``k`` covers samples ``[k*hop, k*hop + window)``; a trailing partial window is not
    returned (a streaming caller keeps those samples until the window fills).  ``axis`` is
    replaced by ``(n_windows, window)``, so ``x`` of shape ``(n, n_channels)`` gives
    ``(n_windows, window, n_channels)``, the layout :func:`emgspasm.dsp.window_features` takes.
    ``n_windows`` is ``0`` when ``x`` is shorter than one window.

    The result shares memory with ``x`` and is read-only (writing to overlapping windows would
    silently change their neighbours).
    """
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if int(hop) != hop or hop < 1:
        raise ValueError(f"hop must be a positive integer, got {hop!r}")
    window, hop = int(window), int(hop)
    x = np.asarray(x)
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for an array of shape {x.shape}")
    axis %= x.ndim
    n = x.shape[axis]
    if n < window:
        shape = (*x.shape[:axis], 0, window, *x.shape[axis + 1 :])
        empty = np.empty(shape, dtype=x.dtype)
        empty.flags.writeable = False
        return empty
    view = sliding_window_view(x, window, axis=axis)  # window axis appended last
    index = [slice(None)] * view.ndim
    index[axis] = slice(None, None, hop)
    view = view[tuple(index)]
    return np.moveaxis(view, -1, axis + 1)
