"""emgspasm: label cramps, twitches and rigidity in surface EMG, live and on recordings.

>>> import emgspasm
>>> sim = emgspasm.simulate(duration_s=20.0, fs=1000.0, n_channels=2, seed=1)
>>> events = emgspasm.analyze(sim.recording)
>>> {e.label for e in events} <= set(emgspasm.LABELS)
True
"""

from emgspasm import simulate
from emgspasm.analyze import analyze
from emgspasm.events import LABELS, Event, read_events, write_events
from emgspasm.io import read, write
from emgspasm.pipeline import Pipeline
from emgspasm.recording import Annotation, Recording

__version__ = "0.1.0"

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
