"""`StreamDecoder`: gap estimates, restarts, markers, link drops and the stream timeline."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.protocols import CytonCodec, EmgfCodec
from firmware_bridge.transports import (
    LinkDown,
    LinkUp,
    Received,
    StreamDecoder,
    choose_estimate,
    timing_bound,
)


def test_choose_estimate_exact_lattice_and_clamp() -> None:
    assert choose_estimate(7, 100.0) == 7
    assert choose_estimate((44, 556), None, 256) == 44  # no timing: trust the counter
    assert choose_estimate((44, 556), 290.0, 256) == 300  # the wrap the clock supports
    assert choose_estimate((44, 556), 9999.0, 256) == 556
    assert choose_estimate((5, 50), 20.4) == 20
    assert choose_estimate((5, 50), 70.0) == 50
    assert choose_estimate((5, 50), -3.0) == 5


def test_timing_bound() -> None:
    assert timing_bound(1.0, 10, 100.0, 0.1) == (80, 100)
    assert timing_bound(0.05, 10, 100.0, 0.1) == (0, 5)  # possible, not proven: a bound
    assert timing_bound(0.0, 10, 100.0, 0.02) == 0


def _emgf_decoder() -> StreamDecoder:
    return StreamDecoder(EmgfCodec(), clock=lambda: 123.0)


def _frame(seq: int, n: int = 10, n_ch: int = 2, value: int = 0) -> bytes:
    counts = np.full((n, n_ch), value, dtype=np.int64) + np.arange(n)[:, None]
    return EmgfCodec.encode(counts, seq=seq)


INFO = EmgfCodec.encode_info(
    {"device": "t", "fw": "1", "fs": 100.0, "channels": ["a", "b"], "uv_per_count": 0.5}
)


def test_emgf_info_names_the_stream_and_counter_gaps_are_exact() -> None:
    dec = _emgf_decoder()
    dec.apply(LinkUp(0.0))
    blocks = dec.apply(Received(INFO + _frame(0) + _frame(10), 0.1))
    blocks += dec.apply(Received(_frame(40, value=3), 0.5))
    assert [b.stream_index for b in blocks] == [0, 10, 40]
    assert blocks[2].gap_before == 20 and blocks[2].gap_estimate == 20 and blocks[2].gap_exact
    assert blocks[0].channels == ("a", "b") and blocks[0].fs == 100.0
    np.testing.assert_array_equal(blocks[2].samples[:, 0], (np.arange(10) + 3) * 0.5)
    assert blocks[0].arrival == 123.0
    s = dec.stats
    assert (s.samples_received, s.samples_lost, s.gaps) == (30, 20, 1)
    assert dec.info is not None and dec.info["device"] == "t"


def test_a_device_restart_is_bounded_by_host_time() -> None:
    dec = _emgf_decoder()
    dec.apply(Received(INFO + _frame(5000), 0.0))
    (block,) = dec.apply(Received(_frame(0), 2.0))  # counter went backwards 2 s later
    assert block.restart
    lo, hi = block.gap_bounds
    # 2 s at 100 Hz minus the 10 samples of the block, +- the 0.5 s restart jitter
    assert (lo, hi) == (140, 240)
    assert block.gap_estimate == 190
    assert dec.stats.restarts == 1


def test_markers_travel_with_the_next_block() -> None:
    dec = _emgf_decoder()
    dec.apply(Received(INFO + _frame(0), 0.0))
    assert dec.apply(Received(EmgfCodec.encode_marker({"event": "button"}), 0.05)) == []
    (block,) = dec.apply(Received(_frame(10), 0.1))
    assert block.markers == ((10, {"event": "button"}),)
    end = dec.apply(Received(EmgfCodec.encode_marker({"event": "x"}), 0.2)) + dec.finish()
    assert len(end) == 1 and end[0].n_samples == 0 and end[0].markers == ((20, {"event": "x"}),)


def test_a_link_drop_flushes_the_cut_frame_and_the_outage_is_counted() -> None:
    dec = _emgf_decoder()
    dec.apply(LinkUp(0.0))
    dec.apply(Received(INFO + _frame(0), 0.1))
    cut = _frame(10)[:17]
    assert dec.apply(Received(cut, 0.2)) == []
    dec.apply(LinkDown(0.25, "unplug"))
    assert dec.stats.skipped_bytes == len(cut)
    dec.apply(LinkUp(1.25))
    (block,) = dec.apply(Received(_frame(110), 1.3))
    assert block.after_reconnect and block.gap_before == 100
    s = dec.stats
    assert s.reconnects == 1 and s.outage_s == pytest.approx(1.0)


def test_cyton_wrap_after_a_long_outage_takes_the_wrap_the_clock_supports() -> None:
    dec = StreamDecoder(CytonCodec(), channels=[f"c{i}" for i in range(8)], fs=250.0)
    rows = np.zeros((1, 8), dtype=np.int64)
    blocks = []
    for k in range(10):
        blocks += dec.apply(Received(CytonCodec.encode(k, rows[0]), k / 250))
    # 300 samples lost (1.2 s): the 8-bit counter says 44 (mod 256)
    for k in range(310, 320):
        blocks += dec.apply(Received(CytonCodec.encode(k, rows[0]), k / 250))
    blocks += dec.finish()
    after = next(b for b in blocks if b.gap_before != 0)
    assert after.gap_before == (44, 300)
    assert after.gap_estimate == 300 and after.stream_index == 310
    assert dec.stats.samples_lost == 300 and dec.stats.samples_lost_max == 300
    assert blocks[0].full_scale_uv == pytest.approx(187500, rel=1e-4)


def test_samples_before_the_info_frame_wait_for_it() -> None:
    dec = _emgf_decoder()
    assert dec.apply(Received(_frame(0) + _frame(10), 0.0)) == []  # no rate known yet
    blocks = dec.apply(Received(INFO + _frame(20), 0.1))
    assert [b.stream_index for b in blocks] == [0, 10, 20]
    assert blocks[0].fs == 100.0 and blocks[0].channels == ("a", "b")


def _info(**fields) -> bytes:
    return EmgfCodec.encode_info({"device": "t", "channels": ["a", "b"], **fields})


def test_an_impossible_or_changed_rate_is_warned_once_and_the_session_goes_on(caplog) -> None:
    # Firmware that says fs=inf, then keeps announcing another rate before every frame: the
    # session keeps the rate its first samples came at, says so once, counts the rest.
    dec = _emgf_decoder()
    dec.apply(LinkUp(0.0))
    blocks = dec.apply(Received(_info(fs=100.0) + _frame(0), 0.1))
    blocks += dec.apply(Received(_info(fs=float("inf")) + _frame(10), 0.2))
    for k in range(2, 40):
        blocks += dec.apply(Received(_info(fs=50.0) + _frame(10 * k), 0.1 * k))
    assert [b.fs for b in blocks] == [100.0] * 40
    assert dec.stats.samples_received == 400 and dec.stats.samples_lost == 0
    changed = [r for r in caplog.records if "reports 50 Hz" in r.getMessage()]
    assert len(changed) == 1
    assert dec.stats.rate_changes == 38


def test_a_channel_count_changed_mid_stream_is_counted_not_fatal(caplog) -> None:
    dec = _emgf_decoder()
    dec.apply(LinkUp(0.0))
    blocks = dec.apply(Received(_info(fs=100.0) + _frame(0), 0.1))
    three = EmgfCodec.encode_info({"device": "t", "fs": 100.0, "channels": ["a", "b", "c"]})
    blocks += dec.apply(Received(three + _frame(10, n_ch=3) + _frame(20, n_ch=3), 0.2))
    assert [b.samples.shape[1] for b in blocks] == [2]
    assert dec.stats.bad_frames >= 2
    assert sum("3 channels" in r.getMessage() for r in caplog.records) == 1
