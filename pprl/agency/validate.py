"""Linkage schemas as the agencies check and load them: every rule of :mod:`pprl.schema`, with category
spellings read by this side's normaliser.

``pprl schema validate`` (run by the agencies' CI) and ``pprl encode`` use this module. The
coordinator never does: it takes the schema from the encoded files, where ``pprl encode`` wrote it
after checking it here, and compares only its canonical form (:func:`pprl.schema.canonical_schema`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pprl.agency.normalise import normalise_text
from pprl.errors import SchemaError
from pprl.schema import (FieldSpec, Problem, Schema, fill_defaults, fingerprint, read_document, semantic_problems,
                         structural_problems)


def check_document(document: Any) -> list[Problem]:
    """Every structural and semantic problem of a parsed schema document (errors and warnings)."""
    problems = structural_problems(document)
    if problems:
        return problems
    return semantic_problems(document, normalise_text)


def validate_file(path: str | Path) -> list[Problem]:
    """Problems of one schema file (unreadable files and bad JSON included)."""
    try:
        document = read_document(path)
    except SchemaError as error:
        return [Problem(pointer, message) for pointer, message in error.problems]
    return check_document(document)


def from_document(document: Mapping[str, Any], source: str | Path = "<schema>") -> Schema:
    """A validated Schema; raises SchemaError listing every error (warnings do not stop it)."""
    errors = [p for p in check_document(document) if p.severity == "error"]
    if errors:
        raise SchemaError(source, [(p.pointer, p.message) for p in errors])
    filled = fill_defaults(dict(document))
    fields = tuple(
        FieldSpec(
            name=f["name"], type=f["type"], options=f["options"], bits=f["filter"]["bits"],
            hashes=f["filter"]["hashes"], weight=float(f["weight"]), missing=f["missing"],
        )
        for f in filled["fields"]
    )
    return Schema(document=filled, fields=fields, fingerprint=fingerprint(filled))


def load(path: str | Path) -> Schema:
    return from_document(read_document(path), path)
