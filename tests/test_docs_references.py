"""References to the documentation point inside the repository, at pages and headings that exist.

Why: the code and the README cite `docs/<page>.md#<heading>` for what a label means, how it is
scored or how a wire format looks. A renamed heading or a reference to a document that is not
in the repository (the project's users only have the repository) leaves the reader nowhere;
`mkdocs build --strict` checks links inside docs/, this checks the references from outside it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SOURCES = ("emgspasm", "firmware_bridge", "tests", "benchmarks", "datasets")
SUFFIXES = {".py", ".md", ".c", ".h", ".ino", ".ini", ".toml"}
REFERENCE = re.compile(r"docs/([\w-]+\.md)(?:#([\w-]+))?")
OUTSIDE = re.compile(r"\b(SPEC|DESIGN|TESTING|PROTOCOLS|STYLE)\.md\b")


def _slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) and GitHub give a heading."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", page.read_text(encoding="utf-8"), re.M)
    return {_slug(h) for h in headings}


def _files() -> list[Path]:
    found = [REPO / "README.md", REPO / "pyproject.toml", REPO / "mkdocs.yml"]
    for top in SOURCES:
        found += [p for p in (REPO / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return [p for p in found if p.is_file() and p != Path(__file__)]


def test_every_docs_reference_names_an_existing_page_and_heading() -> None:
    anchors = {p.name: _anchors(p) for p in DOCS.glob("*.md")}
    broken = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for page, anchor in REFERENCE.findall(text):
            where = f"{path.relative_to(REPO)}: docs/{page}" + (f"#{anchor}" if anchor else "")
            if page not in anchors or (anchor and anchor not in anchors[page]):
                broken.append(where)
    assert not broken, "references to missing docs pages or headings:\n" + "\n".join(broken)


def test_nothing_points_to_design_notes_outside_the_repository() -> None:
    outside = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in _files()
               for m in OUTSIDE.finditer(p.read_text(encoding="utf-8", errors="replace"))]
    assert not outside, "references to documents users do not have:\n" + "\n".join(outside)
