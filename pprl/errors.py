"""Errors that reach the user.

Every message names a file, a row and a column, never a value: input values are raw identities.
"""

from __future__ import annotations

from pathlib import Path


class PprlError(Exception):
    """An error the CLI reports on stderr with exit code 1."""


class InputError(PprlError):
    """Invalid input data, located by file, row and column; the offending value is never shown."""

    def __init__(
        self,
        file: str | Path | None,
        problem: str,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.problem = problem
        self.row = row
        self.column = column
        where = [part for part in (
            self.file,
            None if row is None else f"row {row}",
            None if column is None else f"column {column!r}",
        ) if part]
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)


class SchemaError(PprlError):
    """A linkage schema that fails validation; ``problems`` holds ``(pointer, message)`` pairs."""

    def __init__(self, file: str | Path, problems: list[tuple[str, str]]) -> None:
        self.file = str(file)
        self.problems = problems
        super().__init__("\n".join(f"{file}: {pointer or '/'}: {message}" for pointer, message in problems))


class KeyFileError(PprlError):
    """A secret file that is missing, too short or readable by others."""


class CompatibilityError(PprlError):
    """Encoded files that cannot be linked with each other (schema, key or format differ)."""
