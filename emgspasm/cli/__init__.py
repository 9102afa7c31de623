"""The `emgspasm` command line: `main` (the console script, ``emgspasm = "emgspasm.cli:main"``)
and `build_parser`; ``python -m emgspasm.cli`` runs the same.

The commands live beside this file, by what they need (docs/architecture.md#the-package-layout):

* `offline` -- ``analyze``, ``simulate``, ``evaluate``, ``train``, ``demo``: recordings and
  simulated sessions, no device;
* `live` -- ``stream``, ``replay``, ``emulate``, ``devices``: a device or a stream (it also
  runs on its own, ``python -m emgspasm.cli.live``).

Each module adds its subcommands to the parser (`add_offline_commands`, `add_live_commands`)
and imports what a command needs only when that command runs: ``emgspasm --help`` builds the
whole parser and imports neither numpy nor the pipeline. The two are imported inside
`build_parser`, not at the top, so that ``python -m emgspasm.cli.live`` does not import that
module a second time through this package.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from emgspasm import __version__


def build_parser() -> argparse.ArgumentParser:
    """The `emgspasm` parser with every subcommand."""
    from emgspasm.cli.live import add_live_commands
    from emgspasm.cli.offline import add_offline_commands

    p = argparse.ArgumentParser(prog="emgspasm", description=(
        "Label cramps, twitches and rigidity in surface EMG, live and on recordings."))
    p.add_argument("--version", action="version", version=f"emgspasm {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    add_offline_commands(sub)
    add_live_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: the process's arguments); the exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
