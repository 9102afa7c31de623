"""What the held-out benchmarks share: the command line and running one job per session.

`accuracy.py` and `alerts.py` both take a split, a number of sessions and a worker count, and
run a function on each session of the split in a spawned process pool; `generalisation.py`
uses the same pool for its mixed jobs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
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
    results = pool_map(one, [args.split] * args.sessions, range(args.sessions),
                       workers=args.workers)
    return args, results


def pool_map(fn: Callable[..., Any], *iterables: Iterable[Any], workers: int) -> list:
    """`fn` over the iterables in a process pool, results in input order.

    Spawned, not forked: a forked child would inherit the parent's OpenMP and BLAS thread
    state (scikit-learn's trees), which can deadlock; spawn also matches macOS and Windows.
    """
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(fn, *iterables))
