"""What the held-out benchmarks share: the command line and running one job per session.

`accuracy.py` and `alerts.py` both take a split, a number of sessions and a worker count, and
run a function on each session of the split in a spawned process pool.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from emgspasm.sets import SPLITS


def run_sessions(doc: str, one: Callable[[str, int], Any]) -> tuple[argparse.Namespace, list]:
    """Parse `--split --sessions --workers`; return the arguments and `one(split, i)` for
    every session, in order."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--split", choices=sorted(SPLITS), default="test")
    p.add_argument("--sessions", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(one, [args.split] * args.sessions, range(args.sessions)))
    return args, results
