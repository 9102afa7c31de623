"""Host tests of the reference firmware's portable C (EMGF encoder, CRC, ring buffer).

Everything runs through the sanitized driver built by conftest.py. Frames are
compared with the normative EMGF v1 test vector and with an independent
reference written here from the spec (struct + binascii.crc_hqx, which is
CRC-16/CCITT-FALSE when started at 0xFFFF).
"""

from __future__ import annotations

import binascii
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from emgf_rows import INT16, INT24, LIMITS, sample_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[3]
FW_DIR = REPO / "firmware_bridge" / "firmware"
CORE_DIR = FW_DIR / "lib" / "emgf_core" / "src"
PORTABLE_SOURCES = ("crc16.c", "emgf.c", "ringbuf.c")
PORTABLE_HEADERS = ("crc16.h", "emgf.h", "ringbuf.h", "emgf_core.h")
STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found on PATH: the firmware C code cannot be host-compiled here")
    return path


def run_tool(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=CORE_DIR, capture_output=True, text=True, timeout=120)


# The EMGF v1 test vector (docs/devices.md / firmware_bridge/PROTOCOL.md): 2 channels x 2
# samples, int16 [[1, -1], [256, -256]], seq 1000, t_us 500000.
TEST_VECTOR = bytes.fromhex(
    "A5 5A 01 01 0C 00 E8 03 00 00 20 A1 07 00 02 02 02 00 01 00 FF FF 00 01 00 FF D1 C3"
)

HYPO = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# ----------------------------------------------------------------- reference model


