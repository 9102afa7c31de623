"""The cross-recording summary: figures against hand counts, failures listed, text escaped."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from emgspasm.events import Event
from emgspasm.report import RecordingProfile, write_summary_report
from emgspasm.report.summary import MAX_BAR_RECORDINGS, recording_stats, union_seconds

from .test_html import Page, _png


def _ev(start: float, end: float, label: str, channel: str = "ch1") -> Event:
    return Event(start, end, label, [channel], 0.9)


# A 2-hour recording: 4 cramps (two overlapping on two channels), 10 twitches, 1 voluntary.
EVENTS = [
    _ev(100.0, 160.0, "cramp", "ch1"),
    _ev(130.0, 190.0, "cramp", "ch2"),  # overlaps the first: union 100-190 = 90 s
    _ev(1000.0, 1030.0, "cramp"),
    _ev(5000.0, 5020.0, "cramp"),
    *[_ev(2000.0 + i, 2000.01 + i, "twitch") for i in range(10)],
    _ev(3000.0, 3002.0, "voluntary"),
]
DURATION_S = 7200.0


def test_union_seconds() -> None:
    assert union_seconds([]) == 0.0
    assert union_seconds([(0, 1), (0.5, 2), (3, 4), (3.2, 3.5)]) == pytest.approx(3.0)
    assert union_seconds([(5, 6), (0, 10)]) == pytest.approx(10.0)


def test_recording_stats_by_hand() -> None:
    s = recording_stats("a", EVENTS, DURATION_S)
    assert s.counts == {"voluntary": 1, "cramp": 4, "twitch": 10}
    assert s.per_hour("cramp") == pytest.approx(2.0)
    assert s.per_hour("twitch") == pytest.approx(5.0)
    assert s.per_hour("rigidity") == 0.0
    assert s.median_s["cramp"] == pytest.approx(np.median([60, 60, 30, 20]))
    assert s.present_s["cramp"] == pytest.approx(90 + 30 + 20)
    assert s.burden_fraction == pytest.approx(140 / 7200)
    assert s.burden_min_per_h == pytest.approx(140 / 60 / 2)
    unknown = recording_stats("b", EVENTS, None)
    assert unknown.per_hour("cramp") is None and unknown.burden_fraction is None


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Page]:
    profile = RecordingProfile(100.0, ["ch1", "ch2"])
    profile.update(np.random.default_rng(0).standard_normal((6000, 2)))  # 60 s
    entries = [
        {"name": "night<1>.bdf", "events": EVENTS, "profile": {"duration_s": DURATION_S}},
        SimpleNamespace(name="short.bdf", events=[_ev(10.0, 40.0, "cramp")], profile=profile,
                        error=None),
        {"name": "no-profile.csv", "events": EVENTS[:2], "profile": None},
        {"name": "bad & broken.edf", "error": "bad & broken.edf@256: not a <valid> EDF"},
    ]
    out = write_summary_report(entries, tmp_path_factory.mktemp("sum") / "summary.html")
    raw = out.read_text(encoding="utf-8")
    return raw, Page(raw)


def test_summary_parses_with_a_chart(summary) -> None:
    _, page = summary
    assert page.external == []
    assert len(page.images) == 1
    assert _png(page.images[0]).startswith(b"\x89PNG")
    assert [h for h in page.h2] == ["Events per hour and cramp burden", "Durations",
                                    "Recordings that failed"]


def test_summary_figures(summary) -> None:
    _, page = summary
    text = page.all_text
    assert "4 recording(s): 3 analysed, 1 failed" in text
    for header in ("voluntary /h", "cramp /h", "twitch /h", "cramp burden (% of time)",
                   "cramp (min/h)"):
        assert header in page.headers
    # night: 2.00 h; 0.5 voluntary, 2 cramps, 5 twitches per hour; burden 140 s of 2 h is
    # 1.9 % or 1.2 min/h
    assert "night<1>.bdf2.000.52.05.01.91.2" in text.replace(" ", "")
    # short: 60 s with 30 s of cramp = 60 cramps/h, 50 %, 30 min/h
    assert "short.bdf0.020.060.00.050.030.0" in text.replace(" ", "")
    # pooled over the two with a duration: 5 cramps and 170 s of cramp in 2.0167 h
    hours = 7260 / 3600
    assert (f"allrecordings{hours:.2f}{1 / hours:.1f}{5 / hours:.1f}{10 / hours:.1f}"
            f"{100 * 170 / 7260:.1f}{60 * 170 / 7260:.1f}") in text.replace(" ", "")
    assert "no-profile.csv—" in text.replace(" ", "")  # duration unknown
    assert "all recordings" in text


def test_summary_durations(summary) -> None:
    _, page = summary
    text = page.all_text
    assert "45.0 s · 2:20" in text  # night: cramp median of 60,60,30,20 s; 140 s present
    assert "10 ms · 0:00" in text  # twitches: 10 ms each, 0.1 s present


def test_failures_listed_and_escaped(summary) -> None:
    raw, page = summary
    assert "bad & broken.edf@256: not a <valid> EDF" in page.all_text
    assert "<valid>" not in raw and "&lt;valid&gt;" in raw
    assert "night&lt;1&gt;.bdf" in raw and "night<1>" not in raw


def test_many_recordings_use_box_plots(tmp_path: Path) -> None:
    entries = [{"name": f"r{i}", "events": EVENTS[: i % 7],
                "profile": {"duration_s": DURATION_S}} for i in range(MAX_BAR_RECORDINGS + 5)]
    page = Page(write_summary_report(entries, tmp_path / "many.html").read_text("utf-8"))
    assert len(page.images) == 1
    assert page.rows == 2 * (1 + len(entries) + 1)  # two tables: header, rows, pooled


def test_only_failures(tmp_path: Path) -> None:
    page = Page(write_summary_report([{"name": "x", "error": "boom"}],
                                     tmp_path / "f.html").read_text("utf-8"))
    assert page.h2 == ["Recordings that failed"] and page.images == []
