"""Reading agency exports (CSV in any of the usual encodings, Excel .xlsx, Parquet) in chunks.

Every cell is read as text (or a date cell as a date); nothing is guessed about types, and no value
ever appears in an error: problems name the file, row and column.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from pprl.errors import InputError

_SNIFF_BYTES = 1 << 16
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Chunk:
    """Consecutive records of an export. The frame's index holds each record's row as a spreadsheet shows
    it, the numbering errors use: the header is row 1 and data row N is row N + 1 (line N + 1 of a CSV
    without multi-line quoted fields; for Parquet, record N is row N + 1). Blank and entirely empty rows
    are left out but counted, so the numbers can skip."""

    frame: pd.DataFrame

    @property
    def rows(self) -> np.ndarray:
        return self.frame.index.to_numpy()


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV export: BOMs first, then UTF-16 without BOM, then strict UTF-8, then
    charset detection among the encodings agencies really use (Windows-1251 and relatives)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        continues = bool(handle.read(1))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_byte_order(head)
    if utf16:
        return utf16
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if continues and error.reason == "unexpected end of data":  # a character cut by the sniff window
            return "utf-8"
    from charset_normalizer import from_bytes

    sample = head.replace(b"\0", b"")  # stray NULs would spoil the detection; the reader reports them
    best = from_bytes(sample, cp_isolation=["cp1251", "koi8_r", "cp1256", "cp1252", "latin_1"]).best()
    if (best is None or best.encoding in ("cp1252", "latin_1")) and _reads_as_cyrillic(sample):
        return "cp1251"
    if best is None:
        raise InputError(path, "cannot tell the text encoding; save the export as UTF-8")
    return best.encoding


def _reads_as_cyrillic(head: bytes) -> bool:
    """Whether, read as Windows-1251, the sample has Cyrillic words and no word mixing Cyrillic with
    other letters.

    Charset detection needs enough text to judge: Latin names with sex as "м"/"ж", or a single short
    Cyrillic word, come out as Windows-1252, a few short lines as nothing. Read as Windows-1251, Western European text mixes scripts
    within words instead ("Franзois", "Йlise"), so a sample without any such word is taken for Cyrillic.
    """
    def cyrillic(char: str) -> bool:
        return "\u0400" <= char <= "\u04ff"

    words = [word for word in _WORD.findall(head.decode("cp1251", errors="replace")) if any(map(cyrillic, word))]
    return bool(words) and all(all(map(cyrillic, word)) for word in words)


def _utf16_byte_order(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` if a sample without BOM is UTF-16, else None.

    UTF-16 puts a NUL byte beside every ASCII character (delimiters, digits and line breaks: every export
    has plenty), always in the same byte of the pair, the high one. So the sample is taken for UTF-16 when
    at least a tenth of the bytes at one parity, and at least four, are NUL, and the other parity holds at
    most a tenth as many. A stray NUL in 8-bit text is far too rare for that, and a run of NULs (a damaged
    file) falls on both parities alike.
    """
    even, odd = head[0::2].count(0), head[1::2].count(0)
    high, low = max(even, odd), min(even, odd)
    if high < max(4, len(head) // 20) or low * 10 > high:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


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
    """The records of an export in chunks of at most ``chunk_rows`` (one chunk, maybe empty, at least)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a directory, not an export")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_chunks(path, chunk_rows, header_only)
    elif suffix in (".parquet", ".pq"):
        yield from _parquet_chunks(path, chunk_rows, header_only)
    else:
        yield from _csv_chunks(path, chunk_rows, header_only)


def _record_chunks(path: Path, records: Iterable[Sequence[object]], chunk_rows: int,
                   header_only: bool) -> Iterator[Chunk]:
    """Chunks of the records of a CSV or a sheet, numbered by their row (the first record is row 1).

    A blank record (every cell empty or white space) comes as an empty sequence and is skipped; the first
    other one is the header. A record shorter than the header is padded with empty cells; a longer one
    is refused unless its extra cells are empty (a trailing delimiter on every line is common in exports).
    """
    numbered = enumerate(records, start=1)
    columns = next((_column_names(record) for _, record in numbered if record), None)
    if columns is None:
        raise InputError(path, "no header row: the file (or its first sheet) is empty")
    if header_only:
        yield Chunk(pd.DataFrame(columns=columns))
        return
    width = len(columns)
    rows: list[int] = []
    batch: list[Sequence[object]] = []
    yielded = False
    for row, record in numbered:
        if not record:
            continue
        if len(record) != width:
            record = _fit(record, width, path, row)
        rows.append(row)
        batch.append(record)
        if len(batch) == chunk_rows:
            yield _chunk(batch, rows, columns)
            rows, batch, yielded = [], [], True
    if batch or not yielded:
        yield _chunk(batch, rows, columns)


def _chunk(records: list[Sequence[object]], rows: list[int], columns: list[str]) -> Chunk:
    return Chunk(pd.DataFrame(records, index=pd.Index(rows, dtype=np.int64), columns=columns, dtype=object))


def _blank(record: Sequence[object]) -> bool:
    return all(isinstance(cell, str) and not cell.strip() for cell in record)


def _fit(record: Sequence[object], width: int, path: Path, row: int) -> Sequence[object]:
    """A record cut or padded to the header's width; only empty cells may be cut."""
    if len(record) < width:
        return [*record, *[""] * (width - len(record))]
    if not _blank(record[width:]):
        raise InputError(path, f"malformed row: {len(record)} fields where the header has {width} "
                         "(an unquoted delimiter inside a value?)", row)
    return record[:width]


def _column_names(header: Sequence[object]) -> list[str]:
    """Header cells as unique column names, as pandas makes them: an empty cell is ``Unnamed: i``,
    a repeated name gets ``.1``, ``.2`` and so on."""
    names: list[str] = []
    for index, cell in enumerate(header):
        base = f"Unnamed: {index}" if cell is None or cell == "" else str(cell)
        name, repeat = base, 0
        while name in names:
            repeat += 1
            name = f"{base}.{repeat}"
        names.append(name)
    return names


def _csv_chunks(path: Path, chunk_rows: int, header_only: bool) -> Iterator[Chunk]:
    encoding = detect_encoding(path)
    delimiter = _sniff_delimiter(path, encoding)
    try:
        with open(path, encoding=encoding, newline="") as handle:
            yield from _record_chunks(path, _csv_records(path, handle, delimiter), chunk_rows, header_only)
    except UnicodeDecodeError:
        raise InputError(path, f"not valid {encoding} text; save the export as UTF-8") from None


def _csv_records(path: Path, handle: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """Every record of a CSV, blank lines included, strictly parsed: a quote that never closes, or text
    after a closing quote, is refused rather than guessed at. Problems name the row and the line.

    The csv module rather than pandas' C parser, which cuts a cell at a NUL character, takes the first
    column for an index when data rows have one field more than the header (a trailing delimiter), and
    hides blank lines from the row numbers. Reading stays far faster than encoding.
    """
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    row, line = 0, 1  # the last record's row; the line the next one starts on
    try:
        for row, record in enumerate(reader, start=1):
            text = "".join(record)
            if "\0" in text:
                raise InputError(path, "holds a NUL character: a damaged export, or one in an encoding that "
                                 "was not recognised; save it again as UTF-8", row)
            yield record if text.strip() else []
            line = reader.line_num + 1
    except csv.Error as error:
        raise InputError(path, f"malformed CSV: {_csv_problem(error)} (the record starting on line {line})",
                         row + 1) from None


def _csv_problem(error: csv.Error) -> str:
    """The csv module's complaint in words of our own: its messages are fixed texts, but only those
    known here are repeated."""
    text = str(error)
    if "unexpected end of data" in text:
        return "a quoted field never closes"
    if "expected after" in text:
        return "text after the closing quote of a field"
    if "field larger than field limit" in text:
        return f"a field longer than {csv.field_size_limit()} characters (a quote that never closes?)"
    return "cannot be parsed"


def _xlsx_chunks(path: Path, chunk_rows: int, header_only: bool) -> Iterator[Chunk]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        raise InputError(path, "not a readable .xlsx workbook") from None
    try:
        # from row 1 on, missing rows filled in, so the n-th record is the sheet's row n
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        yield from _record_chunks(path, (_sheet_record(values) for values in rows), chunk_rows, header_only)
    finally:
        workbook.close()


def _sheet_record(values: Sequence[object]) -> tuple:
    cells = tuple(_cell(v) for v in values)
    return () if _blank(cells) else cells


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
    schema = parquet.schema_arrow
    nested = next((f.name for f in schema if pa.types.is_nested(f.type)), None)
    if nested is not None:
        raise InputError(path, "the column holds lists or records, not single values; export it as text "
                         "or leave it out", column=nested)
    if header_only:
        yield Chunk(pd.DataFrame(columns=schema.names))
        return
    done = 1  # rows before this batch: there is no header row, but rows are numbered as if there were
    yielded = False
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame.index = pd.RangeIndex(done + 1, done + 1 + len(frame))
        done += len(frame)
        blank = np.ones(len(frame), dtype=bool)
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                blank &= frame[name].isna().to_numpy()
            else:
                frame[name] = frame[name].map(lambda v: "" if v is None or v != v else str(v))
                blank &= (frame[name].str.strip() == "").to_numpy()
        if not blank.all():
            yield Chunk(frame[~blank])
            yielded = True
    if not yielded:
        yield Chunk(pd.DataFrame(columns=schema.names, index=pd.Index([], dtype=np.int64)))