def ref_crc(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def ref_frame(ftype: int, seq: int, t_us: int, payload: bytes) -> bytes:
    body = struct.pack("<BBHII", 1, ftype, len(payload), seq, t_us) + payload
    return b"\xa5\x5a" + body + struct.pack("<H", ref_crc(body))


def ref_samples(seq: int, t_us: int, fmt: int, rows: list[list[int]]) -> bytes:
    n_ch = len(rows[0])
    out = bytearray([n_ch, len(rows), fmt, 0])
    width = 2 if fmt == INT16 else 3
    for row in rows:
        for v in row:
            out += (v & (2 ** (8 * width) - 1)).to_bytes(width, "little")
    return ref_frame(0x01, seq, t_us, bytes(out))


def samples_cmd(seq, t_us, fmt, rows, cap="max", n_ch=None, n_s=None) -> str:
    n_ch = len(rows[0]) if n_ch is None else n_ch
    n_s = len(rows) if n_s is None else n_s
    vals = " ".join(str(v) for row in rows for v in row)
    return f"samples {cap} {seq} {t_us} {n_ch} {n_s} {fmt} {vals}".rstrip()


def c_bytes(reply: str) -> bytes:
    assert not reply.startswith("ERR"), reply
    return bytes.fromhex(reply)


@st.composite
def sample_blocks(draw):
    fmt, rows = draw(sample_rows())
    seq = draw(st.integers(0, 2**32 - 1))
    t_us = draw(st.integers(0, 2**32 - 1))
    return seq, t_us, fmt, rows


# ------------------------------------------------------------------- portability


def test_driver_runs_under_asan_and_ubsan(sanitizer_probe) -> None:
    """The suite's claim of sanitizer-clean C depends on this: fail loudly, never degrade."""
    assert sanitizer_probe.ok, sanitizer_probe.reason


def test_portable_sources_strict_c99_extra_warnings(fw_build_dir: Path) -> None:
    """Each portable file compiles alone, warning-free under stricter flags, both CRC variants."""
    gcc = require("gcc")
    extra = [
        "-Wconversion",
        "-Wsign-conversion",
        "-Wshadow",
        "-Wstrict-prototypes",
        "-Wmissing-prototypes",
        "-Wcast-qual",
        "-Wvla",
        "-Wundef",
        "-O2",
    ]
    for src in PORTABLE_SOURCES:
        r = run_tool([gcc, *STRICT_FLAGS, *extra, "-c", src, "-o", str(fw_build_dir / "o.o")])
        assert r.returncode == 0, f"{src}:\n{r.stderr}"
    r = run_tool(
        [
            gcc,
            *STRICT_FLAGS,
            *extra,
            "-DCRC16_CCITT_FALSE_NO_TABLE",
            "-c",
            "crc16.c",
            "-o",
            str(fw_build_dir / "o.o"),
        ]
    )
    assert r.returncode == 0, r.stderr


def test_headers_compile_as_cpp(fw_build_dir: Path) -> None:
    """The sketch (C++) includes the headers: they must be valid C++ with C linkage."""
    gxx = require("g++")
    src = fw_build_dir / "hdr.cpp"
    src.write_text(
        "".join(f'#include "{h}"\n' for h in PORTABLE_HEADERS) + "EMGF_RB_STORAGE(g_rb, 7, 3);\n"
        "int main() { return emgf_rb_init(&g_rb, g_rb_values, g_rb_seq, g_rb_t_us, 7, 3, 0)"
        " ? 0 : 1; }\n"
    )
    r = run_tool(
        [
            gxx,
            "-std=c++11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            f"-I{CORE_DIR}",
            "-fsyntax-only",
            str(src),
        ]
    )
    assert r.returncode == 0, r.stderr


def test_portable_sources_use_only_allowed_headers_and_no_heap() -> None:
    allowed = {
        "<stdint.h>",
        "<stddef.h>",
        "<string.h>",
        "<stdbool.h>",
        '"crc16.h"',
        '"emgf.h"',
        '"ringbuf.h"',
    }
    for name in (*PORTABLE_SOURCES, *PORTABLE_HEADERS):
        text = (CORE_DIR / name).read_text()
        includes = set(re.findall(r"^\s*#\s*include\s+([<\"][^>\"]+[>\"])", text, re.M))
        assert includes <= allowed, f"{name} includes {includes - allowed}"
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        assert not re.search(r"\b(malloc|calloc|realloc|free)\s*\(", code), name


def test_the_portable_c_exists_once_and_the_sketch_builds_from_it() -> None:
    """One copy: the sketch includes the library the host tests compile, and no other copy of
    a portable file exists under firmware_bridge/ (a copy would drift unseen)."""
    sketch = (FW_DIR / "esp32_emgf" / "esp32_emgf.ino").read_text()
    assert re.search(r"^#include <emgf_core\.h>$", sketch, re.M)
    names = {*PORTABLE_SOURCES, *PORTABLE_HEADERS}
    copies = sorted(str(p.relative_to(REPO)) for p in (REPO / "firmware_bridge").rglob("*")
                    if p.name in names and p.parent != CORE_DIR)
    assert not copies, f"copies of the portable C outside {CORE_DIR.relative_to(REPO)}: {copies}"
    props = (CORE_DIR.parent / "library.properties").read_text()
    assert "name=emgf_core" in props and "includes=emgf_core.h" in props
    ini = (FW_DIR / "platformio.ini").read_text()
    assert re.search(r"^src_dir = esp32_emgf$", ini, re.M)
    assert re.search(r"^lib_dir = lib$", ini, re.M)


def test_sketch_speaks_the_documented_ble_and_commands() -> None:
    sketch = (FW_DIR / "esp32_emgf" / "esp32_emgf.ino").read_text().lower()
    for uuid in (
        "6e400001-b5a3-f393-e0a9-e50e24dcca9e",
        "6e400002-b5a3-f393-e0a9-e50e24dcca9e",
        "6e400003-b5a3-f393-e0a9-e50e24dcca9e",
    ):
        assert uuid in sketch
    for cmd in ("case 'b'", "case 's'", "case 'i'"):
        assert cmd in sketch
    assert "emgf_ble_chunk_len" in sketch


# -------------------------------------------------------------------------- CRC


@pytest.mark.parametrize("variant", ["crc", "crcbit"])
def test_crc_check_value(fw, variant: str) -> None:
    assert fw.cmd(f"{variant} {b'123456789'.hex()}") == "29B1"
    assert fw.cmd(f"{variant} -") == "FFFF"


@HYPO
@given(data=st.binary(max_size=300))
def test_crc_matches_reference(fw, data: bytes) -> None:
    arg = data.hex() or "-"
    expected = f"{ref_crc(data):04X}"
    assert fw.cmd(f"crc {arg}") == expected
    assert fw.cmd(f"crcbit {arg}") == expected


# ---------------------------------------------------------------------- encoder


def test_encoder_reproduces_protocol_test_vector(fw) -> None:
    reply = fw.cmd(samples_cmd(1000, 500000, INT16, [[1, -1], [256, -256]]))
    assert c_bytes(reply) == TEST_VECTOR
    assert len(TEST_VECTOR) == 28
    assert ref_crc(TEST_VECTOR[2:26]) == 0xC3D1


def test_protocol_doc_carries_the_same_test_vector() -> None:
    doc = (REPO / "firmware_bridge" / "PROTOCOL.md").read_text()
    spaced = " ".join(f"{b:02X}" for b in TEST_VECTOR)
    assert spaced in doc


def test_int24_layout_little_endian_twos_complement(fw) -> None:
    frame = c_bytes(fw.cmd(samples_cmd(7, 9, INT24, [[0x123456, -2, -(2**23), 2**23 - 1]])))
    payload = frame[14:-2]
    assert payload[:4] == bytes([4, 1, INT24, 0])
    assert payload[4:] == bytes.fromhex("563412FEFFFF000080FFFF7F")
    assert frame == ref_samples(7, 9, INT24, [[0x123456, -2, -(2**23), 2**23 - 1]])


@HYPO
@given(block=sample_blocks())
def test_samples_frames_match_reference_encoder(fw, block) -> None:
    seq, t_us, fmt, rows = block
    assert c_bytes(fw.cmd(samples_cmd(seq, t_us, fmt, rows))) == ref_samples(seq, t_us, fmt, rows)


@pytest.mark.parametrize("fmt", [INT16, INT24])
def test_out_of_range_values_are_refused_not_clipped(fw, fmt: int) -> None:
    lo, hi = LIMITS[fmt]
    assert not fw.cmd(samples_cmd(0, 0, fmt, [[lo, hi]])).startswith("ERR")
    assert fw.cmd(samples_cmd(0, 0, fmt, [[lo - 1, 0]])) == "ERR"
    assert fw.cmd(samples_cmd(0, 0, fmt, [[0, hi + 1]])) == "ERR"
    assert fw.cmd(samples_cmd(0, 0, fmt, [[0], [0], [-(2**31)]])) == "ERR"


def test_invalid_shapes_and_formats_are_refused(fw) -> None:
    assert fw.cmd("samples max 0 0 0 1 2") == "ERR"  # no channels
    assert fw.cmd("samples max 0 0 1 0 2") == "ERR"  # no samples
    for fmt in (0x00, 0x01, 0x04, 0xFF):
        assert fw.cmd(f"samples max 0 0 1 1 {fmt} 5") == "ERR"
        assert fw.cmd(f"payloadlen 1 1 {fmt}") == "0"


def test_payload_length_limit(fw) -> None:
    # 4 + 11 * 186 * 2 = 4096: the largest legal payload is accepted ...
    assert fw.cmd(f"payloadlen 11 186 {INT16}") == "4096"
    rows = [[(s * 11 + c) % 3000 - 1500 for c in range(11)] for s in range(186)]
    frame = c_bytes(fw.cmd(samples_cmd(1, 2, INT16, rows)))
    assert len(frame) == 16 + 4096 and frame == ref_samples(1, 2, INT16, rows)
    # ... one more sample's worth is not.
    assert fw.cmd(f"payloadlen 16 128 {INT16}") == "0"
    assert fw.cmd(f"payloadlen 255 255 {INT24}") == "0"
    assert fw.cmd(samples_cmd(1, 2, INT16, [[0] * 16] * 128)) == "ERR"
    assert fw.cmd(f"maxsamples 16 {INT16}") == "127"
    assert fw.cmd(f"maxsamples 1 {INT16}") == "255"
    assert fw.cmd(f"maxsamples 8 {INT24}") == "170"
    assert fw.cmd(f"maxsamples 0 {INT16}") == "0"
    assert fw.cmd("maxsamples 1 9") == "0"


def test_output_buffer_must_hold_the_whole_frame(fw) -> None:
    rows = [[1, -1], [256, -256]]
    assert c_bytes(fw.cmd(samples_cmd(1000, 500000, INT16, rows, cap=28))) == TEST_VECTOR
    assert fw.cmd(samples_cmd(1000, 500000, INT16, rows, cap=27)) == "ERR"
    assert fw.cmd(samples_cmd(1000, 500000, INT16, rows, cap=0)) == "ERR"


@HYPO
@given(
    ftype=st.integers(0, 255),
    seq=st.integers(0, 2**32 - 1),
    t_us=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=600),
    inplace=st.booleans(),
)
def test_generic_frames_match_reference(fw, ftype, seq, t_us, payload, inplace) -> None:
    cmd = "frame_inplace" if inplace else "frame"
    reply = fw.cmd(f"{cmd} max {ftype} {seq} {t_us} {payload.hex() or '-'}")
    assert c_bytes(reply) == ref_frame(ftype, seq, t_us, payload)


