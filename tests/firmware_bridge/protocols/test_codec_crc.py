"""Checksums: the catalogue check values and the BITalino device algorithm."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.protocols import crc4_bitalino, crc16_ccitt_false


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc16_over_emgf_test_vector_body() -> None:
    vector = bytes.fromhex("A55A01010C00E803000020A10700020202000100FFFF000100FFD1C3")
    assert crc16_ccitt_false(vector[2:26]) == 0xC3D1


def bitalino_loop(frame: bytes) -> int:
    """The revolution-python-api loop, bit for bit (x is never masked there)."""
    d = list(frame)
    d[-1] &= 0xF0
    x = 0
    # Written out again on purpose: an independent reference for crc4_bitalino.
    for byte in d:
        for bit in range(7, -1, -1):
            x <<= 1
            if x & 0x10:
                x ^= 0x03
            x ^= (byte >> bit) & 1
    return x & 0x0F


@settings(max_examples=200, deadline=None)
@given(frame=st.binary(min_size=1, max_size=16))
def test_crc4_table_matches_device_loop(frame: bytes) -> None:
    assert crc4_bitalino(frame) == bitalino_loop(frame)


def test_crc4_ignores_its_own_nibble() -> None:
    assert crc4_bitalino(b"\x12\x34\x50") == crc4_bitalino(b"\x12\x34\x5f")
