"""When may a batch rerun skip a recording? When its results are *current*.

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
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emgspasm import __version__

if TYPE_CHECKING:
    from emgspasm.analyze import AnalyzeOptions
    from emgspasm.batch import AnalysisResult, BatchOutputs


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
    from emgspasm.batch import AnalysisResult

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
