"""The live commands of the `emgspasm` CLI: ``stream``, ``replay``, ``emulate``, ``devices``.

`add_live_commands(subparsers)` adds them to the main parser (docs/architecture.md#contracts); this
module also runs on its own (``python -m emgspasm.cli.live stream ...``). Exit codes: 0 done,
1 the session failed (port cannot be opened, device not found, decode error, no valid frame
from the device, or an output such as a recording failed part-way: the session went on
without it), 2 bad usage (unknown device, no port, a BLE device without bleak installed,
--lsl without pylsl).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emgspasm.cli.montage import add_montage_options

CAPTURE_SUFFIX = ".emgcap"

log = logging.getLogger("emgspasm.cli.live")

INTERRUPTED = 130
"""Exit code after a second Ctrl-C (the shell's 128 + SIGINT)."""


def _option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with a JSON value where it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"bad option {text!r}; use KEY=VALUE, e.g. n_channels=2")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _speed(text: str) -> float | None:
    if text.lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad speed {text!r}; use a number or 'max'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be > 0")
    return value


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
                        format="emgspasm: %(message)s")


def _error(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


# ---- stream / replay -------------------------------------------------------------------

def _sinks(args: argparse.Namespace, records: Sequence[str], source: Any, source_id: str) -> list:
    from emgspasm.live.sinks import EventsJsonlSink, RecordingSink
    from emgspasm.live.terminal import TerminalSink

    sinks: list = []
    if args.lsl:
        from emgspasm.live.lsl import LslSink

        sinks.append(LslSink(source_id))
    sinks += [RecordingSink(path) for path in records]
    if args.events:
        sinks.append(EventsJsonlSink(args.events))
    sinks.append(TerminalSink(status=not args.quiet, stats=lambda: source.stats)
                 if not args.quiet else _summary_only())
    return sinks


def _summary_only() -> Any:
    """With --quiet: a sink printing nothing but the final summary line (the `Sink` base
    ignores blocks, events and alerts, so a sink method added later cannot end a quiet
    session). Defined here, not at module level, because `emgspasm.live.sinks` imports numpy
    and the device layer, which `emgspasm --help` must not wait for."""
    from emgspasm.live.sinks import Sink

    class _SummaryOnly(Sink):
        def describe(self) -> str:
            return "terminal"

        def close(self, summary: Any) -> None:
            if summary is not None:
                print(summary.line(), flush=True)

    return _SummaryOnly()


async def _run(runner: Any) -> Any:
    """Run with Ctrl-C / SIGTERM asking for a clean stop. A second one while the files are
    being flushed only says so (aborting then is what corrupts a recording); a third aborts."""
    loop = asyncio.get_running_loop()
    installed = []
    heard: dict[signal.Signals, int] = {}

    def on_signal(sig: signal.Signals) -> None:
        heard[sig] = heard.get(sig, 0) + 1
        name = "Ctrl-C" if sig == signal.SIGINT else sig.name
        if heard[sig] == 1:
            log.warning("stopping (%s): decoding what arrived and closing the files", name)
            runner.stop(name)
            return
        log.warning("still stopping: closing the files; %s once more aborts without it", name)
        loop.remove_signal_handler(sig)  # the next one uses the default: abort

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
    try:
        return await runner.run()
    finally:
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


def _check_lsl(args: argparse.Namespace) -> None:
    if args.lsl:
        from emgspasm.live.lsl import import_pylsl

        import_pylsl()


def _session(args: argparse.Namespace, source: Any, records: Sequence[str], source_id: str,
             device: str | None = None) -> int:
    from emgspasm.live.runner import LiveRunner, make_pipeline_factory

    factory, mode = make_pipeline_factory(args.model, pairs=args.pairs,
                                          neighbours=args.neighbours or ())
    sinks = _sinks(args, records, source, source_id)
    runner = LiveRunner(source, sinks, pipeline_factory=factory, mode=mode,
                        duration_s=getattr(args, "duration", None),
                        lossless=getattr(args, "speed", 1.0) is None)
    try:
        summary = asyncio.run(_run(runner))
    # OSError: the port never opened. ValueError: the device cannot be decoded, or a replayed
    # file turns out bad after its start (RecordingError is a ValueError).
    except (OSError, ValueError) as exc:
        return _error(str(exc), 1)
    except KeyboardInterrupt:  # a second Ctrl-C while the first one's shutdown was flushing
        return _error("interrupted again while stopping: files closed as far as they got",
                      INTERRUPTED)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary.to_dict(), indent=1))
    if device is not None and summary.samples_received == 0 and summary.bad_frames:
        # Bytes arrived, none of them parsed: most likely another device on this port.
        return _error(f"no valid {device} frames in {summary.wall_s:.1f} s "
                      f"({summary.bad_frames} bad frames): is this a {device}?", 1)
    return 1 if summary.failed_outputs else 0


