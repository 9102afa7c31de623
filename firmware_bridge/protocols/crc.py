"""Checksums used by the wire formats.

CRC-16/CCITT-FALSE (EMGF) comes from the standard library: ``binascii.crc_hqx(data, 0xFFFF)``
is exactly that CRC (poly 0x1021, init 0xFFFF, no reflection, no xor-out), implemented in C.
A well-kept library beats a hand-written table, and this one ships with Python.

CRC-4 (BITalino) has no library implementation that matches the device: BITalino runs a
bit-serial division by x^4 + x + 1 over the whole frame with the CRC nibble zeroed (see the
official revolution-python-api ``bitalino.py``, ``read``). We reproduce that exact algorithm,
table-driven per byte so decoding a 1 kHz stream is not a per-bit Python loop.
"""

from __future__ import annotations

import binascii


def crc16_ccitt_false(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/CCITT-FALSE; ``crc16_ccitt_false(b"123456789") == 0x29B1``."""
    return binascii.crc_hqx(data, 0xFFFF)


def _crc4_step_byte(state: int, byte: int) -> int:
    # The device's loop, bit by bit, MSB first: shift, reduce by x^4+x+1, then add the bit.
    # (tests/.../test_codec_crc.py writes this loop again on purpose, as an independent reference.)
    for bit in range(7, -1, -1):
        state <<= 1
        if state & 0x10:
            state ^= 0x13
        state ^= (byte >> bit) & 1
    return state & 0x0F


_CRC4_TABLE: tuple[tuple[int, ...], ...] = tuple(
    tuple(_crc4_step_byte(state, byte) for byte in range(256)) for state in range(16)
)


def crc4_bitalino(frame: bytes | bytearray | memoryview) -> int:
    """BITalino CRC-4 of a whole frame; the low nibble of the last byte is treated as zero.

    A frame is valid when this equals ``frame[-1] & 0x0F``.
    """
    state = 0
    last = len(frame) - 1
    for i, byte in enumerate(frame):
        state = _CRC4_TABLE[state][byte & 0xF0 if i == last else byte]
    return state
