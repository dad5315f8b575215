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


def _first_column(name):
    def change(rows):
        index = rows[0].index(name)
        return [[row[index]] + row[:index] + row[index + 1:] for row in rows]
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
    "default id column is a name": (dict(change=_first_column("имя")), RU_MAPS, [], 1, "--id-column"),
    "id column is a name": (dict(), RU_MAPS, ["--id-column", "фамилия"], 1, "--id-column"),
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
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(out), "--threshold", "nan"]).exit_code == 2
    # review candidates are no matches to send back
    assert runner.invoke(main, ["link", str(ru), str(lat), "-o", str(out), "--top-k", "2", "--split-dir",
                                str(tmp_path / "back")]).exit_code == 2
    copy = tmp_path / "copy.parquet"
    copy.symlink_to(ru)
    for twice in ([ru, ru], [ru, copy], [ru, lat, ru]):
        result = runner.invoke(main, ["link", *map(str, twice), "-o", str(out)])
        assert result.exit_code == 2 and "given twice" in result.stderr
    assert not out.exists() and not (tmp_path / "back").exists() and not leftovers(tmp_path)


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
    nan = runner.invoke(main, ["evaluate", str(matches), "--truth", str(truth), "--threshold", "nan"])
    assert nan.exit_code == 2 and "NaN" in nan.stderr
    assert "warning" not in result.stderr
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("lat,ru\n" + "".join(f"{b},{a}\n" for a, b in sorted(TRUE_PAIRS)))
    result = runner.invoke(main, ["evaluate", str(matches), "--truth", str(swapped), "--no-sweep"])
    assert result.exit_code == 0 and "f1 0.0000" in result.stdout
    assert "no id_a" in result.stderr and "no id_b" in result.stderr and "columns swapped" in result.stderr


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


# --- outputs: all or nothing, never over an input ------------------------------------------------------------

@pytest.fixture
def three(tmp_path, runner, secret_file, ru_lat):
    """Three encoded files (the third another encoding of the Latin export)."""
    lat2 = tmp_path / "lat2.parquet"
    assert _encode(runner, LAT_EXPORT, lat2, secret_file, LAT_MAPS).exit_code == 0
    return (*ru_lat, lat2)


def _earlier_outputs(folder, *names):
    for name in names:
        (folder / name).write_text(f"earlier {name}")
    return {name: f"earlier {name}" for name in names}


@pytest.mark.parametrize("bad", ["clusters", "candidates", "split-dir"])
def test_link_writes_no_output_when_one_cannot_be_written(tmp_path, runner, three, bad):
    earlier = _earlier_outputs(tmp_path, "m.csv", "cl.csv", "cand.csv")
    (tmp_path / "F").write_text("a file, not a folder")
    paths = {"clusters": str(tmp_path / "cl.csv"), "candidates": str(tmp_path / "cand.csv"),
             "split-dir": str(tmp_path / "split")}
    paths[bad] = str(tmp_path / "F" / "sub") if bad == "split-dir" else f"/nonexistent/{bad}.csv"
    result = runner.invoke(main, ["link", *map(str, three), "-o", str(tmp_path / "m.csv"),
                                  *[arg for name, path in paths.items() for arg in (f"--{name}", path)]])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and paths[bad] in result.stderr
    assert "internal error" not in result.stderr
    assert {name: (tmp_path / name).read_text() for name in earlier} == earlier
    assert not (tmp_path / "split").exists() and not leftovers(tmp_path)


def test_link_failure_while_writing_leaves_every_earlier_output(tmp_path, runner, three, monkeypatch):
    from pprl.coordinator import reports
    from pprl.errors import PprlError

    earlier = _earlier_outputs(tmp_path, "m.csv", "cl.csv")

    def fail(*args, **kwargs):
        raise PprlError("disk full")

    monkeypatch.setattr(reports, "write_split", fail)
    result = runner.invoke(main, ["link", *map(str, three), "-o", str(tmp_path / "m.csv"), "--clusters",
                                  str(tmp_path / "cl.csv"), "--split-dir", str(tmp_path / "new" / "split")])
    assert result.exit_code == 1 and "disk full" in result.stderr
    assert {name: (tmp_path / name).read_text() for name in earlier} == earlier
    assert not (tmp_path / "new").exists() and not leftovers(tmp_path)


