"""The encoded file: Parquet with an ``id`` column and one fixed-width binary column per filter.

File-level metadata (key ``pprl``) holds the format version, the canonical schema and its
fingerprint, the key check value, the dataset name, per-field counts and a SHA-256 digest of the
content, so that a truncated, tampered or mismatched file is refused instead of half-read. A missing
value is an all-zero filter: a present value always sets at least one bit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pprl._version import __version__
from pprl.atomic import atomic_path
from pprl.errors import CompatibilityError, PprlError
from pprl.schema import canonical_schema

FORMAT = "pprl-encoded"
FORMAT_VERSION = 1
METADATA_KEY = b"pprl"
_HEADER_KEYS = ("schema", "schema_fingerprint", "key_check", "columns", "records", "digest")


@dataclass(frozen=True)
class Column:
    """One filter column: a component of a schema field, ``bits`` long."""

    name: str
    field: str
    bits: int

    @property
    def words(self) -> int:
        return self.bits // 64


@dataclass
class EncodedData:
    """An encoded dataset in memory: IDs, the packed filter matrix and its header."""

    ids: np.ndarray  # object array of str
    bits: np.ndarray  # uint64 (n, W), columns concatenated in ``columns`` order
    columns: list[Column]
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([c.words for c in self.columns])]).astype(np.int64)

    @property
    def present(self) -> np.ndarray:
        """(n, C) bool: the column holds a value (its filter is not all zero)."""
        offsets = self.offsets
        return np.stack([self.bits[:, offsets[i]:offsets[i + 1]].any(axis=1) for i in range(len(self.columns))], axis=1) \
            if len(self.columns) else np.zeros((len(self.ids), 0), bool)

    @property
    def fingerprint(self) -> str:
        return self.header["schema_fingerprint"]

    @property
    def dataset(self) -> str:
        return self.header.get("dataset", "")


def _arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field("id", pa.string(), nullable=False)]
                     + [pa.field(c.name, pa.binary(c.bits // 8), nullable=False) for c in columns])


class Writer:
    """Streams chunks of encoded records into a file that appears only when ``close`` succeeds."""

    def __init__(self, path: str | Path, columns: list[Column], header: Mapping[str, Any]) -> None:
        self._columns = columns
        self._header = dict(header)
        self._digest = _ContentDigest()
        self._records = 0
        self._atomic = atomic_path(path)
        self._temporary = self._atomic.__enter__()
        self._writer = pq.ParquetWriter(self._temporary, _arrow_schema(columns), compression="zstd")

    def write(self, ids: Iterable[str], bits: np.ndarray) -> None:
        ids = [str(i) for i in ids]
        bits = np.ascontiguousarray(bits, dtype="<u8")
        arrays = [pa.array(ids, pa.string())]
        start = 0
        for column in self._columns:
            block = np.ascontiguousarray(bits[:, start:start + column.words])
            start += column.words
            raw = block.tobytes()
            arrays.append(pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(column.bits // 8), len(ids), [None, pa.py_buffer(raw)]))
        self._digest.update(ids, bits)
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._writer.schema))
        self._records += len(ids)

    def close(self, extra: Mapping[str, Any] | None = None) -> None:
        header = {**self._header, **(extra or {}), "records": self._records}
        header["digest"] = self._digest.hexdigest(header)
        self._writer.add_key_value_metadata({METADATA_KEY: json.dumps(header, sort_keys=True, ensure_ascii=False)})
        self._writer.close()
        self._atomic.__exit__(None, None, None)

    def abort(self, error: BaseException) -> None:
        try:
            self._writer.close()
        finally:
            self._atomic.__exit__(type(error), error, error.__traceback__)


class _ContentDigest:
    """SHA-256 over all IDs and all filter bytes, the same however the records were chunked."""

    def __init__(self) -> None:
        self._ids = hashlib.sha256()
        self._bits = hashlib.sha256()

    def update(self, ids: list[str], bits: np.ndarray) -> None:
        self._ids.update("".join(f"{record_id}\x00" for record_id in ids).encode("utf-8"))
        self._bits.update(np.ascontiguousarray(bits, dtype="<u8").tobytes())

    def hexdigest(self, header: Mapping[str, Any]) -> str:
        """The digest of the content and of every other header entry (so that weights or rules in the
        header cannot be changed either)."""
        rest = {key: value for key, value in header.items() if key != "digest"}
        canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(self._ids.digest() + self._bits.digest() + canonical).hexdigest()


def make_header(schema_document: Mapping[str, Any], fingerprint: str, key_check: str, dataset: str,
                columns: list[Column], stats: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "pprl_version": __version__,
        "schema": schema_document,
        "schema_fingerprint": fingerprint,
        "key_check": key_check,
        "dataset": dataset,
        "columns": [{"name": c.name, "field": c.field, "bits": c.bits} for c in columns],
        **({"stats": dict(stats)} if stats else {}),
    }


def read(path: str | Path) -> EncodedData:
    """Read and verify an encoded file; refuse anything truncated, tampered or of another format."""
    path = Path(path)
    try:
        parquet = pq.ParquetFile(path)
        metadata = parquet.metadata.metadata or {}
    except FileNotFoundError:
        raise PprlError(f"{path}: file not found") from None
    except (pa.ArrowException, OSError):
        raise PprlError(f"{path}: not a pprl encoded file, or truncated") from None
    if METADATA_KEY not in metadata:
        raise PprlError(f"{path}: not a pprl encoded file (no pprl header)")
    try:
        header = json.loads(metadata[METADATA_KEY])
    except ValueError:
        raise PprlError(f"{path}: damaged pprl header") from None
    if header.get("format") != FORMAT:
        raise PprlError(f"{path}: not a pprl encoded file")
    if header.get("format_version") != FORMAT_VERSION:
        raise CompatibilityError(f"{path}: encoded file format version {header.get('format_version')} is not "
                                 f"supported by pprl {__version__} (reads version {FORMAT_VERSION}); re-encode it")
    if any(key not in header for key in _HEADER_KEYS):
        raise PprlError(f"{path}: damaged pprl header")
    try:
        columns = [Column(str(c["name"]), str(c["field"]), int(c["bits"])) for c in header["columns"]]
    except (KeyError, TypeError, ValueError):
        raise PprlError(f"{path}: damaged pprl header") from None
    if any(c.bits <= 0 or c.bits % 64 for c in columns):
        raise PprlError(f"{path}: damaged pprl header")
    try:
        table = parquet.read()
    except (pa.ArrowException, OSError):
        raise PprlError(f"{path}: truncated or damaged encoded file") from None
    expected = ["id", *(c.name for c in columns)]
    if table.column_names != expected:
        raise PprlError(f"{path}: damaged encoded file (columns do not match its header)")
    ids = np.array(table.column("id").to_pylist(), dtype=object)
    blocks = []
    for column in columns:
        chunked = table.column(column.name).combine_chunks()
        data = np.frombuffer(chunked.buffers()[1], dtype="<u8", count=len(ids) * column.words,
                             offset=chunked.offset * column.bits // 8)
        blocks.append(data.reshape(len(ids), column.words))
    bits = np.ascontiguousarray(np.hstack(blocks)) if blocks else np.zeros((len(ids), 0), np.uint64)
    bits = bits.astype(np.uint64, copy=False)
    digest = _ContentDigest()
    digest.update(list(ids), bits)
    if header.get("records") != len(ids) or digest.hexdigest(header) != header.get("digest"):
        raise PprlError(f"{path}: content does not match its digest: the file was changed or damaged after encoding")
    return EncodedData(ids=ids, bits=bits, columns=columns, header=header)


def check_compatible(paths: list[Path], datasets: list[EncodedData]) -> None:
    """Refuse to link files made under different schemas, secrets or formats, naming what differs."""
    first_path, first = paths[0], datasets[0]
    for path, data in zip(paths[1:], datasets[1:]):
        same_schema = canonical_schema(data.header["schema"]) == canonical_schema(first.header["schema"])
        if data.header["schema_fingerprint"] != first.header["schema_fingerprint"]:
            if same_schema:
                # same schema, other tokens: the transliteration tables, name variants, month names or
                # tokenisation rules of the two pprl installations differ
                raise CompatibilityError(
                    f"{path} and {first_path} were encoded with the same schema but by pprl versions that make "
                    f"different tokens (pprl {data.header.get('pprl_version', '?')} vs "
                    f"{first.header.get('pprl_version', '?')}); all agencies must encode with the same pprl version")
            raise CompatibilityError(
                f"{path} was encoded with a different schema than {first_path} "
                f"(fingerprint {data.header['schema_fingerprint'][:19]}... vs {first.header['schema_fingerprint'][:19]}...); "
                "all agencies must encode with the same schema file")
        elif not same_schema:
            raise CompatibilityError(
                f"{path} and {first_path} carry different schemas under the same fingerprint: one of them was "
                "altered after encoding")
        if data.header["key_check"] != first.header["key_check"]:
            raise CompatibilityError(
                f"{path} was encoded with a different secret than {first_path} "
                f"(key check value {data.header['key_check']} vs {first.header['key_check']}); "
                "all agencies must use the same shared secret")
