"""Codec registry: protocol name -> codec class.

`devices.py` and the emulators pick a codec by name from here, never with ``if device == ...``
chains (docs/architecture.md#design-choices: one small API, backends chosen by a registry entry).
Adding a protocol means adding its module and one line below.
"""

from __future__ import annotations

from typing import Any

from firmware_bridge.protocols.ascii_lines import AsciiLinesCodec
from firmware_bridge.protocols.base import Codec
from firmware_bridge.protocols.bitalino import BitalinoCodec
from firmware_bridge.protocols.cyton import CytonCodec
from firmware_bridge.protocols.emgf import EmgfCodec
from firmware_bridge.protocols.gforce import GForceCodec
from firmware_bridge.protocols.myo import MyoCodec

CODECS: dict[str, type[Codec]] = {
    cls.name: cls
    for cls in (EmgfCodec, CytonCodec, MyoCodec, BitalinoCodec, GForceCodec, AsciiLinesCodec)
}


def make_codec(name: str, **options: Any) -> Codec:
    """A fresh codec for protocol ``name`` with its constructor ``options``."""
    try:
        cls = CODECS[name]
    except KeyError:
        known = ", ".join(sorted(CODECS))
        raise KeyError(f"unknown protocol {name!r}; known: {known}") from None
    return cls(**options)
