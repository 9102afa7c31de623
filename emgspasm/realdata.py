"""Real Myo armband recordings of healthy people, and which of them may be trained on.

The recordings are NumPy archives of raw Myo EMG (8 sectors around the forearm, 200 Hz, signed
8-bit counts with no published µV scale), in two layouts:

* ``myo_francic_<hand>_<number>-<take>.npz``: one take per file; keys ``g<k>_emg`` (n, 8) int8
  and ``g<k>_cue`` (n,) for gesture minute k. ``g0`` is a minute of rest; in ``g1``..``g7`` the
  cue alternates every 5 s between 0 (rest) and k (the gesture).
* ``myo_libemg_<name>.npz``: one continuous stream under the key ``emg``.

Nobody in them has cramps, fasciculations or rigidity, so every such label on them is a false
alarm; that makes them negatives a model may be trained on and a false-alarm benchmark it must
be judged on. Both uses must agree on which recordings are which, so the split lives here and
nowhere else.

**The split** is by *session id*, ``<hand>_<number>`` (all takes of one id go to the same side:
takes of one id are the same arm in one sitting, and training on one take while scoring another
would flatter the figures). The ids were sorted within two groups, those with gesture minutes and
those with rest only, and every third one of each group (the first, fourth, ...) went to training:
about a third of the ids, and both sides keep rest and gesture data. Any id not listed
(a new recording, the LibEMG stream) is held out: something never seen in training can only be
scored, never leak.

Nothing here knows where the files are: callers pass a directory or a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emgspasm.recording import Recording

FS_HZ = 200.0
"""The Myo's nominal raw-EMG rate; the archives carry no timestamps."""

CHANNELS: tuple[str, ...] = tuple(f"forearm{i}" for i in range(1, 9))
"""Sector names, the same ones an armband recording written by the project uses."""

TRAINING_IDS: frozenset[str] = frozenset({"left_44444", "left_55555", "right_12345"})
"""Session ids that may be used for training (see the module docstring for the rule)."""

KNOWN_HELD_OUT_IDS: frozenset[str] = frozenset(
    {"left_6666", "right_10000", "right_10101", "right_12378", "right_12548"}
)
"""The other ids of the Francic set: listed so a test can check that the split covers them."""

REST = 0
"""Cue value and gesture index of rest."""

STREAM = -1
"""`Minute.gesture` of a continuous stream (no per-minute protocol)."""

_TAKE = re.compile(r"^myo_francic_(?P<id>(?:left|right)_\d+)-(?P<take>\d+)$")
_GESTURE_KEY = re.compile(r"^g(?P<k>\d+)_emg$")


@dataclass(frozen=True)
class Minute:
    """One block of a real recording: a protocol minute, or a whole stream."""

    file: str
    """The archive's stem, e.g. ``myo_francic_right_10000-1``."""
    session_id: str
    gesture: int
    """0 rest, 1..7 the minute's gesture, `STREAM` for a continuous stream."""
    recording: Recording
    cue: np.ndarray | None
    """The protocol's timer per sample (None for a stream): when to move, not a measured onset."""

    @property
    def name(self) -> str:
        return self.file if self.gesture == STREAM else f"{self.file}/g{self.gesture}"


def session_id(path: str | Path) -> str:
    """``<hand>_<number>`` for a Francic take; the file's stem for anything else."""
    stem = Path(path).stem
    m = _TAKE.match(stem)
    return m["id"] if m else stem


def is_held_out(path_or_id: str | Path) -> bool:
    """True unless the recording's session id is one of `TRAINING_IDS`."""
    text = str(path_or_id)
    sid = session_id(text) if text.endswith(".npz") else text
    return sid not in TRAINING_IDS


def recordings(directory: str | Path, *, held_out: bool | None = True) -> list[Path]:
    """The Myo archives in `directory`, sorted: held-out ones (default), training ones
    (``held_out=False``) or all (None). A missing directory is an error, not an empty list."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no real-recording directory: {directory}")
    paths = sorted(directory.glob("myo_*.npz"))
    if held_out is None:
        return paths
    return [p for p in paths if is_held_out(p) is held_out]


def load(path: str | Path) -> list[Minute]:
    """Every block of one archive as a `Recording` of counts (as floats) at `FS_HZ`.

    Protocol archives give one `Minute` per ``g<k>`` in gesture order; a stream archive (key
    ``emg``) gives one `Minute` with ``gesture == STREAM``. Counts stay counts: the pipeline's
    thresholds follow each channel's own noise floor, so no µV scale is needed or invented.
    """
    path = Path(path)
    with np.load(path) as z:
        keys = set(z.files)
        gestures = sorted(int(m["k"]) for k in keys if (m := _GESTURE_KEY.match(k)))
        if gestures:
            return [_minute(path, k, z[f"g{k}_emg"], z[f"g{k}_cue"] if f"g{k}_cue" in keys
                            else None) for k in gestures]
        if "emg" in keys:
            return [_minute(path, STREAM, z["emg"], None)]
    raise ValueError(f"{path}: neither g<k>_emg nor emg arrays (keys: {sorted(keys)})")


def _minute(path: Path, gesture: int, emg: np.ndarray, cue: np.ndarray | None) -> Minute:
    if emg.ndim != 2 or emg.shape[1] != len(CHANNELS):
        raise ValueError(f"{path}: expected (n, {len(CHANNELS)}) EMG, got {emg.shape}")
    rec = Recording(samples=emg.astype(np.float64), fs=FS_HZ, channels=list(CHANNELS), path=path)
    return Minute(path.stem, session_id(path), gesture, rec,
                  None if cue is None else np.asarray(cue))
