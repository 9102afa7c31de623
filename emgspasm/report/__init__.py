"""Reports: a self-contained HTML page per recording and a summary across recordings.

`RecordingProfile` gathers what a page needs during the analysis pass (RMS strip, noise floor,
mains, clipping, flat lines, gaps), so drawing a report never re-reads a whole recording: the
example snippets are read with `read_span`. Figures are drawn with matplotlib's Agg renderer
and embedded as PNG, so a page is one file that opens anywhere. Matplotlib is the ``plots``
extra; without it, writing a page raises an ImportError saying how to install it.

Example::

    profile = RecordingProfile(reader.fs, reader.channels)
    for block in reader.chunks(n):          # the analysis pass
        profile.update(block)               # (and profile.add_gap(n) at each gap)
    write_recording_report(path, events, profile, "out/x.report.html")
    write_summary_report([{"name": "x.bdf", "events": events, "profile": profile.to_dict()}],
                         "out/summary.html")
"""

from emgspasm.report.profile import RecordingProfile
from emgspasm.report.recording import write_recording_report
from emgspasm.report.summary import write_summary_report

__all__ = ["RecordingProfile", "write_recording_report", "write_summary_report"]
