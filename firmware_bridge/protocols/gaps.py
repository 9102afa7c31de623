"""Turning device counters and receive times into gaps: exact where the wire allows, bounded
otherwise.

Two situations, two trackers:

* `CounterGapTracker` — the device numbers its samples, but the counter may be short (OpenBCI
  Cyton: 8 bits, BITalino: 4 bits) and wrap unseen during a long loss. The counter gives the
  loss modulo its range exactly; the host receive times say how many wraps were *possible*.
* `TimingGapTracker` — no counter at all (Myo, gForce, bare ASCII lines): only the time between
  receptions says samples are missing, so the result is always a ``(min, max)`` bound, and a
  host stall (late data arriving in a burst) must not be mistaken for a loss.

Timing model used by both (the only assumption, stated once): the last sample of a packet was
generated no later than the packet was received and no earlier than ``jitter_s`` before that.
Between two packets received ``dt`` apart, the generation times of their last samples are then
``dt ± jitter_s`` apart. ``jitter_s`` must cover the transport's batching (FTDI latency timer,
BLE connection interval, OS scheduling); too small claims certainty it does not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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


T = TypeVar("T")

DEFAULT_SETTLE_S = 0.5
"""How long a timing tracker waits, after data arrives later than the jitter allows, for a burst
to catch the balance up before calling the shortfall a loss. A stalled host (SIGSTOP, a swapping
laptop, a blocked event loop) finds the whole backlog in the OS buffer when it resumes and reads
it within milliseconds; a device that withheld its output drains it at link speed, which at
2x the stream's byte rate takes as long as the stall itself (115200 baud carries a 1 kHz ASCII
stream 2.3 times over: a 0.3 s backlog drains in 0.23 s). Half a second covers both; a slower
drain is settled as a loss of what was still missing after it. It costs latency only after a
late arrival: the blocks of an unexplained shortfall wait this long before they are released
with their gap."""

MAX_HELD_S = 60.0
"""At most this many seconds of nominal samples are held while a shortfall is undecided; a
backlog longer than that is settled on what arrived so far (memory stays bounded)."""


@dataclass
class TimingGapTracker(Generic[T]):
    """Bounded gaps from host receive times alone (devices without a sample counter).

    A shortfall is a *loss* only when it persists. The tracker keeps a balance, in host time,
    between what arrived and what the nominal rate ``fs`` says should have arrived since the
    last packet that came on time: a packet whose balance is further behind than ``jitter_s``
    is *late*. A late packet is not yet a gap, because a host stall looks exactly like it at
    first: the device kept sending, the host did not read, and the backlog now arrives in a
    burst. So the late packet and those behind it are held (the caller's opaque items) until
    either the burst catches the balance up to within the jitter (a stall: nothing was lost,
    the items are released with no gap and counted in `stalls`), or ``settle_s`` of host time
    passes with the balance still behind (a loss, bounded by the *smallest* shortfall seen in
    the window +- the jitter, so what arrived late in the burst is never counted as lost). If
    the stream ends (`flush`) before it settles, the shortfall cannot be told from a stall and
    is reported as a possible loss ``(base, max)``, never as a certain one.

    A gap is declared only when the timing *proves* samples are missing (its lower bound is
    positive) or the caller knows a minimum (e.g. Myo characteristic rotation); a merely
    possible loss inside the jitter is not a gap, or every packet would be one.
    Missing counts are ``base + j * stride`` for j >= 0: ``stride`` is how many samples one lost
    transport unit carries, ``base`` the caller's known minimum. ``settle_s=0`` decides every
    packet at once from the time since the previous one (for device timestamps, which a host
    stall cannot delay).
    """

    fs: float | None
    jitter_s: float = 0.1
    settle_s: float = DEFAULT_SETTLE_S
    max_held_s: float = MAX_HELD_S
    stalls: int = field(default=0, init=False)
    """Late bursts that caught the balance up: data delayed (host or link stall), not lost."""
    _last_time: float | None = field(default=None, init=False)
    _held: list[T] = field(default_factory=list, init=False)
    _first: tuple[int, int] = field(default=(0, 1), init=False)  # base, stride of the 1st held
    _ref_time: float = field(default=0.0, init=False)  # arrival of the last on-time packet
    _since_ref: int = field(default=0, init=False)  # samples received after it
    _window_start: float = field(default=0.0, init=False)
    _min_late: float = field(default=0.0, init=False)

    def reset(self) -> None:
        """Forget continuity (e.g. after a reconnect). Call `flush` first if items are held."""
        self._last_time = None
        self._held = []

    @property
    def held(self) -> int:
        """Items waiting for a decision."""
        return len(self._held)

    def update(
        self, item: T, n_samples: int, host_time: float | None, *, base: int = 0, stride: int = 1
    ) -> list[tuple[T, Gap]]:
        """Account one packet (``item``, ``n_samples`` received at ``host_time``); return the
        items whose gap is now decided, in arrival order, each with its gap (possibly none yet,
        possibly earlier items too)."""
        if self._held:
            if base > 0:  # a proven loss inside an undecided window: settle the window first
                return [*self._release(conclusive=False), *self.update(
                    item, n_samples, host_time, base=base, stride=stride)]
            return self._extend(item, n_samples, host_time)
        last = self._last_time
        if host_time is not None:
            self._last_time = host_time
        if host_time is None or last is None or not self.fs:
            return [(item, (base, base) if base > 0 else 0)]
        late = max(0.0, host_time - last) - n_samples / self.fs
        if self.settle_s > 0 and self._lo(late) > 0:
            self._held = [item]
            self._first = (base, stride)
            self._ref_time, self._since_ref = last, n_samples
            self._window_start, self._min_late = host_time, late
            return []
        return [(item, self._bound(late, base, stride))]

    def flush(self) -> list[tuple[T, Gap]]:
        """End of the stream (or of the link): release held items; a shortfall that had no
        time to settle is only a possible loss."""
        return self._release(conclusive=False) if self._held else []

    def _extend(self, item: T, n_samples: int, host_time: float | None) -> list[tuple[T, Gap]]:
        assert self.fs
        t = host_time if host_time is not None else self._last_time
        assert t is not None
        self._last_time = t
        self._held.append(item)
        self._since_ref += n_samples
        late = max(0.0, t - self._ref_time) - self._since_ref / self.fs
        self._min_late = min(self._min_late, late)
        if self._lo(self._min_late) <= 0:
            self.stalls += 1
            return self._release(conclusive=True)
        if t - self._window_start >= self.settle_s or self._since_ref >= self.max_held_s * self.fs:
            return self._release(conclusive=True)
        return []

    def _release(self, *, conclusive: bool) -> list[tuple[T, Gap]]:
        base, stride = self._first
        gap = self._bound(self._min_late, base, stride, proven=conclusive)
        held, self._held = self._held, []
        return [(held[0], gap), *((x, 0) for x in held[1:])]

    def _lo(self, late: float) -> int:
        assert self.fs
        return math.ceil((late - self.jitter_s) * self.fs - _EPS)

    def _bound(self, late: float, base: int, stride: int, *, proven: bool = True) -> Gap:
        """Missing samples when the balance is ``late`` s behind: ``(late +- jitter) * fs``
        on the ``base + j * stride`` lattice; ``proven=False`` keeps only the maximum."""
        lo_t = self._lo(late) if proven else 0
        hi_t = math.floor((late + self.jitter_s) * (self.fs or 0.0) + _EPS)
        if lo_t <= 0 and base == 0 and (proven or hi_t <= 0):
            return 0
        j_lo = max(0, math.ceil((max(lo_t, base) - base) / stride))
        lo = base + j_lo * stride
        j_hi = (hi_t - base) // stride if hi_t >= base else 0
        hi = max(lo, base + j_hi * stride)
        return (lo, hi)