def cmd_stream(args: argparse.Namespace) -> int:
    """``emgspasm stream``: a device through the live pipeline."""
    from emgspasm.live.lsl import LslUnavailable
    from firmware_bridge.devices import TransportUnavailable, open_source

    _setup_logging(args.quiet)
    records = list(args.record or [])
    captures = [r for r in records if Path(r).suffix.lower() == CAPTURE_SUFFIX]
    if len(captures) > 1:
        return _error("give at most one .emgcap capture to --record", 2)
    try:
        _check_lsl(args)
        source = open_source(args.device, port=args.port, address=args.address,
                             options=dict(args.opt or []),
                             capture_path=captures[0] if captures else None)
    except (KeyError, ValueError, TypeError, TransportUnavailable, LslUnavailable) as exc:
        return _error(str(exc).strip("'\""), 2)
    endpoint = args.port or args.address or "?"
    source_id = f"emgspasm-{args.device}-{endpoint}"
    return _session(args, source, [r for r in records if r not in captures], source_id,
                    device=args.device)


def cmd_replay(args: argparse.Namespace) -> int:
    """``emgspasm replay``: a capture or recording through the live path."""
    from emgspasm.io.errors import RecordingError
    from emgspasm.live.lsl import LslUnavailable
    from emgspasm.live.sources import open_replay
    from firmware_bridge.transports.capture import CaptureError

    _setup_logging(args.quiet)
    try:
        _check_lsl(args)
        source = open_replay(args.path, speed=args.speed)
    except (CaptureError, RecordingError, LslUnavailable, ValueError) as exc:
        return _error(str(exc), 2)
    except FileNotFoundError as exc:
        return _error(f"{args.path}: {exc.strerror}", 2)
    source_id = f"emgspasm-replay-{Path(args.path).name}"
    return _session(args, source, list(args.record or []), source_id)


# ---- emulate ---------------------------------------------------------------------------

def cmd_emulate(args: argparse.Namespace) -> int:
    """``emgspasm emulate``: a virtual device until Ctrl-C (or --duration): a pty for a serial
    device, a peripheral on a private BLE test stack for a BLE device."""
    from emgspasm.live.emulate import emulator_uv
    from firmware_bridge.devices import TransportUnavailable, get_device
    from firmware_bridge.emulators import FaultPlan, device_personality, make_emulator

    _setup_logging(args.quiet)
    try:
        spec = get_device(args.device).with_options(**dict(args.opt or []))
        personality = device_personality(spec)
        uv, what = emulator_uv(personality.fs, personality.n_channels, args.source,
                               seed=args.seed, scenario=args.scenario)
    except (KeyError, TransportUnavailable) as exc:
        return _error(str(exc).strip("'\""), 2)
    except (OSError, ValueError) as exc:
        return _error(str(exc), 2)
    link = args.link or os.path.join(tempfile.gettempdir(), f"emgspasm-{spec.name}-{os.getpid()}")
    faults = FaultPlan(drop_rate=args.drop_rate, garbage_rate=args.garbage_rate,
                       unplug_every_s=args.unplug_every, unplug_for_s=args.unplug_for,
                       seed=args.seed)
    device = make_emulator(spec, uv=uv, faults=faults, link_path=link, address=args.address)
    stop = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        device.start()
        print(f"{spec.name} emulator on {device.where}")
        print(f"  signal: {what}; {personality.n_channels} channels at {personality.fs:g} Hz")
        for key, value in device.environment.items():
            print(f"  in the shell that streams: export {key}={shlex.quote(value)}")
        print(f"  stream it: emgspasm stream --device {spec.name} "
              f"{device.endpoint_option} {device.endpoint}")
        print("  Ctrl-C to stop.", flush=True)
        t_end = None if args.duration is None else time.monotonic() + args.duration
        while not stop and (t_end is None or time.monotonic() < t_end):
            time.sleep(0.1)
            if device.error is not None:
                return _error(f"emulator failed: {device.error}", 1)
    except RuntimeError as exc:  # the BLE test stack cannot start here
        return _error(str(exc), 1)
    finally:
        device.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    st = device.stats
    print(f"emulator stopped: {st.samples_sent} samples sent in {st.units_sent} units, "
          f"{st.units_dropped} units dropped, {st.garbage_bytes} garbage bytes, "
          f"{st.unplugs} unplugs, {st.overflow_units} units lost to overflow", flush=True)
    return 0


