"""Tests of pprl.tabular: CSV encodings and delimiters, xlsx, Parquet, and bad files."""

from __future__ import annotations

import codecs
import io
import datetime as dt

import pandas as pd
import pytest

from pprl import tabular
from pprl.errors import InputError

HEADER = ["id", "фамилия", "имя", "отчество", "дата_рождения"]
ROWS = [
    ["r1", "Магомедова", "Зарема", "Руслановна", "17.05.2013"],
    ["r2", "Иванов", "Пётр", "Сергеевич", "03.04.2011"],
    ["r3", "Шамсутдинова", "Айшат", "", "2012"],
    ["r4", "Кузнецова", "Юлия", "Михайловна", "~2010"],
]
VALUES = [v for row in ROWS for v in row if v]


def _text(delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(row) for row in [HEADER, *ROWS]) + "\r\n"


LATIN_ROWS = [["r1", "Magomedova", "Zarema", "Ruslanovna", "17.05.2013"], ["r2", "Ivanov", "Pyotr", "", "2011"]]


def _latin() -> str:
    return "\r\n".join(",".join(row) for row in [HEADER, *LATIN_ROWS]) + "\r\n"


def _frame(path) -> pd.DataFrame:
    frames = [chunk.frame for chunk in tabular.iter_chunks(path)]
    return pd.concat(frames, ignore_index=True)


EXPECTED = pd.DataFrame(ROWS, columns=HEADER)


@pytest.mark.parametrize("name, data", [
    ("utf8", _text().encode("utf-8")),
    ("utf8-bom", codecs.BOM_UTF8 + _text().encode("utf-8")),
    ("utf16-bom", _text().encode("utf-16")),
    ("utf16le-bom", codecs.BOM_UTF16_LE + _text().encode("utf-16-le")),
    ("utf16be-bom", codecs.BOM_UTF16_BE + _text().encode("utf-16-be")),
    ("utf16le", _text().encode("utf-16-le")),
    ("utf16be", _text().encode("utf-16-be")),
    ("utf16le-latin", _latin().encode("utf-16-le")),
    ("utf16be-latin", _latin().encode("utf-16-be")),
    ("cp1251", _text().encode("cp1251")),
    ("utf8-semicolon", _text(";").encode("utf-8")),
    ("cp1251-semicolon", _text(";").encode("cp1251")),
    ("utf8-tab", _text("\t").encode("utf-8")),
])
def test_csv_encodings_decode_to_the_same_frame(tmp_path, name, data):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    expected = pd.DataFrame(LATIN_ROWS, columns=HEADER) if name.endswith("latin") else EXPECTED
    pd.testing.assert_frame_equal(_frame(path), expected)
    assert tabular.read_header(path) == HEADER


def test_cp1251_detection_on_a_short_file(tmp_path):
    path = tmp_path / "short.csv"
    path.write_bytes("id,фамилия\n1,Магомедова\n".encode("cp1251"))
    assert list(_frame(path)["фамилия"]) == ["Магомедова"]


def test_utf8_multibyte_character_cut_by_the_sniff_window(tmp_path):
    # a file longer than the sniffing window whose window ends inside a two-byte character
    filler = "x" * (tabular._SNIFF_BYTES - len("id,name\n") - 1)
    path = tmp_path / "long.csv"
    path.write_bytes(f"id,name\n1,{filler[:-2]}\n2,Пётр\n".encode("utf-8"))
    head = path.read_bytes()[: tabular._SNIFF_BYTES]
    frame = _frame(path)
    assert frame["name"].iloc[1] == "Пётр"
    assert head  # the scenario is built, whatever the exact cut


def test_quoted_fields_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,name,note\n1,"Ivanova, Anna","two\nlines"\n2,Petrov,\n', encoding="utf-8")
    frame = _frame(path)
    assert list(frame["name"]) == ["Ivanova, Anna", "Petrov"]
    assert frame["note"].iloc[0] == "two\nlines"
    assert frame["note"].iloc[1] == ""


