"""The per-recording HTML page: parses, is self-contained, shows every label, escapes text."""

from __future__ import annotations

import base64
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from emgspasm.events import Event
from emgspasm.io import write
from emgspasm.recording import Recording
from emgspasm.report import RecordingProfile, write_recording_report
from emgspasm.report.style import LABEL_COLORS, format_clock, label_color
from emgspasm.report.tables import MAX_EVENT_ROWS

from .conftest import Written, profile_of

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Collects what the tests look at: images, section titles, tables, text, external refs."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[str] = []
        self.h2: list[str] = []
        self.headers: list[str] = []
        self.rows = 0
        self.text: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self._in: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values["src"] or "")
        if tag == "tr":
            self.rows += 1
        for key in ("src", "href"):
            ref = values.get(key) or ""
            if ref and not ref.startswith("data:"):
                self.external.append(ref)
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            del self._in[len(self._in) - 1 - self._in[::-1].index(tag):]

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        self._in.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "h2" in self._in:
            self.h2.append(data)
        if "th" in self._in:
            self.headers.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def _png(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix):], validate=True)


@pytest.fixture(scope="module")
def page(written: Written, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Page]:
    out = tmp_path_factory.mktemp("html") / "sub" / "session.report.html"
    returned = write_recording_report(written.path, written.events, written.profile, out)
    assert returned == out
    return out, Page(out.read_text(encoding="utf-8"))


def test_page_is_self_contained_with_embedded_pngs(page, written: Written) -> None:
    _, parsed = page
    assert parsed.external == []
    labels = {e.label for e in written.events}
    # overview + up to 3 snippets per label
    assert len(parsed.images) >= 1 + len(labels)
    for uri in parsed.images:
        assert _png(uri).startswith(PNG_SIGNATURE)
    assert {"html", "head", "body", "style", "table"} <= set(parsed.tags)


def test_sections_header_and_every_label(page, written: Written) -> None:
    _, parsed = page
    text = parsed.all_text
    assert [h.split(" (")[0] for h in parsed.h2] == [
        "Overview", "Examples", "Signal quality", "Events"]
    assert written.path.name in text
    assert "1000 Hz" in text and "1:00" in text
    for label in {e.label for e in written.events}:
        count = sum(e.label == label for e in written.events)
        assert f"{label} {count}" in text  # header chip
        assert f"{label} on " in text  # a snippet caption
    assert f"Events ({len(written.events)})" in parsed.h2


def test_quality_table_lists_every_channel(page, written: Written) -> None:
    _, parsed = page
    for header in ("noise floor (µV RMS)", "mains (µV RMS)", "clipping", "flat line", "gaps"):
        assert header in parsed.headers
    text = parsed.all_text
    for name, floor in zip(written.profile.channels, written.profile.noise_floor_uv,
                           strict=True):
        assert name in text
        assert f"{floor:.0f}" in text or f"{floor:.1f}" in text or f"{floor:.2f}" in text


def test_events_table_rows(page, written: Written) -> None:
    _, parsed = page
    first = min(written.events, key=lambda e: e.start_s)
    assert format_clock(first.start_s, 2) in parsed.all_text
    # header rows of the two tables + one per channel + one per event
    assert parsed.rows == 2 + len(written.profile.channels) + len(written.events)


def test_profile_as_dict_gives_the_same_page(written: Written, tmp_path: Path, page) -> None:
    out = write_recording_report(written.path, written.events, written.profile.to_dict(),
                                 tmp_path / "again.html")
    assert out.read_text(encoding="utf-8") == page[0].read_text(encoding="utf-8")