def test_link_writes_all_outputs(tmp_path, runner, three):
    split = tmp_path / "new" / "split"
    result = runner.invoke(main, ["link", *map(str, three), "-o", str(tmp_path / "m.csv"), "--clusters",
                                  str(tmp_path / "cl.csv"), "--candidates", str(tmp_path / "cand.csv"),
                                  "--split-dir", str(split)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "cl.csv").columns.tolist() == ["cluster_id", "dataset", "id", "score"]
    assert len(pd.read_csv(tmp_path / "cand.csv")) >= len(pd.read_csv(tmp_path / "m.csv")) > 0
    assert len(list(split.glob("*.csv"))) == 3
    assert all(f"wrote {path}" in result.stderr for path in split.glob("*.csv"))
    assert not leftovers(tmp_path) and not leftovers(split)


def _overwriting_runs(tmp_path, ru, lat, secret_file):
    """(arguments, the input they would destroy) for every command that reads and writes files."""
    export = tmp_path / "export.csv"
    export.write_bytes(RU_EXPORT.read_bytes())
    split = tmp_path / "split"
    split.mkdir()
    in_split = split / "missing_persons_ru.csv"  # the split file of an encoded file of that dataset name
    in_split.write_bytes(ru.read_bytes())
    truth = tmp_path / "truth.png"
    truth.write_text("ru,lat\nR-001,T9\n")
    matches = tmp_path / "m.csv"
    matches.write_text("id_a,id_b,score\nR-001,T9,0.9\n")
    encode = ["encode", "--schema", str(MISSING_PERSONS), *_maps(RU_MAPS)]
    return [
        ([*encode, "--secret-file", str(secret_file), str(export), "-o", str(tmp_path / "." / "export.csv")], export),
        ([*encode, "--secret-file", str(secret_file), str(export), "-o", str(secret_file)], secret_file),
        (["link", str(ru), str(lat), "-o", str(ru)], ru),
        (["link", str(ru), str(lat), "-o", str(matches), "--candidates", str(lat)], lat),
        (["link", str(in_split), str(lat), "-o", str(matches), "--split-dir", str(split)], in_split),
        (["evaluate", str(matches), "--truth", str(truth), "--plot", str(truth)], truth),
    ]


def test_no_command_writes_over_one_of_its_inputs(tmp_path, runner, ru_lat, secret_file):
    for args, victim in _overwriting_runs(tmp_path, *ru_lat, secret_file):
        before = victim.read_bytes()
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert victim.name in result.stderr and "input" in result.stderr
        assert victim.read_bytes() == before
        assert not leftovers(tmp_path) and not leftovers(victim.parent)


def test_link_refuses_two_outputs_in_one_file(tmp_path, runner, ru_lat):
    ru, lat = ru_lat
    split = tmp_path / "split"
    clash = split / "missing_persons_lat.csv"
    result = runner.invoke(main, ["link", str(ru), str(lat), "-o", str(clash), "--split-dir", str(split)])
    assert result.exit_code == 2 and str(clash) in result.stderr
    assert not split.exists()


def test_plot_format_must_be_an_image(tmp_path, runner, ru_lat):
    matches, truth, plot = tmp_path / "m.csv", tmp_path / "truth.csv", tmp_path / "plot.txt"
    assert runner.invoke(main, ["link", *map(str, ru_lat), "-o", str(matches)]).exit_code == 0
    truth.write_text("ru,lat\n" + "".join(f"{a},{b}\n" for a, b in sorted(TRUE_PAIRS)))
    result = runner.invoke(main, ["evaluate", str(matches), "--truth", str(truth), "--plot", str(plot)])
    assert result.exit_code == 2
    assert "--plot" in result.stderr and ".png" in result.stderr and ".svg" in result.stderr
    assert "internal error" not in result.stderr and not plot.exists() and not leftovers(tmp_path)
    svg = tmp_path / "plot.svg"
    result = runner.invoke(main, ["evaluate", str(matches), "--truth", str(truth), "--plot", str(svg), "--no-sweep"])
    assert result.exit_code == 0 and svg.read_text().lstrip().startswith("<?xml")


# --- a file without a header row: its first record stands in the header and is never shown ---------------------

def _headerless(tmp_path, duplicate_id=False):
    with open(RU_EXPORT, encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))[1:]
    if duplicate_id:
        records[2][0] = records[1][0]
    path = tmp_path / "headerless.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(records)
    return path, records[0]


