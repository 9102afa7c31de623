"""Lab Streaming Layer outlets for a live session (optional: needs pylsl and liblsl).

Two outlets, each with a stable ``source_id`` built from the device and its port/address, so a
recorder (LabRecorder) that loses the stream picks the same one up again after a restart:

* ``emgspasm-events`` (type ``Markers``, irregular rate, one string channel), one JSON object
  per marker (`marker_alert`, `marker_resolution`): an alert as soon as a sustained event is
  announced in progress (``{"alert": label, "channel", "start_s", "decided_at_s",
  "confidence"}``); each event as its JSON event line when it ends; then, for each alert that
  event settles, ``{"confirmed": label, ...}`` (the event has the alert's label) or
  ``{"retracted": label, ..., "label": the event's label}``; alerts no event settles by the end
  of the session are retracted with ``"label": null``;
* ``emgspasm-emg`` (type ``EMG``, the device rate, float32 µV): the signal as decoded. It is the
  raw (unfiltered) signal: the pipeline's filter state is internal and causal per hop, and a
  consumer that wants a filtered view can filter the raw one identically.

pylsl is imported only when ``--lsl`` is asked for; without it the session refuses to start with
a message saying what to install, instead of silently streaming nowhere.
"""

from __future__ import annotations

import json
from typing import Any

from emgspasm.alerts import Alert
from emgspasm.events import Event
from emgspasm.live.sinks import Sink
from emgspasm.live.summary import LiveSummary
from firmware_bridge.transports.block import SampleBlock


class LslUnavailable(RuntimeError):
    """pylsl (or the liblsl library it loads) is missing."""


def import_pylsl() -> Any:
    """pylsl, or `LslUnavailable` with install instructions."""
    try:
        import pylsl
    except (ImportError, RuntimeError, OSError) as exc:  # liblsl missing raises RuntimeError
        raise LslUnavailable(
            "--lsl needs pylsl and the liblsl library: pip install 'emgspasm[lsl]' "
            f"(and liblsl if your platform's wheel does not bundle it). Import failed: {exc}"
        ) from exc
    return pylsl


def marker_resolution(alert: Alert, event: Event | None) -> dict[str, Any]:
    """The marker that settles ``alert``: confirmed by an event of its label, else retracted."""
    confirmed = event is not None and event.label == alert.label
    out: dict[str, Any] = {"confirmed" if confirmed else "retracted": alert.label,
                           "channel": alert.channel, "start_s": round(alert.start_s, 6),
                           "decided_at_s": round(alert.decided_at_s, 6)}
    if not confirmed:
        out["label"] = None if event is None else event.label
    return out


def _settles(event: Event, alert: Alert) -> bool:
    """The event is the alert's episode: same channel, and it spans the alert's start."""
    return alert.channel in event.channels and event.start_s <= alert.decided_at_s \
        and event.end_s >= alert.start_s


class LslSink(Sink):
    """Events (and the signal) as LSL outlets."""

    def __init__(self, source_id: str, *, signal: bool = True) -> None:
        self._pylsl = import_pylsl()
        self.source_id = source_id
        self.with_signal = signal
        lsl = self._pylsl
        info = lsl.StreamInfo("emgspasm-events", "Markers", 1, lsl.IRREGULAR_RATE,
                              lsl.cf_string, f"{source_id}-events")
        self._events = lsl.StreamOutlet(info)
        self._signal: Any = None
        self._pending: list[Alert] = []  # announced, not yet settled by an event

    def describe(self) -> str:
        return "LSL outlets"

    def start(self, first: SampleBlock, source: str) -> None:
        if not self.with_signal:
            return
        lsl = self._pylsl
        info = lsl.StreamInfo("emgspasm-emg", "EMG", len(first.channels), first.fs,
                              lsl.cf_float32, f"{self.source_id}-emg")
        chans = info.desc().append_child("channels")
        for name in first.channels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", name)
            ch.append_child_value("unit", "microvolts")
            ch.append_child_value("type", "EMG")
        self._signal = lsl.StreamOutlet(info)

    def block(self, block: SampleBlock) -> None:
        if self._signal is not None and block.n_samples:
            self._signal.push_chunk(block.samples.astype("float32").tolist())

    def alerts(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self._push(alert.to_dict())
        self._pending += alerts

    def events(self, events: list[Event]) -> None:
        for ev in events:
            self._push(ev.to_dict())
            settled = [a for a in self._pending if _settles(ev, a)]
            for alert in settled:
                self._push(marker_resolution(alert, ev))
            self._pending = [a for a in self._pending if a not in settled]

    def close(self, summary: LiveSummary | None) -> None:
        for alert in self._pending:
            self._push(marker_resolution(alert, None))
        self._pending = []
        self._signal = None

    def _push(self, marker: dict[str, Any]) -> None:
        self._events.push_sample([json.dumps(marker)])
