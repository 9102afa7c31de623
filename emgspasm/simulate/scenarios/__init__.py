"""Class generators: one module per label, each `plan(...) -> Plan | None` and `render(...)`.

Why a registry: adding a class (docs/labels.md#later-classes: `spasm`, `clonus`, `myokymia`) is a
new module here
and a new entry below, not a rewrite of the scheduler.
"""

from __future__ import annotations

from types import ModuleType

from emgspasm.simulate.scenarios import artifact, cramp, rigidity, twitch, voluntary

GENERATORS: dict[str, ModuleType] = {
    "voluntary": voluntary,
    "cramp": cramp,
    "twitch": twitch,
    "rigidity": rigidity,
    "artifact": artifact,
}

__all__ = ["GENERATORS"]
