"""The trust boundary as the layout: the import contracts of pyproject.toml hold (and catch a forbidden
import), and ``pprl link`` loads no module of the agency side, the tools or the table reader."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pprl
from tests.conftest import MISSING_PERSONS, ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: Modules the coordinator must never load: the secret, the export reader, the normaliser live there.
AGENCY_SIDE = ("pprl.agency", "pprl.tools", "pprl.tabular")

#: Runs the pprl command in this interpreter, then prints the pprl modules it loaded (as JSON).
RUN_AND_LIST_MODULES = """
import json, sys
from pprl.cli import main
try:
    main(sys.argv[1:])
finally:
    print(json.dumps(sorted(m for m in sys.modules if m == "pprl" or m.startswith("pprl."))))
"""


def _lint_imports(root: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **env})


def _loaded(*args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, *args], cwd=ROOT, capture_output=True,
                            text=True)
    return result, json.loads(result.stdout.splitlines()[-1])


def test_the_import_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_a_coordinator_module_importing_the_agency_side_breaks_them(tmp_path):
    shutil.copytree(ROOT / "pprl", tmp_path / "pprl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    scoring = tmp_path / "pprl" / "coordinator" / "scoring.py"
    scoring.write_text(scoring.read_text(encoding="utf-8") + "\nfrom pprl.agency import normalise  # noqa: E402\n",
                       encoding="utf-8")
    result = _lint_imports(tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 1 kept, 2 broken." in result.stdout
    assert "pprl.coordinator.scoring -> pprl.agency.normalise" in result.stdout


def test_pprl_link_loads_no_agency_module(tmp_path):
    examples = ROOT / "examples" / "missing-persons"
    pprl.keygen(tmp_path / "linkage.key")
    secret = pprl.read_secret(tmp_path / "linkage.key")
    for side, maps in (("a", {"name": ["surname", "given_name", "patronymic"]}), ("b", {"name": "full_name"})):
        pprl.encode_file(examples / f"{side}.csv", tmp_path / f"{side}.pprl", MISSING_PERSONS, secret, maps,
                         workers=1)
    result, loaded = _loaded("link", str(tmp_path / "a.pprl"), str(tmp_path / "b.pprl"), "-o",
                             str(tmp_path / "matches.csv"), "--explain", "--split-dir", str(tmp_path / "split"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "matches.csv").exists()
    assert "pprl.coordinator.link" in loaded and "pprl.encoded" in loaded
    reached = [m for m in loaded if m.startswith(AGENCY_SIDE)]
    assert reached == [], f"pprl link loaded {', '.join(reached)}"


def test_import_pprl_loads_neither_side():
    code = "import sys, pprl; print(sorted(m for m in sys.modules if m.startswith('pprl')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['pprl', 'pprl._version']"
