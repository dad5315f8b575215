"""The agency's side: read an export, tokenise and hash every field into Bloom filters, write the
encoded file. Runs on the agency's own machine; raw values never leave this module.

Chunks of rows are encoded on all cores; memory stays bounded by the chunk size and the number of
chunks in flight, whatever the size of the export.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from pprl import encoded, tabular
from pprl.agency import keys, validate
from pprl.agency.bloom import FilterHasher
from pprl.agency.tokens import FieldTokeniser, Status
from pprl.errors import InputError
from pprl.schema import Schema

#: Field -> export columns joined with spaces; an empty list means the export has no such column.
Mapping_ = dict[str, list[str]]


@dataclass
class EncodeSummary:
    records: int = 0
    missing: Counter = field(default_factory=Counter)  # field -> records with no value
    unparsable: Counter = field(default_factory=Counter)  # field -> records whose value could not be read
    seconds: float = 0.0

    def missing_rate(self, name: str) -> float:
        return (self.missing[name] + self.unparsable[name]) / self.records if self.records else 0.0

    def as_stats(self) -> dict:
        return {"records": self.records, "missing": dict(self.missing), "unparsable": dict(self.unparsable)}


def parse_maps(maps: Sequence[str]) -> Mapping_:
    """``FIELD=COL[+COL...]`` options as a mapping; ``FIELD=`` maps the field to nothing."""
    mapping: Mapping_ = {}
    for item in maps:
        name, sep, columns = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--map {item!r}: expected FIELD=COLUMN[+COLUMN...] or FIELD=")
        if name.strip() in mapping:
            raise ValueError(f"--map: field {name.strip()!r} is mapped twice")
        mapping[name.strip()] = [c for c in columns.split("+") if c] if columns.strip() else []
    return mapping


def resolve_columns(schema: Schema, header: Sequence[str], maps: Mapping_, id_column: str | None,
                    path: Path) -> tuple[str, Mapping_]:
    """Check the mapping against the export's header; name what is wrong and how to fix it."""
    header = list(header)
    if not header:
        raise InputError(path, "the file has no columns")
    known = {f.name for f in schema.fields}
    for name in maps:
        if name not in known:
            raise InputError(path, f"--map names field {name!r}, which schema {schema.name!r} does not have "
                             f"(fields: {', '.join(sorted(known))})")
    # Header cells are never echoed: in a file without a header row they are a record's values.
    columns_note = f"(the file's first row has {len(header)} columns; open the file to see their names)"
    given_id = id_column is not None
    id_column = header[0] if id_column is None else id_column
    if id_column not in header:
        raise InputError(path, f"ID column {id_column!r} not found {columns_note}")
    resolved: Mapping_ = {}
    for spec in schema.fields:
        columns = maps.get(spec.name, [spec.name] if spec.name in header or spec.name not in maps else [])
        if spec.name not in maps and spec.name not in header:
            raise InputError(path, f"no column for field {spec.name!r}: map it with --map {spec.name}=COLUMN, or "
                             f"--map {spec.name}= if this export has no such data {columns_note}")
        for column in columns:
            if column not in header:
                raise InputError(path, f"column {column!r} (mapped to field {spec.name!r}) not found {columns_note}")
        if id_column in columns:
            # Record IDs are stored in the encoded file as they are: they must not be identities.
            which = f"--id-column {id_column!r}" if given_id else "the ID column (by default the first column)"
            raise InputError(path, f"{which} is also read for field {spec.name!r}; give a column of pseudonymous "
                             "record IDs with --id-column COLUMN")
        resolved[spec.name] = columns
    return id_column, resolved


# --- per-process state -------------------------------------------------------------------------

@dataclass
class _Encoder:
    schema: Schema
    tokenisers: dict[str, FieldTokeniser]
    hashers: list[FilterHasher]  # one per filter column, schema order
    memo: dict[str, dict[str, tuple]] = field(default_factory=dict)  # field -> value -> tokens (values repeat)
    age_reference_year: int | None = None  # turns ages in date fields into estimated birth years


