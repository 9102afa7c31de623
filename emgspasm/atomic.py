"""Writing output files all-or-nothing, with errors that name the file.

A full disk or a read-only folder must not leave a zero-byte or half-written `result.json` that a
rerun would trust, nor an ``OSError 28`` that does not say which file failed. Each output is
written to a temporary file beside it and renamed over the target only once complete (a rename
within one folder is atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_text(path: str | Path) -> Iterator[TextIO]:
    """A text file to write `path` through; `path` appears only if the block completes.

    Any `OSError` (creating, writing, flushing or renaming) is re-raised naming `path`; the
    temporary file is removed and an existing `path` is left as it was.
    """
    path = Path(path)
    # Named per process so parallel workers never share one; opened like any new file, so the
    # result gets the usual permissions (umask), unlike mkstemp's 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fh = tmp.open("w", encoding="utf-8")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write `text` to `path` all-or-nothing (see `atomic_text`)."""
    with atomic_text(path) as fh:
        fh.write(text)
    return Path(path)
