"""Turning device counters and receive times into gaps: exact where the wire allows, bounded
otherwise.

Two situations, two trackers:

* `CounterGapTracker` — the device numbers its samples, but the counter may be short (OpenBCI
  Cyton: 8 bits, BITalino: 4 bits) and wrap unseen during a long loss. The counter gives the
  loss modulo its range exactly; the host receive times say how many wraps were *possible*.
* `TimingGapTracker` — no counter at all (Myo, gForce, bare ASCII lines): only the time between
  receptions says samples are missing, so the result is always a ``(min, max)`` bound.

Timing model used by both (the only assumption, stated once): the last sample of a packet was
generated no later than the packet was received and no earlier than ``jitter_s`` before that.
Between two packets received ``dt`` apart, the generation times of their last samples are then
``dt ± jitter_s`` apart. ``jitter_s`` must cover the transport's batching (FTDI latency timer,
BLE connection interval, OS scheduling); too small claims certainty it does not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from firmware_bridge.protocols.base import Gap

_EPS = 1e-9


@dataclass
class CounterGapTracker:
    """Gaps from a wrapping sample counter, with a host-time bound on unseen wraps.

    The counter counts samples: after a packet whose first sample has counter ``c`` and which
    holds ``n`` samples, the next packet is expected at ``c + n`` (mod `modulus`).
    """

    modulus: int
    fs: float | None = None
    jitter_s: float = 0.5
    restart_threshold: int | None = None
    """A jump forward of at least this many samples is read as the counter going *backwards*
    (device restart) rather than a loss. Only sensible for wide counters (EMGF: 2^31)."""
    jumps: int = field(default=0, init=False)
    """Counter jumps larger than the elapsed host time allows (wide counters only, i.e. with a
    `restart_threshold`): a counter reset, a corrupted counter or a stale backlog from before an
    unclean exit, never a loss. Reported as a restart (continuity unknown) and counted here."""
    _next: int | None = field(default=None, init=False)
    _last_time: float | None = field(default=None, init=False)

    def reset(self) -> None:
        """Forget continuity (e.g. after a reconnect): the next packet has no gap."""
        self._next = None
        self._last_time = None

    def update(
        self,
        counter: int,
        n_samples: int,
        host_time: float | None = None,
        *,
        wrap_possible: bool = True,
        min_missing: int = 0,
    ) -> tuple[Gap, bool]:
        """Account one packet; return ``(gap_before, restart)``.

        ``wrap_possible=False`` tells the tracker the bytes arrived contiguously from a transport
        that cannot drop whole frames unnoticed, so the counter difference is exact.
        ``min_missing`` is a floor the caller knows independently (BITalino: a resync always
        discards at least one real frame), so a difference of 0 then means a whole wrap.
        """
        gap: Gap = 0
        restart = False
        if self._next is not None:
            missing = (counter - self._next) % self.modulus
            if missing < min_missing:
                missing += self.modulus * -(-(min_missing - missing) // self.modulus)
            if self.restart_threshold is not None and missing >= self.restart_threshold:
                restart = True
            elif self.restart_threshold is not None and missing > self._time_allows(
                n_samples, host_time
            ):
                restart = True
                self.jumps += 1
            elif wrap_possible:
                gap = self._bound(missing, n_samples, host_time)
            else:
                gap = missing
        self._next = (counter + n_samples) % self.modulus
        if host_time is not None:
            self._last_time = host_time
        return gap, restart

    def _time_allows(self, n_samples: int, host_time: float | None) -> float:
        """The most samples the elapsed host time lets be missing (infinite without timing)."""
        if host_time is None or self._last_time is None or not self.fs:
            return math.inf
        dt = max(0.0, host_time - self._last_time)
        return math.floor((dt + self.jitter_s) * self.fs + _EPS) - n_samples

    def _bound(self, missing: int, n_samples: int, host_time: float | None) -> Gap:
        max_missing = self._time_allows(n_samples, host_time)
        if math.isinf(max_missing):
            return missing  # no timing evidence: assume no wrap, as the counter suggests
        if max_missing < missing + self.modulus:
            return missing
        wraps = int(max_missing - missing) // self.modulus
        return (missing, missing + wraps * self.modulus)


@dataclass
class TimingGapTracker:
    """Bounded gaps from host receive times alone (devices without a sample counter).

    A gap is declared only when the timing *proves* samples are missing (its lower bound is
    positive) or the caller knows a minimum (e.g. Myo characteristic rotation); a merely
    possible loss inside the jitter is not a gap, or every packet would be one.
    Missing counts are ``base + j * stride`` for j >= 0: ``stride`` is how many samples one lost
    transport unit carries, ``base`` the caller's known minimum.
    """

    fs: float | None
    jitter_s: float = 0.1
    _last_time: float | None = field(default=None, init=False)

    def reset(self) -> None:
        """Forget continuity (e.g. after a reconnect)."""
        self._last_time = None

    def update(
        self, n_samples: int, host_time: float | None, *, base: int = 0, stride: int = 1
    ) -> Gap:
        """Account one packet of ``n_samples`` received at ``host_time``; return its gap."""
        last = self._last_time
        if host_time is not None:
            self._last_time = host_time
        if host_time is None or last is None or not self.fs:
            return (base, base) if base > 0 else 0
        dt = max(0.0, host_time - last)
        lo_t = math.ceil((dt - self.jitter_s) * self.fs - n_samples - _EPS)
        hi_t = math.floor((dt + self.jitter_s) * self.fs - n_samples + _EPS)
        if lo_t <= 0 and base == 0:
            return 0
        j_lo = max(0, math.ceil((max(lo_t, base) - base) / stride))
        lo = base + j_lo * stride
        j_hi = (hi_t - base) // stride if hi_t >= base else 0
        hi = max(lo, base + j_hi * stride)
        return (lo, hi)
