"""Every option of every subcommand explains itself in `--help`, and the package says it is typed.

Why a test: argparse accepts an option without help and prints it bare, which a user reading
`emgspasm demo --help` cannot act on; and a missing `py.typed` makes type checkers ignore the
hints users rely on, silently.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from emgspasm.cli import build_parser

REPO = Path(__file__).resolve().parents[2]


def _options(parser: argparse.ArgumentParser, prog: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{prog} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield prog, action


def test_every_cli_option_has_help_text() -> None:
    bare = [f"{prog} {'/'.join(a.option_strings) or a.dest}"
            for prog, a in _options(build_parser(), "emgspasm")
            if not a.help]
    assert not bare, f"options without help text: {bare}"


def test_every_subcommand_has_a_summary() -> None:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    listed = {c.dest for c in sub._choices_actions if c.help}
    assert listed == set(sub.choices), set(sub.choices) - listed


def test_both_packages_ship_py_typed() -> None:
    for package in ("emgspasm", "firmware_bridge"):
        assert (REPO / package / "py.typed").is_file(), package