def test_names_are_escaped(tmp_path: Path) -> None:
    """A file, channel and title full of markup come out as text, never as tags."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6000, 2)) * 5.0
    x[2000:3000, 0] *= 40
    rec = Recording(samples=x, fs=1000.0, channels=["<b>&x", 'say "hi"'])
    path = write(tmp_path / "evil<script>.csv", rec)
    events = [Event(2.0, 3.0, "cramp", ["<b>&x"], 0.9),
              Event(4.0, 4.01, "<img src=x>", ['say "hi"'], 0.5)]
    out = write_recording_report(path, events, profile_of(path, fs=1000.0),
                                 tmp_path / "evil.html", reader_kwargs={"fs": 1000.0},
                                 title="<script>alert(1)</script>")
    raw = out.read_text(encoding="utf-8")
    parsed = Page(raw)
    assert "script" not in parsed.tags and parsed.external == []
    assert parsed.tags.count("img") == len(parsed.images)  # only our embedded images
    assert "<b>" not in raw and "&lt;b&gt;&amp;x" in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<script>alert(1)</script>" in parsed.all_text  # shown to the reader as text
    assert "&lt;img src=x&gt;" in raw


def test_gaps_shown_and_snippets_drawn_across_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8000, 1)) * 5.0
    x[3800:4400] *= 60
    rec = Recording(samples=x, fs=1000.0, channels=["EMG1"], gaps=[(4000, 500)])
    path = write(tmp_path / "gappy.bdf", rec)
    profile = profile_of(path)
    assert profile.gaps == [(4000, 500)]
    events = [Event(3.8, 4.9, "voluntary", ["EMG1"], 0.8)]  # stream time, spans the gap
    out = write_recording_report(path, events, profile, tmp_path / "gappy.html")
    parsed = Page(out.read_text(encoding="utf-8"))
    assert "1 (0.5 s, 5.88%)" in parsed.all_text  # gap cell: count, seconds, share
    assert "gap(s)" in parsed.all_text
    assert len(parsed.images) == 2


def test_no_events(written: Written, tmp_path: Path) -> None:
    out = write_recording_report(written.path, [], written.profile, tmp_path / "none.html")
    text = Page(out.read_text(encoding="utf-8")).all_text
    assert "No events were found." in text and "No events, so no examples." in text


def test_unreadable_recording_still_gives_a_page(written: Written, tmp_path: Path) -> None:
    out = write_recording_report(tmp_path / "moved.bdf", written.events, written.profile,
                                 tmp_path / "moved.html")
    parsed = Page(out.read_text(encoding="utf-8"))
    assert "could not be drawn" in parsed.all_text
    assert len(parsed.images) == 1  # the overview needs only the profile


def test_long_event_lists_are_capped(written: Written, tmp_path: Path) -> None:
    many = [Event(0.05 * i, 0.05 * i + 0.01, "twitch", ["ch1"], 0.9) for i in range(900)]
    out = write_recording_report(written.path, many, written.profile, tmp_path / "many.html")
    parsed = Page(out.read_text(encoding="utf-8"))
    assert f"The first {MAX_EVENT_ROWS} of 900 events are listed" in parsed.all_text
    assert parsed.rows == 2 + len(written.profile.channels) + MAX_EVENT_ROWS


def test_missing_matplotlib_says_how_to_install(written: Written, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"emgspasm\[plots\]"):
        write_recording_report(written.path, written.events, written.profile,
                               tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_label_colours_are_stable_and_distinct() -> None:
    assert len(set(LABEL_COLORS.values())) == len(LABEL_COLORS)
    assert label_color("cramp") == LABEL_COLORS["cramp"]
    assert label_color("myokymia") == label_color("myokymia")  # a new label keeps its colour


def test_overview_of_a_profile_without_samples(tmp_path: Path) -> None:
    """An empty recording still gives a page (no trace, no events) rather than a crash."""
    path = write(tmp_path / "empty.csv", Recording(np.zeros((1, 1)), 100.0, ["a"]))
    out = write_recording_report(path, [], RecordingProfile(100.0, ["a"]),
                                 tmp_path / "empty.html", reader_kwargs={"fs": 100.0})
    assert len(Page(out.read_text(encoding="utf-8")).images) == 1
