"""HTML building blocks: one self-contained page (inline CSS, embedded images), tables, chips.

Plain string assembly rather than a template engine: the pages are a handful of sections and
tables, and every piece of text passes through `esc` (``html.escape``) on its way in, so file
names, channel names and labels from a recording cannot inject markup. Pieces that are already
HTML travel as `Html`, so nothing is escaped twice and nothing is forgotten.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from emgspasm.report.style import label_color

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #fafafa; line-height: 1.4; }
main { max-width: 1240px; margin: 0 auto; padding: 1em 1.5em 3em; background: #fff; }
h1 { font-size: 1.5em; margin: 0.4em 0; word-break: break-all; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fff4f0; }
tr.pooled td { font-weight: 600; border-top: 2px solid #999; }
.chip { display: inline-block; padding: 0.05em 0.5em; border-radius: 0.7em; color: #fff;
        font-size: 0.9em; white-space: nowrap; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; }
.facts dt { color: #666; } .facts dd { margin: 0; }
.snippets { display: flex; flex-wrap: wrap; gap: 1em; }
.snippets figure { margin: 0; flex: 1 1 560px; max-width: 600px; }
figcaption { font-size: 0.85em; color: #444; }
.note { color: #555; font-size: 0.9em; }
.flag { color: #9b2c10; }
.error { color: #9b2c10; font-family: ui-monospace, monospace; white-space: pre-wrap; }
"""


class Html(str):
    """A string that already is HTML: table cells and page parts pass it through unescaped."""


def esc(value: object) -> Html:
    """Text made safe for HTML content and attribute values."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def chip(label: str, text: str | None = None) -> Html:
    """A label in its colour, as in the figures."""
    return Html(f'<span class="chip" style="background:{label_color(label)}">'
                f"{esc(label if text is None else text)}</span>")


def image(data_uri: str, alt: str) -> Html:
    """An embedded image (the URI comes from `png_data_uri`, never from user text)."""
    return Html(f'<img src="{esc(data_uri)}" alt="{esc(alt)}">')


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *,
          numeric: Sequence[int] = (), row_classes: Sequence[str] | None = None) -> Html:
    """A table; cells are escaped unless `Html`; columns in `numeric` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes is not None and row_classes[i] else ""
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if j in numeric else f"<td>{esc(c)}</td>"
            for j, c in enumerate(row)
        )
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def facts(pairs: Iterable[tuple[str, object]]) -> Html:
    """A two-column list of facts (name: value)."""
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs)
    return Html(f'<dl class="facts">{items}</dl>')


def section(title: str, *parts: object) -> Html:
    """An ``<h2>`` section of parts (text is escaped, `Html` kept)."""
    return Html(f"<section><h2>{esc(title)}</h2>{''.join(esc(p) for p in parts)}</section>")


def paragraph(text: object, cls: str | None = None) -> Html:
    attr = f' class="{esc(cls)}"' if cls else ""
    return Html(f"<p{attr}>{esc(text)}</p>")


def write_page(path: str | Path, title: str, *parts: object) -> Path:
    """Write a complete UTF-8 page with inline CSS; parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(esc(p) for p in parts)
    document = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body><main>\n{body}\n</main></body>\n</html>\n"
    )
    path.write_text(document, encoding="utf-8")
    return path