# ---- devices ---------------------------------------------------------------------------

def _ble_scan(timeout_s: float) -> tuple[list[dict[str, Any]], str]:
    """BLE devices in range (as dicts) and a note for when there are none or no stack."""
    if timeout_s <= 0:
        return [], "BLE scan skipped (--ble-timeout 0)"
    try:
        from firmware_bridge.transports import ble
    except ImportError:
        return [], "bleak is not installed: pip install 'emgspasm[devices]'"
    from firmware_bridge.devices import ble_devices

    advertised = {spec.name: spec.ble.advertised_service for spec in ble_devices() if spec.ble}
    try:
        found = asyncio.run(ble.scan(timeout_s, advertised))
    except ble.BLE_ERRORS as exc:
        return [], f"BLE scan unavailable: {ble.explain(exc)}"
    rows = [dataclasses.asdict(s) for s in found]
    return rows, "" if rows else f"no BLE devices advertising in {timeout_s:g} s of scanning"


def cmd_devices(args: argparse.Namespace) -> int:
    """``emgspasm devices``: supported devices, serial ports seen, BLE devices in range."""
    from firmware_bridge.devices import DEVICES, describe

    rows = [describe(spec) for spec in DEVICES.values()]
    ports: list[dict[str, str]] = []
    try:
        from serial.tools import list_ports

        ports = [{"port": p.device, "description": p.description, "hwid": p.hwid}
                 for p in list_ports.comports()]
        serial_note = "" if ports else "no serial ports found (ptys are never listed)"
    except ImportError:
        serial_note = "pyserial is not installed: pip install 'emgspasm[devices]'"
    ble_found, ble_note = _ble_scan(args.ble_timeout)
    if args.json:
        print(json.dumps({"devices": rows, "serial_ports": ports, "serial_note": serial_note,
                          "ble_devices": ble_found, "ble_note": ble_note}, indent=1))
        return 0
    print("Supported devices:")
    print(f"  {'name':<9} {'link':<6} {'codec':<8} {'fs':>6}  {'uV/count':<14} description")
    for r in rows:
        fs = f"{r['fs']:g}" if r["fs"] else "device"
        print(f"  {r['name']:<9} {r['transport']:<6} {r['codec']:<8} {fs:>6}  "
              f"{r['uv_per_count'][:14]:<14} {r['description']}")
    print("\nSerial ports:")
    for p in ports:
        print(f"  {p['port']:<20} {p['description']}  [{p['hwid']}]")
    if serial_note:
        print(f"  {serial_note}")
    print("\nBLE devices in range:")
    for d in ble_found:
        rssi = f"{d['rssi']} dBm" if d["rssi"] is not None else "?"
        hint = "".join(f"  -> emgspasm stream --device {name} --address {d['address']}"
                       for name in d["devices"])
        print(f"  {d['address']:<18} {d['name'] or '(no name)':<16} {rssi:>8}{hint}")
    if ble_note:
        print(f"  {ble_note}")
    return 0


