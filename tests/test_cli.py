"""End-to-end tests of the `pprl` command line (CliRunner): encode, link, evaluate, and every bad input.

For every failing run: exit code 1 (2 for usage errors), no output file, no temporary file, an existing
output untouched, no traceback, and none of the input's values in the messages.
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pandas as pd
import pytest

from pprl import encoded
from pprl.cli import main
from tests.conftest import (LAT_EXPORT, LAT_MAPS, MISSING_PERSONS, RU_EXPORT, RU_MAPS, TRUE_PAIRS, cell_values,
                            leftovers)

DISTINCTIVE = ["Zarema", "Магомедова", "Зарема", "Руслановна", "17.05.2013", "2013-05-17", "Patimat", "Шамсутдинов"]


def _maps(maps):
    return [arg for item in maps for arg in ("--map", item)]


def _encode(runner, source, out, secret_file, maps=RU_MAPS, schema=MISSING_PERSONS, extra=()):
    return runner.invoke(main, ["encode", str(source), "--schema", str(schema), "--secret-file", str(secret_file),
                                *_maps(maps), "-o", str(out), *extra])


def _assert_private(result, *sources, extra_values=()):
    text = result.output + (result.stderr or "")
    assert "Traceback" not in text
    assert "internal error" not in text, text
    for value in [*DISTINCTIVE, *cell_values(*sources), *extra_values]:
        assert value not in text, (value, text)


@pytest.fixture
def ru_lat(tmp_path, runner, secret_file):
    ru, lat = tmp_path / "ru.parquet", tmp_path / "lat.parquet"
    for source, out, maps in ((RU_EXPORT, ru, RU_MAPS), (LAT_EXPORT, lat, LAT_MAPS)):
        result = _encode(runner, source, out, secret_file, maps)
        assert result.exit_code == 0, result.output
        _assert_private(result, source)
    return ru, lat


# --- the Foundation issue: done when -----------------------------------------------------------------------

def test_two_exports_of_the_same_people_encode_and_link(tmp_path, runner, ru_lat):
    ru, lat = ru_lat
    matches = tmp_path / "matches.csv"
    result = runner.invoke(main, ["link", str(ru), str(lat), "-o", str(matches)])
    assert result.exit_code == 0, result.output
    _assert_private(result, RU_EXPORT, LAT_EXPORT)
    frame = pd.read_csv(matches, dtype={"id_a": str, "id_b": str})
    assert list(frame.columns[:3]) == ["id_a", "id_b", "score"]
    assert frame["score"].between(0, 1).all()
    assert set(frame["id_a"]) <= {"R-001", "R-002", "R-003", "R-004"}
    assert set(frame["id_b"]) <= {"T9", "T7", "T5", "T3"}
    assert TRUE_PAIRS <= set(zip(frame["id_a"], frame["id_b"]))
    assert frame["id_a"].is_unique and frame["id_b"].is_unique  # one-to-one by default
    # the best candidate of each child is its counterpart
    top = tmp_path / "top.csv"
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(top), "--top-k", "1"]).exit_code == 0
    best = pd.read_csv(top, dtype={"id_a": str, "id_b": str})
    assert TRUE_PAIRS <= set(zip(best["id_a"], best["id_b"]))
    # the summary names no value and says how many records were encoded
    assert not leftovers(tmp_path)


def test_encode_summary_counts_missing_fields(tmp_path, runner, secret_file):
    result = _encode(runner, LAT_EXPORT, tmp_path / "lat.parquet", secret_file, LAT_MAPS)
    assert result.exit_code == 0
    assert "encoded 4 records" in result.stderr
    assert any("father_name" in line and "100.0%" in line for line in result.stderr.splitlines())
    assert result.stdout == ""  # stdout stays free for scripts


def test_encoding_the_same_file_twice_is_byte_identical(tmp_path, runner, secret_file):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    assert _encode(runner, RU_EXPORT, one, secret_file).exit_code == 0
    assert _encode(runner, RU_EXPORT, two, secret_file).exit_code == 0
    assert np.array_equal(encoded.read(one).bits, encoded.read(two).bits)
    assert one.read_bytes() == two.read_bytes()


def test_link_refuses_a_different_secret(tmp_path, runner, ru_lat, other_secret_file):
    ru, _ = ru_lat
    lat_other = tmp_path / "lat_other_key.parquet"
    assert _encode(runner, LAT_EXPORT, lat_other, other_secret_file, LAT_MAPS).exit_code == 0
    matches = tmp_path / "matches.csv"
    result = runner.invoke(main, ["link", str(ru), str(lat_other), "-o", str(matches)])
    assert result.exit_code == 1
    assert "secret" in result.stderr and str(ru) in result.stderr and str(lat_other) in result.stderr
    assert not matches.exists() and not leftovers(tmp_path)
    _assert_private(result, RU_EXPORT, LAT_EXPORT)


def test_link_refuses_a_different_schema(tmp_path, runner, ru_lat, secret_file):
    ru, _ = ru_lat
    document = json.loads(MISSING_PERSONS.read_text(encoding="utf-8"))
    document["fields"][0]["options"]["ngram"] = 3
    other_schema = tmp_path / "other-schema.json"
    other_schema.write_text(json.dumps(document), encoding="utf-8")
    lat_other = tmp_path / "lat_other_schema.parquet"
    assert _encode(runner, LAT_EXPORT, lat_other, secret_file, LAT_MAPS, schema=other_schema).exit_code == 0
    matches = tmp_path / "matches.csv"
    result = runner.invoke(main, ["link", str(ru), str(lat_other), "-o", str(matches)])
    assert result.exit_code == 1
    assert "schema" in result.stderr and str(ru) in result.stderr and str(lat_other) in result.stderr
    assert not matches.exists() and not leftovers(tmp_path)


def test_link_refuses_a_tampered_file(tmp_path, runner, ru_lat):
    ru, lat = ru_lat
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(lat).metadata.metadata
    table = pq.read_table(lat)
    rows = table.to_pylist()
    rows[0]["name"] = bytes(len(rows[0]["name"]))
    pq.write_table(pa_table(rows, table).replace_schema_metadata(metadata), lat)
    matches = tmp_path / "matches.csv"
    result = runner.invoke(main, ["link", str(ru), str(lat), "-o", str(matches)])
    assert result.exit_code == 1
    assert str(lat) in result.stderr and "digest" in result.stderr
    assert not matches.exists()


def pa_table(rows, like):
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=like.schema)


# --- bad input: every one exits 1 (2 for usage), leaves nothing behind and shows no value ----------------------

def _export(tmp_path, name="export.csv", change=None, text=None, raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
        return path
    if text is not None:
        path.write_text(text, encoding="utf-8")
        return path
    with open(RU_EXPORT, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if change:
        rows = change(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _drop_column(name):
    def change(rows):
        index = rows[0].index(name)
        return [row[:index] + row[index + 1:] for row in rows]
    return change


def _set_cell(row, column, value):
    def change(rows):
        rows[row][rows[0].index(column)] = value
        return rows
    return change


def _utf16_with_lone_surrogate():
    text = "номер,имя\r\nR-1,Zarema\r\n"
    data = text.encode("utf-16-le")
    return data + b"\x00\xd8" + "Магомедова\r\n".encode("utf-16-le")


BAD = {
    # name: (export kwargs, maps, extra args, expected exit code, text expected in stderr)
    "missing column": (dict(change=_drop_column("пол")), RU_MAPS[:2] + RU_MAPS[3:], [], 1, "sex"),
    "map to missing column": (dict(), RU_MAPS[:2] + ["sex=gender"] + RU_MAPS[3:], [], 1, "gender"),
    "map to unknown field": (dict(), RU_MAPS + ["colour=пол"], [], 1, "colour"),
    "malformed map": (dict(), RU_MAPS + ["father"], [], 2, "--map"),
    "bad id column": (dict(), RU_MAPS, ["--id-column", "ref"], 1, "ref"),
    "empty file": (dict(raw=b""), RU_MAPS, [], 1, "empty"),
    "header only": (dict(change=lambda rows: rows[:1]), RU_MAPS, [], 1, "no records"),
    "duplicate ids": (dict(change=_set_cell(3, "номер", "R-001")), RU_MAPS, [], 1, "row 4"),
    "empty id": (dict(change=_set_cell(2, "номер", "")), RU_MAPS, [], 1, "row 3"),
    "unparsable date, strict": (dict(change=_set_cell(2, "дата_рождения", "31.02.2011")), RU_MAPS, ["--strict"], 1,
                                "дата_рождения"),
    "malformed csv": (dict(change=lambda rows: rows[:2] + [rows[2] + ["Qwertzuiop", "Asdfghjkl"]] + rows[3:]),
                      RU_MAPS, [], 1, "malformed"),
    "bad encoding": (dict(raw=_utf16_with_lone_surrogate()), ["name=имя", "birth_date=", "sex=", "mother_name=",
                                                             "father_name="], [], 1, "export.csv"),
    "missing input": (dict(name="never-written.csv", raw=None), RU_MAPS, [], 1, "not found"),
    "unknown option": (dict(), RU_MAPS, ["--secret", "abc"], 2, "No such option"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing-output"])
def test_bad_input(tmp_path, runner, secret_file, case, existing):
    kwargs, maps, extra, code, expected = BAD[case]
    folder = tmp_path / "work"
    folder.mkdir()
    if case == "missing input":
        source = folder / kwargs["name"]
    else:
        source = _export(folder, **kwargs)
    out = folder / "out.parquet"
    if existing:
        out.write_bytes(b"an earlier result")
    result = _encode(runner, source, out, secret_file, maps, extra=extra)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert expected in result.stderr, result.stderr
    if existing:
        assert out.read_bytes() == b"an earlier result"
    else:
        assert not out.exists()
    assert not leftovers(folder)
    values = cell_values(RU_EXPORT) + ["Qwertzuiop", "Asdfghjkl", "31.02.2011", "Zarema"]
    _assert_private(result, extra_values=values)
    if code == 1:
        assert result.stderr.startswith("error: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_unparsable_dates_are_counted_without_strict(tmp_path, runner, secret_file):
    source = _export(tmp_path, change=_set_cell(2, "дата_рождения", "31.02.2011"))
    out = tmp_path / "out.parquet"
    result = _encode(runner, source, out, secret_file)
    assert result.exit_code == 0, result.output
    assert any("birth_date" in line and "1 unreadable" in line for line in result.stderr.splitlines())
    _assert_private(result, source, extra_values=["31.02.2011"])
    assert out.exists()


def test_world_readable_key(tmp_path, runner, secret_file):
    os.chmod(secret_file, 0o644)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"before")
    result = _encode(runner, RU_EXPORT, out, secret_file)
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr and str(secret_file) in result.stderr
    assert out.read_bytes() == b"before" and not leftovers(tmp_path)
    _assert_private(result, RU_EXPORT)
    secret_text = secret_file.read_text().split()[-1]
    assert secret_text not in result.stderr


@pytest.mark.parametrize("content", ['{"schema_version": 1', '{"schema_version": 1, "name": "x", "fields": []}'])
def test_invalid_schema(tmp_path, runner, secret_file, content):
    bad_schema = tmp_path / "bad.json"
    bad_schema.write_text(content, encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = _encode(runner, RU_EXPORT, out, secret_file, schema=bad_schema)
    assert result.exit_code == 1
    assert str(bad_schema) in result.stderr
    assert not out.exists() and not leftovers(tmp_path)
    _assert_private(result, RU_EXPORT)


def test_link_usage_errors(tmp_path, runner, ru_lat):
    ru, lat = ru_lat
    out = tmp_path / "m.csv"
    assert runner.invoke(main, ["link", str(ru), "-o", str(out)]).exit_code == 2
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(out), "--many", "--top-k", "2"]).exit_code == 2
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(out), "--clusters", str(tmp_path / "c.csv")]
                         ).exit_code == 2
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(out), "--threshold", "1.5"]).exit_code == 2
    assert not out.exists() and not leftovers(tmp_path)


def test_link_refuses_non_encoded_input(tmp_path, runner, ru_lat):
    ru, _ = ru_lat
    out = tmp_path / "m.csv"
    out.write_text("old")
    result = runner.invoke(main, ["link", str(ru), str(RU_EXPORT), "-o", str(out)])
    assert result.exit_code == 1
    assert str(RU_EXPORT) in result.stderr
    assert out.read_text() == "old" and not leftovers(tmp_path)
    _assert_private(result, RU_EXPORT)


def test_evaluate(tmp_path, runner, ru_lat):
    ru, lat = ru_lat
    matches = tmp_path / "m.csv"
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(matches)]).exit_code == 0
    truth = tmp_path / "truth.csv"
    truth.write_text("ru,lat\n" + "".join(f"{a},{b}\n" for a, b in sorted(TRUE_PAIRS)))
    result = runner.invoke(main, ["evaluate", str(matches), "--truth", str(truth), "--no-sweep"])
    assert result.exit_code == 0, result.output
    assert "recall 1.0000" in result.stdout
    bad = runner.invoke(main, ["evaluate", str(tmp_path / "nope.csv"), "--truth", str(truth)])
    assert bad.exit_code == 1


def test_version_and_help(runner):
    assert runner.invoke(main, ["--version"]).exit_code == 0
    for command in ([], ["keygen"], ["encode"], ["link"], ["evaluate"], ["schema", "validate"]):
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


@pytest.mark.parametrize("command", ["keygen", "encode"])
def test_output_folder_missing_is_a_clear_error(tmp_path, runner, secret_file, command):
    out = tmp_path / "no-such-folder" / "out"
    if command == "keygen":
        result = runner.invoke(main, ["keygen", "-o", str(out)])
    else:
        result = _encode(runner, RU_EXPORT, out, secret_file)
    assert result.exit_code == 1
    assert "internal error" not in result.stderr
    assert str(out.parent) in result.stderr