def test_cells_are_text_not_guessed_types(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,zip,code\n007,01234,NA\n008,,NULL\n", encoding="utf-8")
    frame = _frame(path)
    assert list(frame["id"]) == ["007", "008"]
    assert list(frame["zip"]) == ["01234", ""]
    assert list(frame["code"]) == ["NA", "NULL"]


def test_chunks_carry_the_rows_a_spreadsheet_shows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,v\n" + "".join(f"{i},x{i}\n" for i in range(7)), encoding="utf-8")
    chunks = list(tabular.iter_chunks(path, chunk_rows=3))
    assert [c.rows.tolist() for c in chunks] == [[2, 3, 4], [5, 6, 7], [8]]  # the header is row 1


def test_blank_and_entirely_empty_csv_rows_are_skipped_but_counted(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("id,name,note\r\nR1,Anna,\r\n\r\nR2,Oleg,\r\n,,\r\n , ,\t\r\n"
                    'R3,Petr,"two\nlines"\r\nR4,Olga,\r\n,,\r\n,,\r\n', encoding="utf-8")
    chunks = list(tabular.iter_chunks(path, chunk_rows=2))
    assert [c.rows.tolist() for c in chunks] == [[2, 4], [7, 8]]  # a multi-line field is one row
    assert list(_frame(path)["id"]) == ["R1", "R2", "R3", "R4"]


def test_trailing_delimiter_on_data_rows_is_ignored(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text("id,name,birth_date,sex,mother_name,father_name\n"
                    "R1,Zzyzx Qwertova,01.01.2011,m,Anna,Oleg,\nR2,Petr Ivanov,2011,m,,\nR3,Olga,,f,,,\n",
                    encoding="utf-8")
    frame = _frame(path)
    assert list(frame.columns) == ["id", "name", "birth_date", "sex", "mother_name", "father_name"]
    assert list(frame["id"]) == ["R1", "R2", "R3"]
    assert frame.iloc[0].tolist() == ["R1", "Zzyzx Qwertova", "01.01.2011", "m", "Anna", "Oleg"]
    assert frame.iloc[1].tolist() == ["R2", "Petr Ivanov", "2011", "m", "", ""]  # a short row is padded


def test_a_filled_field_beyond_the_header_is_refused(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("id,name,birth_date\nR1,Zzyzx,2011\nR2,Qwertova, Anna,2011\n", encoding="utf-8")
    with pytest.raises(InputError, match="4 fields where the header has 3") as caught:
        _frame(path)
    assert caught.value.row == 3
    for value in ("Zzyzx", "Qwertova", "Anna"):
        assert value not in str(caught.value)


def test_duplicate_and_empty_header_names_are_made_unique(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("id,name,,name\n1,a,b,c\n", encoding="utf-8")
    assert tabular.read_header(path) == ["id", "name", "Unnamed: 2", "name.1"]
    assert _frame(path).iloc[0].tolist() == ["1", "a", "b", "c"]


def test_a_stray_nul_is_not_taken_for_utf16(tmp_path):
    for encoding in ("utf-8", "cp1251"):
        path = tmp_path / f"nul-{encoding}.csv"
        path.write_bytes(_text().replace("Иванов", "Ива\0нов").encode(encoding))
        assert tabular.detect_encoding(path) == encoding
        with pytest.raises(InputError, match="NUL") as caught:
            _frame(path)
        assert caught.value.row == 3
        for value in VALUES:
            assert value not in str(caught.value)


def test_nul_padding_in_a_damaged_file_is_refused(tmp_path):
    path = tmp_path / "padded.csv"
    path.write_bytes(_text().encode("utf-8") + bytes(4096) + b"r5,x,y,z,2011\r\n")
    assert tabular.detect_encoding(path) == "utf-8"  # NULs on both byte parities: not UTF-16
    with pytest.raises(InputError, match="NUL") as caught:
        _frame(path)
    assert caught.value.row == 6


def test_a_nul_in_the_header_is_refused_before_any_row_is_read(tmp_path):
    path = tmp_path / "nul-header.csv"
    path.write_bytes(b"id,na\0me\n1,x\n")
    with pytest.raises(InputError, match="NUL") as caught:
        tabular.read_header(path)
    assert caught.value.row == 1


def test_a_non_utf8_byte_at_the_very_end_of_a_short_file(tmp_path):
    # the sniff window holds the whole file: nothing is cut, so the byte is not UTF-8
    path = tmp_path / "tail.csv"
    path.write_bytes(("id,name\n" + "".join(f"{i},Ivanov\n" for i in range(50)) + "50,Оля").encode("cp1251"))
    assert tabular.detect_encoding(path) == "cp1251"
    frame = _frame(path)
    assert len(frame) == 51 and frame["name"].iloc[-1] == "Оля"


@pytest.mark.parametrize("text, encoding", [
    ("id,name,sex\n1,Ivanov Ivan,м\n2,Petrova Anna,ж\n", "cp1251"),  # too little Cyrillic for the detector
    ("id,name\n1,François Dupont\n2,Élise Müller\n3,José\n", "cp1252"),
])
def test_few_cyrillic_words_are_not_taken_for_western_european(tmp_path, text, encoding):
    path = tmp_path / "short.csv"
    path.write_bytes(text.encode(encoding))
    assert tabular.detect_encoding(path) == encoding
    assert _frame(path).equals(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))


@pytest.mark.parametrize("text, row, line, problem", [
    ('id,name\nR1,Zzyzx\n\nR2,"Qwertova\nR3,Anna\n', 4, 4, "never closes"),
    ('id,name\nR1,"Zzyzx\nQwertova"\nR2,"Anna"Oleg\n', 3, 4, "after the closing quote"),
])
def test_malformed_quotes_name_the_row_and_line(tmp_path, text, row, line, problem):
    path = tmp_path / "quotes.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem) as caught:
        _frame(path)
    assert caught.value.row == row
    assert f"line {line}" in str(caught.value)
    for value in ("Zzyzx", "Qwertova", "Anna", "Oleg"):
        assert value not in str(caught.value)


def test_xlsx_with_a_date_cell(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    sheet.append(["r5", "Петров", "Иван", "", dt.datetime(2013, 5, 17)])
    sheet.append(["r6", "Сидоров", None, None, 2013])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    frame = _frame(path)
    assert list(frame.columns) == HEADER
    assert list(frame["id"]) == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert frame["фамилия"].iloc[0] == "Магомедова"
    date_cell = frame["дата_рождения"].iloc[4]
    assert (date_cell.year, date_cell.month, date_cell.day) == (2013, 5, 17)
    assert frame["дата_рождения"].iloc[5] == "2013"  # a number cell, read as text without ".0"
    assert frame["имя"].iloc[5] == "" and frame["отчество"].iloc[5] == ""
    assert tabular.read_header(path) == HEADER


def test_xlsx_header_only_and_damaged(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    path = tmp_path / "header.xlsx"
    workbook.save(path)
    assert len(_frame(path)) == 0
    assert tabular.read_header(path) == HEADER
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="xlsx"):
        _frame(bad)


def test_xlsx_empty_rows_and_a_formatted_empty_cell(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "name"])
    sheet.append(["r1", "Anna"])
    sheet.append([None, "  "])
    sheet.append(["r2", "Oleg"])
    sheet["A10"].number_format = "@"  # formatted, never filled: rows 5-10 come out empty
    path = tmp_path / "gaps.xlsx"
    workbook.save(path)
    chunks = list(tabular.iter_chunks(path))
    assert [c.rows.tolist() for c in chunks] == [[2, 4]]
    assert list(chunks[0].frame["id"]) == ["r1", "r2"]


def test_parquet(tmp_path):
    frame = EXPECTED.copy()
    frame["n"] = [1, 2, None, 4]
    path = tmp_path / "export.parquet"
    frame.to_parquet(path)
    read = _frame(path)
    assert list(read.columns) == [*HEADER, "n"]
    pd.testing.assert_frame_equal(read[HEADER], EXPECTED)
    assert read["n"].iloc[2] == ""
    assert tabular.read_header(path) == [*HEADER, "n"]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="Parquet"):
        _frame(bad)


def test_parquet_entirely_empty_rows_are_skipped_but_counted(tmp_path):
    path = tmp_path / "gaps.parquet"
    pd.DataFrame({"id": ["a", None, "b", " "], "n": [1.0, None, None, None],
                  "d": pd.to_datetime(["2013-05-17", None, None, None])}).to_parquet(path)
    chunks = list(tabular.iter_chunks(path, chunk_rows=3))
    assert [c.rows.tolist() for c in chunks] == [[2, 4]]  # numbered as if there were a header row
    assert list(chunks[0].frame["id"]) == ["a", "b"]


@pytest.mark.parametrize("values", [[["x", "y"], []], [{"given": "x"}, {"given": "y"}]], ids=["list", "struct"])
def test_parquet_nested_column_is_refused_by_name(tmp_path, values):
    path = tmp_path / "nested.parquet"
    pd.DataFrame({"id": ["a", "b"], "aliases": values}).to_parquet(path)
    for read in (_frame, tabular.read_header):
        with pytest.raises(InputError, match="lists or records") as caught:
            read(path)
        assert caught.value.column == "aliases"


def test_parquet_date_column_keeps_dates(tmp_path):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"id": ["a"], "d": pd.to_datetime(["2013-05-17"])}).to_parquet(path)
    value = _frame(path)["d"].iloc[0]
    assert (value.year, value.month, value.day) == (2013, 5, 17)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as caught:
        _frame(path)
    assert str(path) in str(caught.value)


def test_header_only_file(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    frame = _frame(path)
    assert list(frame.columns) == HEADER
    assert len(frame) == 0


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        _frame(tmp_path / "nope.csv")


def test_malformed_csv_names_the_file_not_the_values(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,Магомедова\n2,Зарема,Qwertz,Asdfgh\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        _frame(path)
    message = str(caught.value)
    assert str(path) in message
    assert "malformed" in message
    for value in ("Магомедова", "Зарема", "Qwertz", "Asdfgh"):
        assert value not in message


def test_undecodable_utf16_is_an_input_error(tmp_path):
    path = tmp_path / "bad16.csv"
    path.write_bytes("id,name\r\nR1,Zarema\r\n".encode("utf-16-le") + b"\x00\xd8" + "R2,x\r\n".encode("utf-16-le"))
    with pytest.raises(InputError) as caught:
        _frame(path)
    assert "Zarema" not in str(caught.value)


def test_undecodable_bytes_after_the_sniff_window(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,name\n" + b"".join(b"%d,Zarema\n" % i for i in range(10000)) + b"99999,\xff\xfe\n")
    with pytest.raises(InputError, match="utf-8") as caught:
        _frame(path)
    assert "Zarema" not in str(caught.value)