# ---- parser ----------------------------------------------------------------------------

def _common_session_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--record", action="append", metavar="PATH",
                   help="record to PATH: .bdf (BDF+), .edf (EDF+), .csv, or .emgcap (raw "
                        "capture, stream only); repeat for several")
    p.add_argument("--events", metavar="PATH", help="write events as JSON lines here")
    p.add_argument("--lsl", action="store_true",
                   help="publish events (and the signal) as LSL outlets (needs pylsl)")
    p.add_argument("--model", help="classifier model file (default: the shipped model)")
    add_montage_options(p)
    p.add_argument("--quiet", action="store_true", help="print only the final summary line")
    p.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")


def add_live_commands(subparsers: Any) -> None:
    """Add ``stream``, ``replay``, ``emulate`` and ``devices`` to an argparse subparsers."""
    s = subparsers.add_parser("stream", help="stream a device live: labels, events, recording")
    s.add_argument("--device", required=True, help="device name (see `emgspasm devices`)")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--port", help="serial port, e.g. /dev/ttyUSB0, COM3, a pty or symlink")
    where.add_argument("--address", help="BLE devices: address or advertised name (default: the "
                       "first device advertising the device's service)")
    s.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    s.add_argument("--opt", action="append", type=_option, metavar="KEY=VALUE",
                   help="codec option override, e.g. n_channels=2 or has_seq=false")
    _common_session_options(s)
    s.set_defaults(func=cmd_stream)

    r = subparsers.add_parser("replay", help="play a capture (.emgcap) or recording through "
                              "the live path")
    r.add_argument("path", help="a .emgcap capture or any recording (.bdf/.edf/.csv/...)")
    r.add_argument("--speed", type=_speed, default=1.0,
                   help="playback speed: a factor (1 = real time) or 'max' (default 1)")
    _common_session_options(r)
    r.set_defaults(func=cmd_replay)

    e = subparsers.add_parser("emulate", help="run a virtual device: a pty (prints its path) or "
                              "a BLE peripheral on a private test stack (prints how to reach it)")
    e.add_argument("--device", required=True, help="device to emulate: cyton, bitalino, emgf, "
                   "ascii (serial, on a pty); myo, emgf-ble (BLE)")
    e.add_argument("--source", help="recording to stream (default: a simulated session)")
    e.add_argument("--scenario", default="mixed", help="simulated scenario (default mixed)")
    e.add_argument("--seed", type=int, default=0, help="simulation and fault seed")
    e.add_argument("--link", help="serial: stable symlink to the pty (default: a temp path); "
                   "it survives unplug/replug")
    e.add_argument("--address", help="BLE: the device address (default F0:E0:00:00:00:01)")
    e.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    e.add_argument("--drop-rate", type=float, default=0.0, help="probability of dropping a unit")
    e.add_argument("--garbage-rate", type=float, default=0.0,
                   help="probability of garbage bytes before a unit")
    e.add_argument("--unplug-every", type=float, metavar="S", help="unplug every S s of signal")
    e.add_argument("--unplug-for", type=float, default=1.0, metavar="S",
                   help="unplug duration (default 1 s)")
    e.add_argument("--opt", action="append", type=_option, metavar="KEY=VALUE",
                   help="device codec option override (as for stream)")
    e.add_argument("--quiet", action="store_true", help="less logging")
    e.set_defaults(func=cmd_emulate)

    d = subparsers.add_parser("devices", help="list supported devices, serial ports and BLE "
                              "devices in range")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.add_argument("--ble-timeout", type=float, default=4.0, metavar="S",
                   help="seconds to scan for BLE devices (0: no scan; default 4)")
    d.set_defaults(func=cmd_devices)


def build_parser() -> argparse.ArgumentParser:
    """A parser with only the live commands (standalone use and tests)."""
    p = argparse.ArgumentParser(prog="emgspasm", description="emgspasm live commands")
    add_live_commands(p.add_subparsers(dest="command", required=True))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``python -m emgspasm.cli.live``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
