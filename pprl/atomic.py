"""Atomic output: write to a temporary file beside the target, then rename over it.

A run that fails half-way leaves no partial file and does not touch an existing output.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pprl.errors import PprlError

if TYPE_CHECKING:
    import pandas


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(target: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically.
    ``mode`` defaults to what the umask gives a new file."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise PprlError(f"{target}: cannot write there ({error.strerror})") from None
    os.close(descriptor)
    temporary = Path(name)
    try:
        os.chmod(temporary, _default_mode() if mode is None else mode)
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_csv(frame: "pandas.DataFrame", target: str | Path) -> Path:
    """Write a table as UTF-8 CSV (header, no index, \\n line ends), atomically."""
    with atomic_path(target) as temporary:
        frame.to_csv(temporary, index=False, lineterminator="\n")
    return Path(target)
