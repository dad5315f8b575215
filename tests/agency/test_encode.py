"""Tests of pprl.agency.encode: mapping columns, the encoding pipeline, determinism and bad input."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from pprl import encoded
from pprl.agency import encode, keys, validate
from pprl.errors import InputError
from tests.conftest import FEBRL4_SCHEMA, LAT_EXPORT, LAT_MAPS, MISSING_PERSONS, RU_EXPORT, RU_MAPS, leftovers


@pytest.fixture(scope="module")
def mp_schema():
    return validate.load(MISSING_PERSONS)


@pytest.fixture(scope="module")
def secret():
    return keys.generate_secret()


def _col(data, name) -> int:
    """Index of a filter column by name (the layout of components is the schema's business)."""
    return [c.name for c in data.columns].index(name)


def _encode(tmp_path, schema, secret, source=RU_EXPORT, maps=RU_MAPS, name="out.parquet", **options):
    out = tmp_path / name
    summary = encode.encode_file(source, out, schema, secret, encode.parse_maps(maps), **options)
    return summary, encoded.read(out)


# --- --map ------------------------------------------------------------------------------------------

def test_parse_maps():
    assert encode.parse_maps(["name=a+b+c", "sex=", "birth_date=d", " x = y "]) == {
        "name": ["a", "b", "c"], "sex": [], "birth_date": ["d"], "x": [" y "]}
    for bad in (["name"], ["=col"], ["name=a", "name=b"]):
        with pytest.raises(ValueError):
            encode.parse_maps(bad)


def test_resolve_columns(mp_schema, tmp_path):
    header = ["id", "name", "birth_date", "sex", "mother", "father_name"]
    id_column, mapping = encode.resolve_columns(mp_schema, header, {"mother_name": ["mother"]}, None, tmp_path)
    assert id_column == "id"
    assert mapping == {"name": ["name"], "birth_date": ["birth_date"], "sex": ["sex"],
                       "mother_name": ["mother"], "father_name": ["father_name"]}
    with pytest.raises(InputError, match="mother_name"):  # unmapped and no column of that name
        encode.resolve_columns(mp_schema, header, {}, None, tmp_path)
    with pytest.raises(InputError, match="'nope'"):
        encode.resolve_columns(mp_schema, header, {"mother_name": ["nope"]}, None, tmp_path)
    with pytest.raises(InputError, match="'colour'"):
        encode.resolve_columns(mp_schema, header, {"colour": ["sex"], "mother_name": []}, None, tmp_path)
    with pytest.raises(InputError, match="ID column"):
        encode.resolve_columns(mp_schema, header, {"mother_name": []}, "ref", tmp_path)


# --- the Foundation scenario -----------------------------------------------------------------------------

def test_both_exports_encode_with_the_shipped_schema(tmp_path, mp_schema, secret):
    summary_ru, ru = _encode(tmp_path, mp_schema, secret, RU_EXPORT, RU_MAPS, "ru.parquet")
    summary_lat, lat = _encode(tmp_path, mp_schema, secret, LAT_EXPORT, LAT_MAPS, "lat.parquet")
    assert list(ru.ids) == ["R-001", "R-002", "R-003", "R-004"]
    assert list(lat.ids) == ["T9", "T7", "T5", "T3"]
    assert ru.fingerprint == lat.fingerprint == mp_schema.fingerprint
    assert ru.header["key_check"] == lat.header["key_check"] == keys.check_value(secret)
    names = [c.name for c in ru.columns]
    assert names == [c.name for c in lat.columns]
    assert {"name", "birth_date.year", "birth_date.month_day", "sex", "mother_name", "father_name"} <= set(names)
    assert {c.field for c in ru.columns} == {"name", "birth_date", "sex", "mother_name", "father_name"}
    assert summary_ru.records == summary_lat.records == 4
    # father_name= : missing for every record of the Latin export
    assert summary_lat.missing["father_name"] == 4 and not lat.present[:, _col(lat, "father_name")].any()
    # year-only and "~2013" values have no month/day: missing, not unparsable
    assert summary_lat.unparsable["birth_date"] == 0
    assert lat.present[:, _col(lat, "birth_date.month_day")].tolist() == [False, False, True, True]
    assert lat.present[:, _col(lat, "birth_date.year")].all()
    assert summary_ru.missing["mother_name"] == 1 and summary_ru.missing["father_name"] == 1
    assert ru.present[:, [_col(ru, "name"), _col(ru, "birth_date.year"), _col(ru, "sex")]].all()
    # no raw value in the encoded file: only IDs and filters
    raw = (tmp_path / "ru.parquet").read_bytes()
    for value in ("Магомедова".encode(), "Зарема".encode(), b"17.05.2013", b"2013-05-17"):
        assert value not in raw


def test_the_same_person_agrees_across_scripts_and_layouts(tmp_path, mp_schema, secret):
    from pprl.coordinator import similarity

    _, ru = _encode(tmp_path, mp_schema, secret, RU_EXPORT, RU_MAPS, "ru.parquet")
    _, lat = _encode(tmp_path, mp_schema, secret, LAT_EXPORT, LAT_MAPS, "lat.parquet")
    ia = np.repeat(np.arange(4), 4)
    ib = np.tile(np.arange(4), 4)
    dice = similarity.field_dice(ru.bits, similarity.popcounts(ru.bits, ru.offsets), lat.bits,
                                 similarity.popcounts(lat.bits, lat.offsets), ru.offsets, ia, ib)
    name = dice[:, _col(ru, "name")].reshape(4, 4)
    # R-001 = T9 (index 0), R-002 = T5 (index 2), R-003 = T7 (index 1): the name column ranks them first
    for row, partner in ((0, 0), (1, 2), (2, 1)):
        assert np.argmax(name[row]) == partner, name
        assert name[row, partner] > 0.6
    assert name[3].max() < 0.5  # nobody matches R-004
    year = dice[:, _col(ru, "birth_date.year")].reshape(4, 4)
    assert year[0, 0] >= 0.7 and year[0, 0] == year[0].max()  # 17.05.2013 vs ~2013: an estimate, reaching wider
    assert year[2, 1] == 1.0  # 2012 vs 2012
    md = dice[:, _col(ru, "birth_date.month_day")].reshape(4, 4)
    assert md[1, 2] == 1.0  # 03.04.2011 (dmy) vs 2011-04-03
    assert np.isnan(md[0, 0])  # ~2013 has no month/day: missing, neutral


def test_encoding_twice_gives_identical_files(tmp_path, mp_schema, secret):
    _, one = _encode(tmp_path, mp_schema, secret, name="one.parquet")
    _, two = _encode(tmp_path, mp_schema, secret, name="two.parquet")
    assert np.array_equal(one.bits, two.bits)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()


def test_secret_and_schema_change_the_filters(tmp_path, mp_schema, secret):
    _, base = _encode(tmp_path, mp_schema, secret, name="a.parquet")
    _, other_key = _encode(tmp_path, mp_schema, keys.generate_secret(), name="b.parquet")
    document = dict(mp_schema.document)
    document["fields"] = [dict(f) for f in document["fields"]]
    document["fields"][0] = {**document["fields"][0], "options": {**document["fields"][0]["options"], "ngram": 3}}
    _, other_schema = _encode(tmp_path, validate.from_document(document), secret, name="c.parquet")
    assert other_key.header["key_check"] != base.header["key_check"]
    assert other_schema.fingerprint != base.fingerprint
    for other in (other_key, other_schema):
        for column in range(len(base.columns)):
            lo, hi = base.offsets[column], base.offsets[column + 1]
            present = base.present[:, column]
            if present.any():
                assert not np.array_equal(base.bits[present, lo:hi], other.bits[present, lo:hi])
    # same schema, except a description: same filters
    described = dict(mp_schema.document, description="another text")
    _, same = _encode(tmp_path, validate.from_document(described), secret, name="d.parquet")
    assert np.array_equal(same.bits, base.bits)


def test_chunks_and_processes_do_not_change_the_result(tmp_path, mp_schema, secret):
    _, single = _encode(tmp_path, mp_schema, secret, name="single.parquet", workers=1)
    _, pooled = _encode(tmp_path, mp_schema, secret, name="pooled.parquet", workers=2, chunk_rows=1)
    assert list(single.ids) == list(pooled.ids)
    assert np.array_equal(single.bits, pooled.bits)
    assert single.header["digest"] == pooled.header["digest"]


def _frame(path=RU_EXPORT) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("kind", ["cp1251", "utf-16", "utf-8-sig", "semicolon", "xlsx", "parquet"])
def test_every_input_format_encodes_the_same(tmp_path, mp_schema, secret, kind):
    _, reference = _encode(tmp_path, mp_schema, secret, name="ref.parquet")
    frame = _frame()
    if kind == "xlsx":
        source = tmp_path / "export.xlsx"
        frame.to_excel(source, index=False)
    elif kind == "parquet":
        source = tmp_path / "export.parquet"
        frame.to_parquet(source, index=False)
    else:
        source = tmp_path / "export.csv"
        encoding = "utf-8" if kind == "semicolon" else kind
        frame.to_csv(source, index=False, sep=";" if kind == "semicolon" else ",", encoding=encoding)
    _, other = _encode(tmp_path, mp_schema, secret, source=source, name="other.parquet")
    assert list(other.ids) == list(reference.ids)
    assert np.array_equal(other.bits, reference.bits)


def test_xlsx_date_cells_equal_text_dates(tmp_path, mp_schema, secret):
    import datetime as dt

    openpyxl = pytest.importorskip("openpyxl")
    frame = _frame()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        values = list(row)
        if values[0] == "R-001":
            values[4] = dt.datetime(2013, 5, 17)  # a real date cell instead of "17.05.2013"
        sheet.append(values)
    source = tmp_path / "export.xlsx"
    book.save(source)
    _, reference = _encode(tmp_path, mp_schema, secret, name="ref.parquet")
    _, other = _encode(tmp_path, mp_schema, secret, source=source, name="xlsx.parquet")
    assert np.array_equal(other.bits, reference.bits)


def test_unparsable_values_are_counted_and_strict_stops(tmp_path, mp_schema, secret):
    frame = _frame()
    frame.loc[1, "дата_рождения"] = "31.02.2011"
    frame.loc[2, "пол"] = "unknown-sex"
    source = tmp_path / "bad_dates.csv"
    frame.to_csv(source, index=False)
    summary, data = _encode(tmp_path, mp_schema, secret, source=source)
    assert summary.unparsable["birth_date"] == 1 and summary.unparsable["sex"] == 1
    assert summary.missing_rate("birth_date") == 0.25
    # an unreadable value counts as missing
    assert not data.present[1, [_col(data, "birth_date.year"), _col(data, "birth_date.month_day")]].any()
    assert not data.present[2, _col(data, "sex")]
    out = tmp_path / "strict.parquet"
    with pytest.raises(InputError) as caught:
        encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), strict=True)
    error = caught.value
    assert (error.row, error.column) == (3, "дата_рождения")  # header is row 1
    assert "31.02.2011" not in str(error)
    assert not out.exists() and not leftovers(tmp_path)