def test_generic_frame_limits(fw) -> None:
    big = bytes(range(256)) * 16  # 4096 bytes
    assert c_bytes(fw.cmd(f"frame max 2 0 0 {big.hex()}")) == ref_frame(2, 0, 0, big)
    assert fw.cmd(f"frame max 2 0 0 {(big + b'x').hex()}") == "ERR"
    assert c_bytes(fw.cmd("frame 16 9 0 0 -")) == ref_frame(9, 0, 0, b"")
    assert fw.cmd("frame 15 9 0 0 -") == "ERR"


def test_info_and_marker_frames(fw) -> None:
    info = (
        b'{"device": "emgf-esp32", "fw": "1.0.0", "fs": 1000.0, '
        b'"channels": ["ch1", "ch2"], "uv_per_count": 5.0}'
    )
    frame = c_bytes(fw.cmd(f"info max 123456 {info.hex()}"))
    assert frame == ref_frame(0x02, 0, 123456, info)
    marker = '{"event": "button", "seq": 4242, "note": "µV"}'.encode()
    frame = c_bytes(fw.cmd(f"marker max 77 {marker.hex()}"))
    assert frame == ref_frame(0x03, 0, 77, marker)
    assert frame[3] == 0x03 and frame[6:10] == b"\0\0\0\0"
    # Only the JSON frame types, and never an empty payload.
    assert fw.cmd(f"json max 1 0 {info.hex()}") == "ERR"
    assert fw.cmd(f"json max 4 0 {info.hex()}") == "ERR"
    assert fw.cmd("json max 2 0 -") == "ERR"
    assert fw.cmd(f"info {16 + len(info) - 1} 0 {info.hex()}") == "ERR"


