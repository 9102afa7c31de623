"""What an emulated device measures: integer counts for any device sample index.

An emulator asks for "the counts of samples k … k+n" on its own clock; the answer must not
depend on how it batches those requests, and a test must be able to ask the same question to
know what was sent. So the signal is addressed by absolute sample index and loops over its data
(a 2-minute recording can feed a device for hours).

Conversion from µV uses the device codec's own `from_uv` (rounding and clipping to the wire's
range), so what the host decodes is exactly ``codec.to_uv(counts)``. Resampling a recording to
the device rate is signal processing and belongs to emgspasm (`emgspasm.live.emulate`), not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_bridge.protocols.base import Codec


@dataclass(frozen=True, slots=True, eq=False)
class EmulatedSignal:
    """Counts of shape ``(n_samples, n_channels)``, looped when ``loop`` is True."""

    counts: np.ndarray
    loop: bool = True

    def __post_init__(self) -> None:
        if self.counts.ndim != 2 or self.counts.shape[0] == 0:
            raise ValueError(f"signal counts must be (n > 0, n_channels), got {self.counts.shape}")

    # Derived sizes of a record: property blocks look alike everywhere (shape only).
    @property
    def n_channels(self) -> int:
        """Columns of `counts`."""
        return int(self.counts.shape[1])

    @property
    def length(self) -> int:
        """Samples before the signal repeats (or ends, without ``loop``)."""
        return int(self.counts.shape[0])

    def window(self, start: int, n: int) -> np.ndarray:
        """Counts of device samples ``start … start+n-1`` (fewer rows past the end without
        ``loop``)."""
        if not self.loop:
            return self.counts[max(start, 0) : max(start, 0) + n]
        idx = (start + np.arange(n)) % self.length
        return self.counts[idx]

    def columns(self, channels: list[int]) -> EmulatedSignal:
        """The signal restricted to (or cycled over) the given channel indices."""
        cols = [c % self.n_channels for c in channels]
        return EmulatedSignal(self.counts[:, cols], self.loop)

    @classmethod
    def from_uv(
        cls, uv: np.ndarray, codec: Codec, n_channels: int | None = None, *, loop: bool = True
    ) -> EmulatedSignal:
        """Counts the device would send for ``uv`` (µV at the device rate). Channels are taken
        in order and cycled when the recording has fewer than the device."""
        x = np.asarray(uv, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        n = n_channels or codec.n_channels or x.shape[1]
        x = x[:, [i % x.shape[1] for i in range(n)]]
        return cls(codec.from_uv(x), loop)

    @classmethod
    def random(
        cls, codec: Codec, n_samples: int, *, n_channels: int | None = None, seed: int = 0,
        loop: bool = False,
    ) -> EmulatedSignal:
        """Uniformly random counts over the codec's whole range: every bit pattern is
        exercised, and any block of a few samples is unique (tests align received data by it)."""
        n = n_channels or codec.n_channels
        lo, hi = codec.count_range
        rng = np.random.default_rng(seed)
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
        hi_a = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
        counts = rng.integers(lo_a, hi_a + 1, size=(n_samples, n), dtype=np.int64)
        return cls(counts, loop)