@pytest.mark.parametrize("change, row, problem", [
    (lambda f: f.__setitem__("номер", ["A", "B", "A", "C"]), 4, "duplicate"),
    (lambda f: f.__setitem__("номер", ["A", "", "B", "C"]), 3, "empty record ID"),
    (lambda f: f.__setitem__("номер", ["A", "B", "C", "   "]), 5, "empty record ID"),
])
def test_bad_ids(tmp_path, mp_schema, secret, change, row, problem):
    frame = _frame()
    change(frame)
    source = tmp_path / "ids.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=problem) as caught:
        encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS))
    assert caught.value.row == row and caught.value.column is None  # a default ID column: no header cell shown
    assert not out.exists() and not leftovers(tmp_path)


def test_duplicate_ids_across_chunks_and_processes(tmp_path, mp_schema, secret):
    frame = _frame()
    frame["номер"] = ["A", "B", "C", "A"]
    source = tmp_path / "ids.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match="duplicate") as caught:
        encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), workers=2, chunk_rows=1)
    assert caught.value.row == 5
    assert not out.exists() and not leftovers(tmp_path)


def _lines_with_gaps(ids: list[str]) -> list[str]:
    """The Russian export's lines (header first) with the given IDs, a blank line after the first record
    and a line of empty fields after the second: its records are on lines 2, 4, 6 and 7."""
    frame = _frame()
    frame["номер"] = ids
    lines = frame.to_csv(index=False).splitlines()
    empty = "," * (len(frame.columns) - 1)
    return [lines[0], lines[1], "", lines[2], empty, lines[3], lines[4]]


