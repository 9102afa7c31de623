"""Thalmic Myo raw EMG notifications (docs/devices.md#myo-armband).

Each notification on one of the four EMG characteristics (``d5060105-…`` … ``d5060405-…``) is 16
bytes: 2 samples x 8 channels, int8. BLE keeps notification boundaries, so this codec is
message-framed: one `feed` call per notification. Anything but 16 bytes is a bad frame.

The wire has no sequence number, so gaps come from timing only and are always bounds.
Two sources of evidence, both optional:

* ``host_time``: a shortfall against the nominal 200 Hz longer than ``jitter_s`` that no burst
  makes up within ``settle_s`` proves a loss (`TimingGapTracker`); one that a burst makes up is
  a host or link stall, and the notifications behind it are only late. Notifications are held
  while that is undecided, so `flush` at the end of the stream releases them.
* ``char_index`` (0..3, which EMG characteristic notified): the Myo firmware notifies the four
  characteristics in rotation (EmgData0..3 in myohw.h), so a skipped index proves at least that
  many notifications lost, modulo 4. This rotation is an assumption from the characteristic
  layout, not a documented guarantee; leave ``char_index`` out if a device disagrees.

Scale: Myo EMG is unitless (no µV scale was ever published). `uv_per_count` is a NOMINAL 1.0
so that code expecting µV runs; detection must rely on thresholds relative to the noise floor,
never on absolute µV, for this device.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from firmware_bridge.protocols.base import Codec, Gap, Packet
from firmware_bridge.protocols.gaps import DEFAULT_SETTLE_S, TimingGapTracker
from firmware_bridge.protocols.stream import Timed, timed_packets

NOTIFICATION_LEN = 16
SAMPLES_PER_NOTIFICATION = 2
N_CHANNELS = 8
N_CHARACTERISTICS = 4
FS = 200.0
NOMINAL_UV_PER_COUNT = 1.0
"""Nominal only: the Myo's int8 EMG has no published physical scale."""


class MyoCodec(Codec):
    """Decoder/encoder for Myo raw EMG notifications (8 channels, 200 Hz, int8)."""

    name: ClassVar[str] = "myo"
    message_framed: ClassVar[bool] = True

    def __init__(
        self,
        *,
        jitter_s: float = 0.1,
        settle_s: float = DEFAULT_SETTLE_S,
        uv_per_count: float = NOMINAL_UV_PER_COUNT,
    ) -> None:
        super().__init__(N_CHANNELS, FS)
        self._uv = uv_per_count
        self._timing: TimingGapTracker[Timed] = TimingGapTracker(
            FS, jitter_s, settle_s
        )
        self._last_char: int | None = None

    # The rest of the Codec interface (n_channels and fs are the base's): alike in shape only.
    @property
    def uv_per_count(self) -> float:
        return self._uv

    @property
    def count_range(self) -> tuple[int, int]:
        return (-128, 127)

    def feed(
        self, data: bytes, *, host_time: float | None = None, char_index: int | None = None
    ) -> list[Packet]:
        """Decode ONE notification; ``char_index`` is which EMG characteristic (0..3) sent it."""
        if len(data) != NOTIFICATION_LEN:
            self._count_bad(len(data))
            return []
        base = 0
        if char_index is not None:
            if self._last_char is not None:
                lost_notifications = (char_index - self._last_char - 1) % N_CHARACTERISTICS
                base = lost_notifications * SAMPLES_PER_NOTIFICATION
            self._last_char = char_index
        stride = SAMPLES_PER_NOTIFICATION * (N_CHARACTERISTICS if char_index is not None else 1)
        samples = np.frombuffer(bytes(data), dtype=np.int8).astype(np.int64)
        self._count_ok(len(data))
        held = (samples.reshape(SAMPLES_PER_NOTIFICATION, N_CHANNELS), host_time)
        return self._packets(
            self._timing.update(held, SAMPLES_PER_NOTIFICATION, host_time, base=base, stride=stride)
        )

    def flush(self) -> list[Packet]:
        """Release notifications held while a late arrival was undecided (possible loss)."""
        return self._packets(self._timing.flush())

    def _packets(self, released: list[tuple[Timed, Gap]]) -> list[Packet]:
        """Packets for the notifications whose gap the timing tracker has decided."""
        return timed_packets(self._stats, self._timing, released)

    @classmethod
    def encode(cls, samples: np.ndarray) -> bytes:
        """One notification from ``(2, 8)`` int8-range counts."""
        arr = np.asarray(samples)
        if arr.shape != (SAMPLES_PER_NOTIFICATION, N_CHANNELS):
            raise ValueError(f"a Myo notification is (2, 8) samples, got {arr.shape}")
        if int(arr.min()) < -128 or int(arr.max()) > 127:
            raise ValueError("Myo EMG values are int8")
        return arr.astype(np.int8).tobytes()

    def encode_samples(self, counts: np.ndarray, start_index: int = 0) -> list[bytes]:
        """Notifications of 2 samples each (``counts`` must have an even number of rows); the
        characteristic for notification k is ``(start_index // 2 + k) % 4``."""
        arr = np.asarray(counts)
        if arr.shape[0] % SAMPLES_PER_NOTIFICATION:
            raise ValueError("Myo notifications carry 2 samples: pass an even number of rows")
        return [self.encode(arr[i : i + 2]) for i in range(0, arr.shape[0], 2)]
