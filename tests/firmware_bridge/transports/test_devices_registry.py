"""The device registry: every entry is consistent with its codec, BLE entries open through the
BLE transport (or say clearly what to install), serial entries need a port."""

from __future__ import annotations

import json
import sys

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
        uuids = (spec.ble.service, spec.ble.advertised_service, *spec.ble.notify)
        assert all(u == u.lower() and len(u) == 36 for u in uuids)


@pytest.mark.parametrize("name", ["myo", "gforce", "emgf-ble"])
def test_ble_devices_open_a_ble_link_with_setup_before_start(name: str) -> None:
    from firmware_bridge.transports.ble import BleLink

    spec = get_device(name)
    source = open_source(name, address="AA:BB:CC:DD:EE:FF")  # connects only when iterated
    link = source.link_factory(lambda: 0.0)
    assert isinstance(link, BleLink) and link.profile == spec.ble
    assert link.endpoint == "AA:BB:CC:DD:EE:FF"
    assert spec.ble is not None
    assert source.start_commands == (*spec.ble.setup, *spec.start_commands)
    assert open_source(name).link_factory(lambda: 0.0).endpoint is None  # scan by service


def test_ble_without_bleak_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "firmware_bridge.transports.ble", None)
    with pytest.raises(TransportUnavailable, match=r"pip install 'emgspasm\[devices\]'"):
        open_source("myo")
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