_STATE: _Encoder | None = None
_MEMO_LIMIT = 1 << 14


def _make_encoder(document: Mapping, secret: bytes, age_reference_year: int | None = None) -> _Encoder:
    schema = validate.from_document(document)
    hashers = [FilterHasher(keys.field_key(secret, schema.fingerprint, spec.column(component)), spec.bits, spec.hashes)
               for spec, component in schema.filter_columns()]
    return _Encoder(schema, {spec.name: FieldTokeniser(spec) for spec in schema.fields}, hashers,
                    {spec.name: {} for spec in schema.fields}, age_reference_year)


def _init_worker(document: Mapping, secret: bytes, age_reference_year: int | None) -> None:
    global _STATE
    _STATE = _make_encoder(document, secret, age_reference_year)


def _init_pool_worker(document: Mapping, secret: bytes, age_reference_year: int | None) -> None:
    """A pool process leaves stopping to its parent, which shuts the pool down on any error, Ctrl-C or
    SIGTERM: it ignores Ctrl-C (sent to the whole terminal's process group) and dies on a SIGTERM sent
    to it, whatever handlers it inherited by fork."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _init_worker(document, secret, age_reference_year)


@dataclass
class _ChunkResult:
    ids: list[str]
    bits: np.ndarray
    missing: Counter
    unparsable: Counter
    first_unparsable: dict[str, int]  # field -> first row with an unreadable value
    rows: np.ndarray  # each record's row as a spreadsheet shows it (tabular.Chunk.rows)


def _field_values(frame: pd.DataFrame, columns: list[str]) -> list[object]:
    if not columns:
        return [None] * len(frame)
    if len(columns) == 1:
        return frame[columns[0]].tolist()
    parts = [frame[c].map(lambda v: "" if v is None else str(v)).tolist() for c in columns]
    return [" ".join(p for p in row if p.strip()) for row in zip(*parts)]


def _encode_frame(frame: pd.DataFrame, rows: np.ndarray, id_column: str, mapping: Mapping_) -> _ChunkResult:
    state = _STATE
    assert state is not None, "worker not initialised"
    n = len(frame)
    ids = ["" if v is None else str(v).strip() for v in frame[id_column].tolist()]
    token_sets: list[list[frozenset[str] | None]] = [[None] * n for _ in state.hashers]
    missing, unparsable, first_bad = Counter(), Counter(), {}
    column_index = 0
    for spec in state.schema.fields:
        tokenise = state.tokenisers[spec.name]
        memo = state.memo[spec.name]
        values = _field_values(frame, mapping[spec.name])
        field_components = spec.components
        targets = list(zip(token_sets[column_index:column_index + len(field_components)], field_components))
        for row, value in enumerate(values):
            key = value if isinstance(value, str) else repr(value)
            found = memo.get(key)
            if found is None:
                found = tokenise(value, state.age_reference_year)
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[key] = found
            status, components = found
            if status is Status.MISSING:
                missing[spec.name] += 1
            elif status is Status.UNPARSABLE:
                unparsable[spec.name] += 1
                first_bad.setdefault(spec.name, int(rows[row]))
            for target, component in targets:
                target[row] = components.get(component)
        column_index += len(field_components)
    blocks = [hasher.encode(sets) for hasher, sets in zip(state.hashers, token_sets)]
    bits = np.hstack(blocks) if blocks else np.zeros((n, 0), np.uint64)
    return _ChunkResult(ids, bits, missing, unparsable, first_bad, rows)


# --- the pipeline ------------------------------------------------------------------------------

def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _results(chunks: Iterator[tabular.Chunk], id_column: str, mapping: Mapping_, document: Mapping,
             secret: bytes, workers: int, age_reference_year: int | None) -> Iterator[_ChunkResult]:
    """Encoded chunks in input order; a pool of processes once the input is larger than one chunk."""
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers <= 1:
        _init_worker(document, secret, age_reference_year)
        for chunk in (first, *(() if second is None else (second,)), *chunks):
            yield _encode_frame(chunk.frame, chunk.rows, id_column, mapping)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_pool_worker,
                               initargs=(document, secret, age_reference_year))
    try:
        pending: list[Future] = []
        for chunk in (first, second, *chunks):
            pending.append(pool.submit(_encode_frame, chunk.frame, chunk.rows, id_column, mapping))
            while len(pending) > 2 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
    except BaseException:  # an error, Ctrl-C, SIGTERM, or the caller stopping early (GeneratorExit)
        # Chunks not started are cancelled; the few a worker already holds (its own and one queued, a
        # second or two each) are finished, and the workers exit. Terminating them instead could cut a
        # result off half-way through the pipe: concurrent.futures' manager thread then waited for the
        # rest for ever, and the interpreter hung at exit joining it (docs/design.md, Measurements).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def encode_file(
    input_path: str | Path,
    output_path: str | Path,
    schema: Schema,
    secret: bytes,
    maps: Mapping_ | None = None,
    id_column: str | None = None,
    dataset: str | None = None,
    strict: bool = False,
    workers: int | None = None,
    chunk_rows: int = 2_048,
    age_reference_year: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> EncodeSummary:
    """Encode one export into ``output_path`` (written atomically: on any error no file appears).

    ``age_reference_year``: the year the export's ages ("7 years", "7 лет") were recorded in; a date
    field holding an age then counts as an estimated birth year.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    header = tabular.read_header(input_path)
    # Messages name a default ID column by no header cell: without a header row that is a record's value.
    id_label = id_column
    id_column, mapping = resolve_columns(schema, header, maps or {}, id_column, input_path)
    columns = [encoded.Column(spec.column(component), spec.name, spec.bits) for spec, component in schema.filter_columns()]
    summary = EncodeSummary()
    started = time.perf_counter()
    seen: dict[str, int] = {}
    writer = encoded.Writer(output_path, columns, encoded.make_header(
        schema.document, schema.fingerprint, keys.check_value(secret), dataset or input_path.stem, columns))
    results = _results(tabular.iter_chunks(input_path, chunk_rows), id_column, mapping, schema.document, secret,
                       workers or _default_workers(), age_reference_year)  # lazy: nothing runs before the loop
    try:
        for result in results:
            _check_ids(result, seen, input_path, id_label)
            if strict and result.first_unparsable:
                name, row = min(result.first_unparsable.items(), key=lambda item: item[1])
                raise InputError(input_path, f"value of field {name!r} cannot be read as a {_type_of(schema, name)} "
                                 "(--strict)", row, "+".join(mapping[name]))
            writer.write(result.ids, result.bits)
            summary.records += len(result.ids)
            summary.missing.update(result.missing)
            summary.unparsable.update(result.unparsable)
            if progress:
                progress(len(result.ids))
        if summary.records == 0:
            raise InputError(input_path, "the file has a header but no records")
        summary.seconds = time.perf_counter() - started
        writer.close({"stats": summary.as_stats()})
    except BaseException as error:
        results.close()  # stops the worker processes now, not once the traceback is freed
        writer.abort(error)
        raise
    return summary


def _type_of(schema: Schema, name: str) -> str:
    return next(spec.type for spec in schema.fields if spec.name == name).replace("_", " ")


def _check_ids(result: _ChunkResult, seen: dict[str, int], path: Path, id_column: str | None) -> None:
    """Every record needs an ID, and IDs must be unique; only row numbers are reported."""
    for row, record_id in zip(result.rows.tolist(), result.ids):
        if not record_id:
            raise InputError(path, "empty record ID", row, id_column)
        first = seen.setdefault(record_id, row)
        if first != row:
            raise InputError(path, f"duplicate record ID (first used in row {first})", row, id_column)
