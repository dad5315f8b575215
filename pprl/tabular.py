"""Reading agency exports (CSV in any of the usual encodings, Excel .xlsx, Parquet) in chunks.

Every cell is read as text (or a date cell as a date); nothing is guessed about types, and no value
ever appears in an error: problems name the file, row and column.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from pprl.errors import InputError

_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class Chunk:
    """Consecutive rows of an export; ``first_row`` is the 1-based data row number of the first one
    (the header is row 0 of a CSV, so data row 1 is line 2 of the file)."""

    frame: pd.DataFrame
    first_row: int


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV export: BOMs first, then strict UTF-8, then charset detection among
    the encodings agencies really use (UTF-16 without BOM, Windows-1251)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if 0 in head:  # text exports never hold NUL bytes, UTF-16 does (ASCII) or the high byte is small
        return "utf-16-le" if _high_bytes(head[1::2]) >= _high_bytes(head[0::2]) else "utf-16-be"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a multi-byte character cut by the sniff window
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=["cp1251", "koi8_r", "cp1256", "cp1252", "latin_1"]).best()
    if best is None:
        raise InputError(path, "cannot tell the text encoding; save the export as UTF-8")
    return best.encoding


def _high_bytes(half: bytes) -> int:
    """How many bytes of one half of a UTF-16 sample look like high bytes of Latin (0x00),
    Cyrillic (0x04) or Arabic (0x06) characters."""
    return half.count(0) + half.count(4) + half.count(6)


def _sniff_delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES // 4)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_header(path: str | Path) -> list[str]:
    """The column names of an export, without reading its rows."""
    return list(next(iter_chunks(path, chunk_rows=1, header_only=True)).frame.columns)


def iter_chunks(path: str | Path, chunk_rows: int = 20_000, header_only: bool = False) -> Iterator[Chunk]:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_chunks(path, chunk_rows, header_only)
    elif suffix in (".parquet", ".pq"):
        yield from _parquet_chunks(path, chunk_rows, header_only)
    else:
        yield from _csv_chunks(path, chunk_rows, header_only)


def _csv_chunks(path: Path, chunk_rows: int, header_only: bool) -> Iterator[Chunk]:
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty (no header row)")
    encoding = detect_encoding(path)
    delimiter = _sniff_delimiter(path, encoding)
    options = dict(encoding=encoding, sep=delimiter, dtype=str, keep_default_na=False, na_filter=False)
    try:
        header = pd.read_csv(path, nrows=0, **options)
        if header_only:
            yield Chunk(header, 1)
            return
        first = 1
        with pd.read_csv(path, chunksize=chunk_rows, **options) as reader:
            for frame in reader:
                yield Chunk(frame, first)
                first += len(frame)
        if first == 1:
            yield Chunk(header, 1)
    except pd.errors.EmptyDataError:
        raise InputError(path, "the file is empty (no header row)") from None
    except UnicodeDecodeError:
        raise InputError(path, f"not valid {encoding} text; save the export as UTF-8") from None
    except pd.errors.ParserError as error:
        raise InputError(path, _parser_problem(error)) from None


def _parser_problem(error: Exception) -> str:
    """pandas' parser messages name the line and field counts only, never cell text; keep just that."""
    text = str(error)
    marker = text.find("Expected")
    return "malformed CSV: " + (text[marker:].strip() if marker >= 0 else "cannot be parsed")


def _xlsx_chunks(path: Path, chunk_rows: int, header_only: bool) -> Iterator[Chunk]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        raise InputError(path, "not a readable .xlsx workbook") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputError(path, "the first sheet is empty (no header row)")
        columns = [("" if name is None else str(name)) for name in header]
        if header_only:
            yield Chunk(pd.DataFrame(columns=columns), 1)
            return
        batch: list[tuple] = []
        first = 1
        for values in rows:
            batch.append(tuple(_cell(v) for v in values))
            if len(batch) == chunk_rows:
                yield Chunk(pd.DataFrame(batch, columns=columns, dtype=object), first)
                first += len(batch)
                batch = []
        if batch or first == 1:
            yield Chunk(pd.DataFrame(batch, columns=columns, dtype=object), first)
    finally:
        workbook.close()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if hasattr(value, "year"):  # keep date cells as dates: no format guessing needed
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parquet_chunks(path: Path, chunk_rows: int, header_only: bool) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        raise InputError(path, "not a readable Parquet file") from None
    columns = parquet.schema_arrow.names
    if header_only:
        yield Chunk(pd.DataFrame(columns=columns), 1)
        return
    first = 1
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        for name in frame.columns:
            if not pd.api.types.is_datetime64_any_dtype(frame[name]):
                frame[name] = frame[name].map(lambda v: "" if v is None or v != v else str(v))
        yield Chunk(frame, first)
        first += len(frame)
    if first == 1:
        yield Chunk(pd.DataFrame(columns=columns), 1)