@pytest.mark.parametrize("workers, chunk_rows", [(1, 2_048), (2, 1)])
def test_rows_in_errors_are_the_file_rows_despite_blank_and_empty_lines(tmp_path, mp_schema, secret, workers,
                                                                        chunk_rows):
    source = tmp_path / "gaps.csv"
    source.write_text("\n".join(_lines_with_gaps(["A", "B", "C", "B"])) + "\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    with pytest.raises(InputError, match=r"first used in row 4\)") as caught:
        encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), workers=workers,
                           chunk_rows=chunk_rows)
    assert caught.value.row == 7
    lines = _lines_with_gaps(["A", "B", "C", "D"])
    lines[5] = lines[5].replace(",2012,", ",31.02.2011,")  # the third record
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="strict") as caught:
        encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), strict=True,
                           workers=workers, chunk_rows=chunk_rows)
    assert caught.value.row == 6


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_entirely_empty_rows_are_skipped(tmp_path, mp_schema, secret, kind):
    _, reference = _encode(tmp_path, mp_schema, secret, name="ref.parquet")
    lines = _lines_with_gaps(list(_frame()["номер"]))
    if kind == "csv":
        source = tmp_path / "gaps.csv"
        source.write_text("\n".join(lines + [lines[4]] * 3) + "\n", encoding="utf-8")
    else:
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        for line in lines:
            book.active.append(line.split(",") if line else [])
        book.active["A10"].number_format = "@"  # a formatted but empty cell: empty rows up to row 10
        source = tmp_path / "gaps.xlsx"
        book.save(source)
    summary, data = _encode(tmp_path, mp_schema, secret, source=source, name="gaps.parquet")
    assert summary.records == 4
    assert list(data.ids) == list(reference.ids)
    assert np.array_equal(data.bits, reference.bits)


