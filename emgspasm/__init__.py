"""emgspasm: label cramps, twitches and rigidity in surface EMG, live and on recordings."""

from emgspasm.events import LABELS, Event, read_events, write_events
from emgspasm.recording import Annotation, Recording

__version__ = "0.1.0"

__all__ = [
    "LABELS",
    "Annotation",
    "Event",
    "Recording",
    "__version__",
    "read_events",
    "write_events",
]
