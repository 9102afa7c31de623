"""Lab Streaming Layer outlets for a live session (optional: needs pylsl and liblsl).

Two outlets, each with a stable ``source_id`` built from the device and its port/address, so a
recorder (LabRecorder) that loses the stream picks the same one up again after a restart:

* ``emgspasm-events`` (type ``Markers``, irregular rate, one string channel): each event as its
  JSON event line, pushed when the event is emitted;
* ``emgspasm-emg`` (type ``EMG``, the device rate, float32 µV): the signal as decoded. It is the
  raw (unfiltered) signal: the pipeline's filter state is internal and causal per hop, and a
  consumer that wants a filtered view can filter the raw one identically.

pylsl is imported only when ``--lsl`` is asked for; without it the session refuses to start with
a message saying what to install, instead of silently streaming nowhere.
"""

from __future__ import annotations

import json
from typing import Any

from emgspasm.events import Event
from emgspasm.live_sinks import Sink
from emgspasm.live_summary import LiveSummary
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

    def events(self, events: list[Event]) -> None:
        for ev in events:
            self._events.push_sample([json.dumps(ev.to_dict())])

    def close(self, summary: LiveSummary | None) -> None:
        self._signal = None
