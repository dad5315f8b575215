"""Atomic output: write to a temporary file beside the target, then rename over it.

A run that fails half-way leaves no partial file and does not touch an existing output. A command
with several outputs stages them all in one :func:`output_group`, so that they are renamed into
place together, after every one was written: a failure leaves all earlier outputs as they were.
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


class OutputGroup:
    """The outputs of one command, each staged in a temporary file beside its target."""

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # target -> temporary
        self._created: list[Path] = []  # folders made for the outputs, deepest first

    def folder(self, folder: str | Path) -> Path:
        """Make ``folder`` (and missing parents) now, so that a bad location fails before any work; the
        folders made are removed again if the group fails."""
        folder = Path(folder)
        missing = [path for path in (folder, *folder.parents) if not path.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PprlError(f"{folder}: cannot create the folder ({error.strerror})") from None
        if not folder.is_dir():
            raise PprlError(f"{folder}: not a folder")
        self._created += missing
        return folder

    def path(self, target: str | Path, mode: int | None = None) -> Path:
        """The temporary file to write ``target`` into; the same one when asked again, so outputs can be
        claimed before the work (a bad location then fails at once) and written after it. ``mode``
        defaults to what the umask gives a new file."""
        target = Path(target)
        if target in self._staged:
            return self._staged[target]
        if target.is_dir():
            raise PprlError(f"{target}: is a folder")
        folder = target.parent if str(target.parent) else Path(".")
        try:
            descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        except OSError as error:
            raise PprlError(f"{target}: cannot write there ({error.strerror})") from None
        os.close(descriptor)
        temporary = self._staged[target] = Path(name)
        os.chmod(temporary, _default_mode() if mode is None else mode)
        return temporary

    def commit(self) -> None:
        """Flush every staged file to disk, then rename them all into place."""
        for temporary in self._staged.values():
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        for target, temporary in self._staged.items():
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise PprlError(f"{target}: cannot be replaced ({error.strerror})") from None
        self._staged.clear()

    def discard(self) -> None:
        """Remove the staged files and the folders made for them; existing outputs stay as they were."""
        for temporary in self._staged.values():
            temporary.unlink(missing_ok=True)
        self._staged.clear()
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:  # not empty: something else was put there meanwhile
                break
        self._created.clear()


@contextmanager
def output_group() -> Iterator[OutputGroup]:
    """Stage outputs in the block; they replace their targets only if the block completes."""
    group = OutputGroup()
    try:
        yield group
        group.commit()
    except BaseException:
        group.discard()
        raise


@contextmanager
def atomic_path(target: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically.
    ``mode`` defaults to what the umask gives a new file."""
    with output_group() as group:
        yield group.path(target, mode)


def write_csv(frame: "pandas.DataFrame", target: str | Path, group: OutputGroup | None = None) -> Path:
    """Write a table as UTF-8 CSV (header, no index, \\n line ends), atomically or as part of ``group``."""
    if group is None:
        with output_group() as own:
            return write_csv(frame, target, own)
    frame.to_csv(group.path(target), index=False, lineterminator="\n")
    return Path(target)
