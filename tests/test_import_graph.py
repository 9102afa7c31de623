"""Imports go one way: no import circle in `emgspasm` or `firmware_bridge`, and
`firmware_bridge` never imports `emgspasm`.

Why: data flows bytes -> samples -> features -> events (docs/architecture.md#layers), and a
module may import only what lies upstream of it or beside it. A circle, even one hidden in a
function body or under `TYPE_CHECKING`, means a concept sits in the wrong module: the two sides
cannot be understood, tested or moved apart. So every import counts here, wherever it is
written. The graph is built from the source with `ast` (nothing is imported), like MNE's
import-nesting test. An import of a package counts as an edge to its `__init__`, but importing
a submodule does not count as importing its parents (Python runs their `__init__` first, yet
they do not depend on the submodule).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("emgspasm", "firmware_bridge")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:  # `from pkg import sub` imports the submodule pkg.sub
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_modules_and_their_imports() -> None:
    """Guards the test itself: a parser that found no edges would pass everything."""
    graph = _graph()
    assert "emgspasm.pipeline" in graph and "firmware_bridge.devices" in graph
    assert "emgspasm.events" in graph["emgspasm.pipeline"]
    assert "firmware_bridge.protocols.registry" in graph["firmware_bridge.devices"]


@pytest.mark.parametrize("graph", [
    {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}},
])
def test_a_circle_is_found(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    graph = _graph()
    circles = _cycles(graph)
    described = []
    for members in circles:
        inside = set(members)
        edges = [f"{a} -> {b}" for a in members for b in sorted(graph[a] & inside)]
        described.append("circle: " + ", ".join(edges))
    assert not circles, "\n".join(described)


def test_firmware_bridge_never_imports_emgspasm() -> None:
    graph = _graph()
    wrong = sorted(f"{a} -> {b}" for a, deps in graph.items() if a.startswith("firmware_bridge")
                   for b in deps if b.split(".")[0] == "emgspasm")
    # Also imports the graph could not resolve to a module file (e.g. a typo'd name).
    for path in (REPO / "firmware_bridge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            wrong += [f"{_module_name(path)} -> {n}" for n in names
                      if n.split(".")[0] == "emgspasm"]
    assert not wrong, sorted(set(wrong))