@pytest.mark.parametrize(
    ("mtu", "chunk"),
    [(0, 20), (22, 20), (23, 20), (24, 21), (185, 182), (247, 244), (517, 514), (65535, 65532)],
)
def test_ble_chunk_len(fw, mtu: int, chunk: int) -> None:
    assert fw.cmd(f"chunk {mtu}") == str(chunk)


# ------------------------------------------------------------------ ring buffer


def rb_pop(fw, max_samples: int):
    parts = fw.cmd(f"rb_pop {max_samples}").split()
    n = int(parts[0])
    if n == 0:
        return 0, None, None, []
    return n, int(parts[1]), int(parts[2]), [int(v) for v in parts[3:]]


def rb_push(fw, t_us: int, values) -> str:
    return fw.cmd(f"rb_push {t_us} " + " ".join(str(v) for v in values))


def test_rb_invalid_init_is_refused_and_inert(fw) -> None:
    assert fw.cmd("rb_bad_init") == "OK"
    assert fw.cmd("rb_init 0 2 0") == "ERR"
    assert fw.cmd("rb_init 4 0 0") == "ERR"


def test_rb_empty(fw) -> None:
    assert fw.cmd("rb_init 4 2 0") == "OK"
    assert fw.cmd("rb_count") == "0"
    assert fw.cmd("rb_free") == "4"
    assert rb_pop(fw, 3) == (0, None, None, [])
    assert fw.cmd("rb_discard") == "0"
    assert fw.cmd("rb_overflow") == "0"


