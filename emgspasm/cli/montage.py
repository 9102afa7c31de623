"""The montage options every command that runs the pipeline takes: ``--pairs``, ``--neighbours``.

One parser for both, shared by ``analyze`` (`emgspasm.cli.offline`) and ``stream``/``replay``
(`emgspasm.cli.live`), so a montage is written the same way everywhere.
"""

from __future__ import annotations

import argparse


def channel_pairs(text: str) -> list[tuple[int, int]]:
    """Parse a montage like '1:2,3:4' (1-based channel numbers) into 0-based index pairs."""
    pairs = []
    for item in filter(None, text.split(",")):
        a, _, b = item.partition(":")
        try:
            pairs.append((int(a) - 1, int(b) - 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad pair {item!r}; use e.g. 1:2,3:4") from None
    return pairs


def add_montage_options(p: argparse.ArgumentParser) -> None:
    """``--pairs`` and ``--neighbours`` on `p` (dests ``pairs``, ``neighbours``)."""
    p.add_argument("--pairs", type=channel_pairs,
                   help="agonist:antagonist montage, 1-based, e.g. 1:2,3:4 (default: "
                        "consecutive channels 1:2, 3:4, ...)")
    p.add_argument("--neighbours", type=channel_pairs,
                   help="channels that see each other's crosstalk without being a pair, 1-based "
                        "like --pairs (armband: 1:2,2:3,...,8:1); a weak copy of a neighbour's "
                        "burst then joins that neighbour's event")
