"""The device registry: every entry is consistent with its codec, BLE entries say clearly that
their transport is missing, serial entries need a port."""

from __future__ import annotations

import json

import numpy as np
import pytest

from firmware_bridge.devices import (
    DEVICES,
    TRANSPORTS,
    TransportUnavailable,
    describe,
    get_device,
    open_source,
)
from firmware_bridge.protocols import CODECS
from firmware_bridge.transports import decoder_from_header

EXPECTED = {"cyton", "myo", "bitalino", "gforce", "emgf", "emgf-ble", "ascii"}


def test_the_registry_has_every_device_of_the_issue() -> None:
    assert set(DEVICES) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entries_agree_with_their_codec(name: str) -> None:
    spec = get_device(name)
    assert spec.transport in TRANSPORTS and spec.codec in CODECS
    codec = spec.make_codec()
    if spec.self_describing:
        assert spec.fs is None and spec.channels == ()
    else:
        assert spec.fs == codec.fs
        assert len(spec.channels) == codec.n_channels == len(set(spec.channels))
    assert np.all(np.asarray(spec.uv_per_count) > 0) and spec.scale
    assert (spec.start_commands and spec.stop_commands) or spec.name == "ascii"
    json.dumps(describe(spec))
    decoder_from_header(spec.session_header("somewhere"))  # a capture could be decoded
    if spec.transport == "ble":
        assert spec.ble is not None and spec.ble.notify
        assert all(u == u.lower() and len(u) == 36 for u in (spec.ble.service, *spec.ble.notify))


@pytest.mark.parametrize("name", ["myo", "gforce", "emgf-ble"])
def test_ble_devices_fail_loudly_until_the_ble_transport_exists(name: str) -> None:
    with pytest.raises(TransportUnavailable, match=r"BLE transport .* not implemented yet"):
        open_source(name, address="AA:BB:CC:DD:EE:FF")
    assert issubclass(TransportUnavailable, NotImplementedError)


def test_serial_devices_need_a_port_and_unknown_names_list_the_known() -> None:
    with pytest.raises(ValueError, match="give its port"):
        open_source("cyton")
    with pytest.raises(KeyError, match="known: ascii, bitalino"):
        get_device("cytn")


def test_codec_options_can_be_overridden() -> None:
    spec = get_device("ascii").with_options(n_channels=3, has_seq=False)
    assert spec.make_codec().n_channels == 3
    assert spec.channel_names(3) == ("emg1", "emg2", "emg3")
    assert spec.session_header()["channels"] == ["emg1", "emg2", "emg3"]