def test_rb_full_refuses_counts_and_leaves_a_gap(fw) -> None:
    assert fw.cmd("rb_init 3 2 100") == "OK"
    for i in range(3):
        assert rb_push(fw, 10 + i, [i, -i]) == "OK"
    assert fw.cmd("rb_count") == "3" and fw.cmd("rb_free") == "0"
    for i in range(3, 5):
        assert rb_push(fw, 10 + i, [i, -i]) == "FULL"
    assert fw.cmd("rb_overflow") == "2"
    assert fw.cmd("rb_next_seq") == "105"
    # Stored samples are intact (never overwritten).
    assert rb_pop(fw, 10) == (3, 100, 10, [0, 0, 1, -1, 2, -2])
    assert rb_push(fw, 15, [5, -5]) == "OK"
    assert rb_push(fw, 16, [6, -6]) == "OK"
    # seq 103 and 104 were dropped: the next run starts after the gap.
    assert rb_pop(fw, 10) == (2, 105, 15, [5, -5, 6, -6])


def test_rb_pop_never_spans_a_gap(fw) -> None:
    assert fw.cmd("rb_init 4 1 0") == "OK"
    assert rb_push(fw, 0, [0]) == "OK"
    assert rb_push(fw, 1, [1]) == "OK"
    assert rb_push(fw, 2, [2]) == "OK"
    assert rb_pop(fw, 1) == (1, 0, 0, [0])
    assert rb_push(fw, 3, [3]) == "OK"
    assert rb_push(fw, 4, [4]) == "OK"  # full again: [1, 2, 3, 4]
    assert rb_push(fw, 5, [5]) == "FULL"  # seq 5 dropped
    assert rb_pop(fw, 2) == (2, 1, 1, [1, 2])
    assert rb_push(fw, 6, [6]) == "OK"  # stored after the gap: [3, 4, 6]
    assert rb_pop(fw, 10) == (2, 3, 3, [3, 4])
    assert rb_pop(fw, 10) == (1, 6, 6, [6])
    assert fw.cmd("rb_overflow") == "1"


def test_rb_wraparound_with_non_power_of_two_capacity(fw) -> None:
    assert fw.cmd("rb_init 5 3 0") == "OK"
    seq = 0
    expected_next = 0
    for round_ in range(40):  # many laps of head/tail around 2 * capacity
        k = 1 + (round_ * 3) % 5
        for _ in range(k):
            assert rb_push(fw, seq * 2, [seq, -seq, seq * 7]) == "OK"
            seq += 1
        n, s, t, vals = rb_pop(fw, k)
        assert (n, s, t) == (k, expected_next, expected_next * 2)
        assert vals == [x for i in range(s, s + k) for x in (i, -i, i * 7)]
        expected_next += k
        assert fw.cmd("rb_count") == "0"
    assert fw.cmd("rb_overflow") == "0"


def test_rb_capacity_one(fw) -> None:
    assert fw.cmd("rb_init 1 1 0") == "OK"
    assert fw.cmd("rb_free") == "1"
    for i in range(5):
        assert rb_push(fw, i, [i * 10]) == "OK"
        assert fw.cmd("rb_count") == "1" and fw.cmd("rb_free") == "0"
        assert rb_push(fw, 99, [99]) == "FULL"
        assert rb_pop(fw, 4) == (1, 2 * i, i, [i * 10])
        assert fw.cmd("rb_count") == "0"
    assert fw.cmd("rb_overflow") == "5"
    assert fw.cmd("rb_next_seq") == "10"


def test_rb_discard_and_restart(fw) -> None:
    assert fw.cmd("rb_init 4 2 0") == "OK"
    for i in range(6):
        rb_push(fw, i, [i, i])
    assert fw.cmd("rb_overflow") == "2"
    assert fw.cmd("rb_discard") == "4"
    assert fw.cmd("rb_count") == "0"
    assert fw.cmd("rb_restart 0") == "OK"
    assert fw.cmd("rb_overflow") == "0" and fw.cmd("rb_next_seq") == "0"
    assert rb_push(fw, 50, [7, 8]) == "OK"
    assert rb_pop(fw, 4) == (1, 0, 50, [7, 8])


