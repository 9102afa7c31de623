"""Score predicted events against truth (docs/scoring.md); see `emgspasm.evaluate.matching`."""

from emgspasm.evaluate.matching import (
    CHANNEL_JACCARD_MIN,
    IOU_MIN,
    NONE,
    ONSET_THRESHOLDS_S,
    POINT_LABELS,
    TWITCH_TIGHT_TOL_S,
    TWITCH_TOL_S,
    LabelStats,
    RecordingResult,
    Report,
    evaluate_dirs,
    match_events,
    score,
)

__all__ = [
    "CHANNEL_JACCARD_MIN",
    "IOU_MIN",
    "NONE",
    "ONSET_THRESHOLDS_S",
    "POINT_LABELS",
    "TWITCH_TIGHT_TOL_S",
    "TWITCH_TOL_S",
    "LabelStats",
    "RecordingResult",
    "Report",
    "evaluate_dirs",
    "match_events",
    "score",
]
