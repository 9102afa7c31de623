"""Pure, incremental wire codecs: ``feed(bytes) -> packets``, ``encode(...)`` for emulators.

No I/O and no threads here: transports own the bytes, codecs only interpret them.
"""

from firmware_bridge.protocols.ascii_lines import AsciiLinesCodec
from firmware_bridge.protocols.base import (
    Codec,
    DecodedBlock,
    DecoderStats,
    Gap,
    Packet,
    PacketKind,
    gap_bounds,
)
from firmware_bridge.protocols.bitalino import BitalinoCodec
from firmware_bridge.protocols.crc import crc4_bitalino, crc16_ccitt_false
from firmware_bridge.protocols.cyton import CytonCodec
from firmware_bridge.protocols.emgf import EmgfCodec
from firmware_bridge.protocols.gforce import GForceCodec
from firmware_bridge.protocols.myo import MyoCodec
from firmware_bridge.protocols.registry import CODECS, make_codec

__all__ = [
    "CODECS",
    "AsciiLinesCodec",
    "BitalinoCodec",
    "Codec",
    "CytonCodec",
    "DecodedBlock",
    "DecoderStats",
    "EmgfCodec",
    "GForceCodec",
    "Gap",
    "MyoCodec",
    "Packet",
    "PacketKind",
    "crc4_bitalino",
    "crc16_ccitt_false",
    "gap_bounds",
    "make_codec",
]
