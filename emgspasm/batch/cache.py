"""The record a batch keeps of each recording, and when a rerun may skip that recording.

`AnalysisResult` is the record (`<stem>.result.json`), `BatchOutputs` what was asked of it, and
`Fingerprint` what it was made from; they live here, upstream of `emgspasm.batch.task`, because
deciding whether a stored record is current needs all three and nothing of the analysis itself.
A rerun may skip a recording when its results are *current*.

Current means: the result record `<stem>.result.json` exists, says the analysis succeeded,
every file it lists still exists, and it was made from the same input (size and modification
time), the same options, the same outputs, the same model file and the same emgspasm
version. Anything else (a re-exported recording, a changed `--mains`, a retrained model, an
upgrade) redoes the file; `--force` redoes everything. Content hashes would be stricter but
would mean reading every 24-hour file in full just to decide to skip it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emgspasm import __version__

if TYPE_CHECKING:
    from emgspasm.analyze import AnalyzeOptions


@dataclass(frozen=True)
class BatchOutputs:
    """What to write for each recording besides its events JSONL."""

    report: bool = False
    """An HTML report (`<stem>.report.html`) and the signal summary it is drawn from
    (`<stem>.profile.json`, which the cross-recording summary reuses)."""
    csv: bool = False
    """Events as CSV (`<stem>.events.csv`)."""
    annotated: bool = False
    """A copy of the recording with the events as EDF+/BDF+ annotations."""


@dataclass
class AnalysisResult:
    """Outcome of analysing one recording (JSON-able; kept as `<stem>.result.json`)."""

    path: str
    ok: bool
    error: str | None = None
    events_path: str | None = None
    n_events: int = 0
    per_label: dict[str, int] = field(default_factory=dict)
    n_samples: int = 0
    """Samples per channel read (gaps not included)."""
    duration_s: float = 0.0
    """Recording length in seconds, gaps included."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Other files written, by kind (``profile``, ``csv``, ``annotated``)."""
    hidden: dict[str, str] = field(default_factory=dict)
    """Labels this recording cannot show (its rate is too low), each with the reason: they
    are absent from the events because they were not looked for, not because none happened."""
    fingerprint: dict[str, Any] = field(default_factory=dict)
    reused: bool = False
    """True when the results on disk were current and nothing was recomputed."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnalysisResult:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def result_path_for(path: str | Path, out_dir: str | Path) -> Path:
    """`DIR/<stem>.result.json`: the record of one recording's analysis."""
    return Path(out_dir) / f"{Path(path).stem}.result.json"


def _file_stamp(path: str | Path) -> dict[str, int]:
    st = Path(path).stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _model_stamp(model: str | None) -> dict[str, Any]:
    """The model by content, not path: a Dask worker and the client may install the package
    in different places, and a retrained model may replace a file of the same name."""
    from emgspasm.detect.classifier import DEFAULT_MODEL

    ref = Path(model) if model else Path(str(resources.files("emgspasm.models")
                                             .joinpath(DEFAULT_MODEL)))
    stamp = _file_stamp(ref)
    return {"model": ref.name, "sha256": _sha256(str(ref), stamp["size"], stamp["mtime_ns"])}


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """Content hash of a model file, computed once per (path, size, mtime) in a process."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """Everything a recording's results depend on, in JSON-comparable form."""

    input: dict[str, Any]
    options: dict[str, Any]
    outputs: dict[str, Any]
    model: dict[str, Any]
    version: str

    @classmethod
    def of(cls, path: str | Path, options: AnalyzeOptions,
           outputs: BatchOutputs) -> Fingerprint:
        """The fingerprint of analysing `path` now (an unreadable input gets an empty stamp,
        so its error entry is never mistaken for a current result)."""
        try:
            stamp = _file_stamp(path)
        except OSError:
            stamp = {}
        try:
            model = _model_stamp(options.model)
        except OSError:
            model = {"model": options.model}
        opts = json.loads(json.dumps(dataclasses.asdict(options), default=str))
        opts.pop("chunk_s")  # results do not depend on it (the pipeline is chunk-invariant)
        return cls(input=stamp, options=opts, outputs=asdict(outputs), model=model,
                   version=__version__)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_result(path: str | Path, out_dir: str | Path, options: AnalyzeOptions,
                   outputs: BatchOutputs) -> AnalysisResult | None:
    """The stored result of `path` if it is current (see module doc), else None."""
    record = result_path_for(path, out_dir)
    try:
        stored = AnalysisResult.from_dict(json.loads(record.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not stored.ok or Path(stored.path).resolve() != Path(path).resolve():
        return None
    if stored.fingerprint != Fingerprint.of(path, options, outputs).to_dict():
        return None
    files = [stored.events_path, *stored.outputs.values()]
    if not all(f and Path(f).exists() for f in files):
        return None
    stored.reused = True
    return stored
