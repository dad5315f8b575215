"""Atomic output: write to a temporary file beside the target, then rename over it.

A run that fails half-way leaves no partial file and does not touch an existing output.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pprl.errors import PprlError


@contextmanager
def atomic_path(target: str | Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise PprlError(f"{target}: cannot write there ({error.strerror})") from None
    os.close(descriptor)
    temporary = Path(name)
    try:
        os.chmod(temporary, mode)
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
