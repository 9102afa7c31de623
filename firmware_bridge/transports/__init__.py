"""Transports: how bytes get from a device to a `StreamDecoder`, and how sessions are kept.

One async source interface (`Source`, yielding `SampleBlock`s) over interchangeable links:
serial through pyserial (`serial.SerialLink`), BLE through bleak and bleak-retry-connector
(`ble.BleLink`); both are imported lazily, so that reading captures needs neither.
`ReconnectingSource` is our reconnect loop around any link; `capture` records raw sessions and
`replay` plays them back through the same decoder.
`Backoff` and `ReconnectingSource` load on first use, so reading a capture (``emgspasm analyze
x.emgcap``) needs neither pyserial nor tenacity.
"""

from typing import Any

from firmware_bridge.transports.block import SampleBlock
from firmware_bridge.transports.capture import CaptureError, CaptureReader, CaptureWriter
from firmware_bridge.transports.decoder import StreamDecoder, choose_estimate, timing_bound
from firmware_bridge.transports.events import LinkDown, LinkUp, Received, Sent, TransportEvent
from firmware_bridge.transports.link import Link, LinkError, LinkLost
from firmware_bridge.transports.replay import CaptureReplaySource
from firmware_bridge.transports.session import decoder_from_header, session_header
from firmware_bridge.transports.source import Source, SourceStats

__all__ = [
    "Backoff",
    "CaptureError",
    "CaptureReader",
    "CaptureReplaySource",
    "CaptureWriter",
    "Link",
    "LinkDown",
    "LinkError",
    "LinkLost",
    "LinkUp",
    "Received",
    "ReconnectingSource",
    "SampleBlock",
    "Sent",
    "Source",
    "SourceStats",
    "StreamDecoder",
    "TransportEvent",
    "choose_estimate",
    "decoder_from_header",
    "session_header",
    "timing_bound",
]


def __getattr__(name: str) -> Any:
    """Load the reconnect loop (and tenacity) only when it is asked for."""
    if name in ("Backoff", "ReconnectingSource"):
        from firmware_bridge.transports import reconnect

        return getattr(reconnect, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