def test_rb_seq_wraps_at_2_32(fw) -> None:
    assert fw.cmd(f"rb_init 8 1 {2**32 - 2}") == "OK"
    for i in range(5):
        assert rb_push(fw, i, [i]) == "OK"
    # One contiguous run across the wrap: ..., 2^32-1, 0, 1, ...
    assert rb_pop(fw, 8) == (5, 2**32 - 2, 0, [0, 1, 2, 3, 4])
    assert fw.cmd("rb_next_seq") == "3"


def test_rb_extreme_values_round_trip(fw) -> None:
    assert fw.cmd("rb_init 2 3 0") == "OK"
    vals = [-(2**31), 2**31 - 1, 0]
    assert rb_push(fw, 2**32 - 1, vals) == "OK"
    assert rb_pop(fw, 1) == (1, 0, 2**32 - 1, vals)


ops = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(1, 6)),
        st.tuples(st.just("pop"), st.integers(0, 8)),
        st.tuples(st.just("discard"), st.just(0)),
    ),
    max_size=60,
)


@HYPO
@given(
    capacity=st.integers(1, 7), n_ch=st.integers(1, 3), first=st.integers(0, 2**32 - 1), script=ops
)
def test_rb_matches_model(fw, capacity, n_ch, first, script) -> None:
    """Random push/pop/discard sequences against a Python model of the contract."""
    assert fw.cmd(f"rb_init {capacity} {n_ch} {first}") == "OK"
    stored: list[tuple[int, int, list[int]]] = []  # (seq, t_us, values)
    next_seq, overflow, clock = first, 0, 0
    for op, arg in script:
        if op == "push":
            for _ in range(arg):
                clock += 1
                vals = [(next_seq * 13 + c) % 100000 - 50000 for c in range(n_ch)]
                reply = rb_push(fw, clock, vals)
                if len(stored) < capacity:
                    assert reply == "OK"
                    stored.append((next_seq, clock, vals))
                else:
                    assert reply == "FULL"
                    overflow += 1
                next_seq = (next_seq + 1) % 2**32
        elif op == "pop":
            n, s, t, vals = rb_pop(fw, arg)
            run = []
            for item in stored[:arg]:
                if run and item[0] != (run[0][0] + len(run)) % 2**32:
                    break
                run.append(item)
            assert n == len(run)
            if run:
                assert (s, t) == (run[0][0], run[0][1])
                assert vals == [v for item in run for v in item[2]]
            del stored[: len(run)]
        else:
            assert fw.cmd("rb_discard") == str(len(stored))
            stored.clear()
        assert fw.cmd("rb_count") == str(len(stored))
        assert fw.cmd("rb_free") == str(capacity - len(stored))
        assert fw.cmd("rb_overflow") == str(overflow)
        assert fw.cmd("rb_next_seq") == str(next_seq)


@pytest.mark.parametrize(
    ("items", "capacity", "n_ch"), [(200000, 64, 4), (50000, 1, 1), (50000, 7, 8)]
)
def test_rb_two_threads_spsc(fw, items: int, capacity: int, n_ch: int) -> None:
    """A producer thread and a consumer thread: every stored sample arrives intact, in order,
    and stored + refused == pushed, refused == the overflow counter."""
    status, pushed, stored, refused, popped = fw.cmd(f"rb_stress {items} {capacity} {n_ch}").split()
    assert status == "OK"
    assert int(pushed) == items == int(stored) + int(refused)
    assert int(popped) == int(stored) > 0


def test_rb_skip_makes_an_exact_gap(fw) -> None:
    """Missed sampling instants (late sampler) advance seq and are counted, like overflow."""
    assert fw.cmd("rb_init 8 1 0") == "OK"
    assert rb_push(fw, 0, [10]) == "OK"
    assert fw.cmd("rb_skip 3") == "OK"
    assert rb_push(fw, 4, [14]) == "OK"
    assert fw.cmd("rb_skipped") == "3" and fw.cmd("rb_overflow") == "0"
    assert rb_pop(fw, 8) == (1, 0, 0, [10])
    assert rb_pop(fw, 8) == (1, 4, 4, [14])
    assert fw.cmd("rb_restart 0") == "OK"
    assert fw.cmd("rb_skipped") == "0"