def test_header_only_and_empty_files(tmp_path, mp_schema, secret):
    header_only = tmp_path / "header.csv"
    header_only.write_text(RU_EXPORT.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for source, problem in ((header_only, "no records"), (empty, "empty")):
        out = tmp_path / "out.parquet"
        with pytest.raises(InputError, match=problem):
            encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS))
        assert not out.exists() and not leftovers(tmp_path)


def test_id_column_and_dataset_options(tmp_path, mp_schema, secret):
    frame = _frame()
    frame.insert(0, "row", ["1", "2", "3", "4"])
    source = tmp_path / "agency.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out.parquet"
    encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), id_column="номер")
    data = encoded.read(out)
    assert list(data.ids) == ["R-001", "R-002", "R-003", "R-004"]
    assert data.dataset == "agency"
    encode.encode_file(source, out, mp_schema, secret, encode.parse_maps(RU_MAPS), dataset="interior-ministry")
    data = encoded.read(out)
    assert list(data.ids) == ["1", "2", "3", "4"] and data.dataset == "interior-ministry"


def test_ids_are_kept_as_text(tmp_path, secret):
    schema = validate.load(FEBRL4_SCHEMA)
    source = tmp_path / "ids.csv"
    source.write_text("rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,"
                      "date_of_birth,soc_sec_id\n007,anna,ivanova,1,a,b,c,0800,nt,19800101,1234567\n"
                      " 08 ,,,,,,,,,,\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    encode.encode_file(source, out, schema, secret)
    data = encoded.read(out)
    assert list(data.ids) == ["007", "08"]
    assert not data.present[1].any()


def test_parquet_null_date_is_missing(tmp_path, mp_schema, secret):
    frame = pd.DataFrame({"id": ["a", "b"], "name": ["Zarema Magomedova", "Petr Ivanov"],
                          "birth_date": pd.to_datetime(["2013-05-17", None]), "sex": ["f", "m"],
                          "mother_name": ["", ""], "father_name": ["", ""]})
    source = tmp_path / "export.parquet"
    frame.to_parquet(source)
    summary = encode.encode_file(source, tmp_path / "out.parquet", mp_schema, secret, workers=1)
    data = encoded.read(tmp_path / "out.parquet")
    assert summary.missing["birth_date"] == 1
    assert data.present[:, _col(data, "birth_date.year")].tolist() == [True, False]


# --- encodings pinned across versions ---------------------------------------------------------------
PINNED_SECRET = bytes(range(32))
EXAMPLES = MISSING_PERSONS.parents[1] / "examples" / "missing-persons"
#: SHA-256 (first 16 hex digits) of the filters of each input under PINNED_SECRET. Agencies encode
#: with whatever pprl version they have installed: a change here means that files encoded before and
#: after it no longer link. If intended, change a version in pprl/token_rules.py (or the data tables),
#: then the pins.
PINNED = {
    "febrl4_a": "f9f0c7946a6385d0",
    "missing-persons a": "7e86d288462222ef",
    "missing-persons b": "2ff3143e018c0ecd",
}


def _digest(tmp_path, schema, source, maps, id_column) -> str:
    out = tmp_path / "pinned.parquet"
    encode.encode_file(source, out, schema, PINNED_SECRET, maps, id_column=id_column, workers=1)
    return hashlib.sha256(encoded.read(out).bits.tobytes()).hexdigest()[:16]


def test_encodings_are_pinned(tmp_path, mp_schema, febrl4):
    found = {
        "febrl4_a": _digest(tmp_path, validate.load(FEBRL4_SCHEMA), febrl4["folder"] / "febrl4_a.csv", {},
                            None),
        "missing-persons a": _digest(tmp_path, mp_schema, EXAMPLES / "a.csv",
                                     {"name": ["given_name", "patronymic", "surname"]}, "record_id"),
        "missing-persons b": _digest(tmp_path, mp_schema, EXAMPLES / "b.csv", {"name": ["full_name"]}, "record_id"),
    }
    assert found == PINNED
