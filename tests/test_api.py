"""Tests of the Python API (``import pprl``): the README's example, and that the CLI calls these functions."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import pprl
from pprl.cli import main
from pprl.errors import KeyFileError
from tests.conftest import MISSING_PERSONS, ROOT

EXAMPLES = ROOT / "examples" / "missing-persons"
#: The demo's --map options (examples/demo.sh) as the API takes them.
MAPS = {
    "a": {"name": ["surname", "given_name", "patronymic"]},
    "b": {"name": "full_name"},
    "c": {"birth_date": "birth_year", "sex": "note_sex", "mother_name": []},
}


def test_the_readme_example(tmp_path):
    check = pprl.keygen(tmp_path / "linkage.key")
    assert re.fullmatch(r"[0-9a-f]{16}", check)
    secret = pprl.read_secret(tmp_path / "linkage.key")
    for side in "ab":
        summary = pprl.encode_file(EXAMPLES / f"{side}.csv", tmp_path / f"{side}.pprl", MISSING_PERSONS, secret,
                                   MAPS[side], workers=1)
        assert summary.records == 320
    a, b = pprl.read_encoded(tmp_path / "a.pprl", tmp_path / "b.pprl")
    matches = pprl.matches_frame(pprl.link([a, b]))
    assert list(matches.columns) == ["id_a", "id_b", "score"] and len(matches) > 200
    metrics = pprl.evaluate(matches, EXAMPLES / "truth_a_b.csv")
    assert metrics.f1 > 0.95
    truth = pd.read_csv(EXAMPLES / "truth_a_b.csv", dtype=str).set_axis(["id_a", "id_b"], axis=1)
    assert pprl.evaluate(matches, truth) == metrics


def test_schemas_and_secrets(tmp_path):
    assert [p for p in pprl.validate_schema(MISSING_PERSONS) if p.severity == "error"] == []
    assert pprl.load_schema(MISSING_PERSONS).fingerprint.startswith("sha256:")
    key = tmp_path / "linkage.key"
    pprl.keygen(key)
    with pytest.raises(KeyFileError):
        pprl.keygen(key)
    assert pprl.keygen(key, force=True) != ""
    key.chmod(0o644)
    with pytest.raises(KeyFileError):
        pprl.read_secret(key)


def test_the_cli_calls_the_api(tmp_path, runner, monkeypatch):
    called: list[str] = []

    def recorded(name):
        function = getattr(pprl, name)

        def record(*args, **kwargs):
            called.append(name)
            return function(*args, **kwargs)
        return record

    for name in pprl.__all__[1:]:
        monkeypatch.setattr(pprl, name, recorded(name))
    key = tmp_path / "linkage.key"
    commands = [["keygen", "-o", str(key)], ["schema", "validate", str(MISSING_PERSONS)]]
    for side, maps in MAPS.items():
        options = [f"--map={field}={'+'.join([columns] if isinstance(columns, str) else columns)}"
                   for field, columns in maps.items()]
        commands.append(["encode", "--schema", str(MISSING_PERSONS), "--secret-file", str(key), "--workers", "1",
                         *options, str(EXAMPLES / f"{side}.csv"), "-o", str(tmp_path / f"{side}.pprl")])
    commands += [[
        "link", *(str(tmp_path / f"{side}.pprl") for side in "abc"), "-o", str(tmp_path / "matches.csv"),
        "--clusters", str(tmp_path / "clusters.csv"),
    ], ["evaluate", str(tmp_path / "matches.csv"), "--truth", str(EXAMPLES / "truth_a_b.csv"), "--no-sweep"]]
    for command in commands:
        result = runner.invoke(main, command)
        assert result.exit_code == 0, (command, result.output)
    assert set(called) == set(pprl.__all__[1:])
    # the command's MATCHES.csv is the API's matches frame of the same files
    datasets = pprl.read_encoded(*(tmp_path / f"{side}.pprl" for side in "abc"))
    written = pd.read_csv(tmp_path / "matches.csv", dtype={"id_a": str, "id_b": str})
    assert written.equals(pprl.matches_frame(pprl.link(datasets)).astype({"id_a": str, "id_b": str}))