@pytest.mark.parametrize("maps,expected", [
    (RU_MAPS, "first row has 8 columns"),
    ([], "no column for field 'name'"),
    (["name=", "birth_date=", "sex=", "mother_name=", "father_name="], "duplicate record ID"),
], ids=["mapped", "unmapped", "ids"])
def test_headerless_export_values_never_reach_stderr(tmp_path, runner, secret_file, maps, expected):
    source, first_record = _headerless(tmp_path, duplicate_id=True)
    out = tmp_path / "out.parquet"
    result = _encode(runner, source, out, secret_file, maps, extra=["--workers", "1"])
    assert result.exit_code == 1, result.output
    assert expected in result.stderr
    _assert_private(result, RU_EXPORT, extra_values=first_record)
    assert not out.exists() and not leftovers(tmp_path)


# --- the command as a user runs it: on a terminal, stopped by SIGTERM ---------------------------------------

def _write_export(path, records, duplicate_last_id=False):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "birth_date", "sex", "mother_name", "father_name"])
        for i in range(records):
            record_id = "R0" if duplicate_last_id and i == records - 1 else f"R{i}"
            writer.writerow([record_id, f"Ivan{i % 5003} Petrov{i % 7919}",
                             f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i % 70}", "MF"[i % 2], f"Anna{i % 3001}",
                             f"Oleg{i % 2999}"])


def _encode_on_terminal(folder, source, secret_file, workers, terminate=False):
    """``pprl encode`` in a process whose stderr is a terminal; with ``terminate`` it gets SIGTERM once the
    progress line shows. Returns the exit code, what the terminal showed, and the process's children then."""
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    master, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from pprl.cli import main; main()", "encode", str(source), "--schema",
         str(MISSING_PERSONS), "--secret-file", str(secret_file), "--id-column", "id", "--workers", str(workers),
         "-o", str(folder / "out.pprl")], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    shown, children, deadline = b"", None, time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the terminal closed with the process
                    break
                if not chunk:
                    break
                shown += chunk
            if terminate and children is None and b"records" in shown:
                children = psutil.Process(process.pid).children(recursive=True)
                process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return code, shown.decode("utf-8").replace("\r\n", "\n"), children or []


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal and SIGTERM")
def test_error_after_progress_starts_on_a_line_of_its_own(tmp_path, secret_file):
    source = tmp_path / "export.csv"
    _write_export(source, 3_000, duplicate_last_id=True)  # the second chunk fails, after the first was shown
    code, shown, _ = _encode_on_terminal(tmp_path, source, secret_file, workers=1)
    assert code == 1, shown
    assert "\rencoded 2,048 records" in shown
    assert "\nerror: " in shown and "duplicate record ID" in shown
    assert not any("records" in line and "error" in line for line in shown.split("\n"))
    assert not (tmp_path / "out.pprl").exists() and not leftovers(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal and SIGTERM")
def test_sigterm_stops_workers_and_leaves_no_partial_output(tmp_path, secret_file):
    import psutil

    source = tmp_path / "export.csv"
    _write_export(source, 16_000)
    code, shown, workers = _encode_on_terminal(tmp_path, source, secret_file, workers=2, terminate=True)
    assert code == 143, shown
    assert "\nerror: terminated (SIGTERM)" in shown and "Traceback" not in shown
    assert workers, "the pool had not started"
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    assert not (tmp_path / "out.pprl").exists() and not leftovers(tmp_path)


def test_link_asks_for_a_review_when_few_records_have_a_partner(tmp_path, runner, secret_file):
    from pprl.tools import synth

    data = synth.generate(400, seed=3, difficulty="easy", overlap=synth.LEGACY_OVERLAP, version=1)
    a, b, truth = data.exports["a"], data.exports["b"], data.truth[("a", "b")]
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    b[~b["record_id"].isin(truth["id_b"])].head(80).to_csv(tmp_path / "alone.csv", index=False)
    maps_a = ["name=surname+given_name+patronymic"]
    for name, maps in (("a", maps_a), ("b", ["name=full_name"]), ("alone", ["name=full_name"])):
        result = _encode(runner, tmp_path / f"{name}.csv", tmp_path / f"{name}.pprl", secret_file, maps,
                         extra=("--id-column", "record_id"))
        assert result.exit_code == 0, result.output
    linked = runner.invoke(main, ["link", str(tmp_path / "a.pprl"), str(tmp_path / "b.pprl"), "-o",
                                  str(tmp_path / "m.csv")])
    assert linked.exit_code == 0 and "warning" not in linked.stderr
    alone = runner.invoke(main, ["link", str(tmp_path / "a.pprl"), str(tmp_path / "alone.pprl"), "-o",
                                 str(tmp_path / "alone-m.csv")])
    assert alone.exit_code == 0 and "warning: the model expects only" in alone.stderr
