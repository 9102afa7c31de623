"""emgspasm: label cramps, twitches and rigidity in surface EMG, live and on recordings.

>>> import emgspasm
>>> sim = emgspasm.simulate(duration_s=20.0, fs=1000.0, n_channels=2, seed=1)
>>> events = emgspasm.analyze(sim.recording)
>>> {e.label for e in events} <= set(emgspasm.LABELS)
True

The public names are imported on first use (PEP 562 module `__getattr__`), not here: the
pipeline pulls in scipy.signal and the simulator, which cost over a second, and the command
line (`emgspasm --help`, or a subcommand that needs none of it) must start in a fraction of
that. `from emgspasm import Pipeline` and `emgspasm.analyze(...)` work as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str | None]] = {
    "LABELS": ("emgspasm.events", "LABELS"),
    "Event": ("emgspasm.events", "Event"),
    "read_events": ("emgspasm.events", "read_events"),
    "write_events": ("emgspasm.events", "write_events"),
    "Annotation": ("emgspasm.recording", "Annotation"),
    "Recording": ("emgspasm.recording", "Recording"),
    "Pipeline": ("emgspasm.pipeline", "Pipeline"),
    "analyze": ("emgspasm.analyze", "analyze"),
    "read": ("emgspasm.io", "read"),
    "write": ("emgspasm.io", "write"),
    # the subpackage itself, which is callable (`emgspasm.simulate(...)`)
    "simulate": ("emgspasm.simulate", None),
}
"""Public name -> (module, attribute in it; None for the module itself)."""

__all__ = [
    "LABELS",
    "Annotation",
    "Event",
    "Pipeline",
    "Recording",
    "__version__",
    "analyze",
    "read",
    "read_events",
    "simulate",
    "write",
    "write_events",
]

if TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
    from emgspasm import simulate
    from emgspasm.analyze import analyze
    from emgspasm.events import LABELS, Event, read_events, write_events
    from emgspasm.io import read, write
    from emgspasm.pipeline import Pipeline
    from emgspasm.recording import Annotation, Recording


def __getattr__(name: str) -> Any:
    """Import a public name on first access and cache it in the module's namespace."""
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'emgspasm' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
