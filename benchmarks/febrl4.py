"""FEBRL4 end to end: pprl (CLI and library) against clkhash + anonlink, side by side in one run.

    .venv/bin/python benchmarks/febrl4.py                 # 3 repeats, medians
    .venv/bin/python benchmarks/febrl4.py --repeats 5
    .venv/bin/python benchmarks/febrl4.py --baseline-python /path/to/venv/bin/python

FEBRL4 (5,000 x 5,000 synthetic Australian records, 5,000 true pairs) is written by
``examples/febrl4/prepare.py`` into a temporary folder; every file of the run lives there and is
removed at the end.

pprl: ``pprl encode`` of both files with ``examples/febrl4/schema.json``, ``pprl link`` (automatic
threshold) and ``pprl link --threshold 0.5``, each run as a subprocess (what users run: includes
process start-up and imports), and the same steps through the library
(``pprl.agency.encode.encode_file``; ``encoded.read`` + ``pprl.coordinator.link.link`` + ``matches_frame`` +
writing MATCHES.csv), timed inside this process after an untimed warm-up (numba loads its compiled kernels from its on-disk cache).

Baseline: a script generated into the temporary folder runs in ``benchmarks/.venv-baselines`` (made by
``bash benchmarks/baselines.sh``): clkhash ``generate_clk_from_csv`` on the same two CSV files with the
FEBRL linkage schema of clkhash's own documentation (``docs/_static/febrl_schema_v3_final.json``, the
tuned schema its CLI tutorial ends with: bigrams for names and addresses, positional unigrams for
numbers, 1024-bit CLKs; rec_id and soc_sec_id ignored), a random secret read from a 0600 file; then
anonlink ``find_candidate_pairs`` with ``dice_coefficient_accelerated`` and ``greedy_solve`` at 0.8
and 0.7, and at 0.5 in a separate process killed after ``--timeout`` seconds.

Repeats are interleaved (pprl CLI, pprl library, baseline, in turn), so background load hits all of
them alike; every ratio is computed within a repeat and the median over repeats is printed.
F1 is computed for both with ``pprl.tools.evaluation.evaluate``.  Note that the pprl schema uses soc_sec_id
and clkhash's does not: a like-for-like line (pprl with soc_sec_id left out) is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pprl import encoded  # noqa: E402
from pprl.agency import encode as encoding, keys, validate  # noqa: E402
from pprl.coordinator import link as linking  # noqa: E402
from pprl.tools import evaluation  # noqa: E402

SCHEMA = ROOT / "examples" / "febrl4" / "schema.json"
PREPARE = ROOT / "examples" / "febrl4" / "prepare.py"
BASELINE_PYTHON = ROOT / "benchmarks" / ".venv-baselines" / "bin" / "python"
PPRL = Path(sys.executable).with_name("pprl")
ANON_THRESHOLDS = (0.8, 0.7)
SLOW_THRESHOLD = 0.5

# clkhash's FEBRL schema (clkhash docs/_static/febrl_schema_v3_final.json, linkage schema v3), as
# (column, bitsPerFeature, format, comparison, extra hashing keys); written out as JSON by the worker.
_STRING = {"type": "string", "encoding": "utf-8"}
_NAME = {**_STRING, "maxLength": 64}
_BIGRAM = {"type": "ngram", "n": 2}
_DIGITS = {"type": "ngram", "n": 1, "positional": True}
_MISSING = {"missingValue": {"sentinel": ""}}
CLKHASH_FEATURES = [
    ("given_name", 200, _NAME, _BIGRAM, {"hash": {"type": "doubleHash"}}),
    ("surname", 200, _NAME, _BIGRAM, {"hash": {"type": "doubleHash"}}),
    ("street_number", 100, {"type": "integer"}, _DIGITS, _MISSING),
    ("address_1", 100, _STRING, _BIGRAM, {}),
    ("address_2", 100, _STRING, _BIGRAM, {}),
    ("suburb", 100, _STRING, _BIGRAM, {}),
    ("postcode", 100, {"type": "integer", "minimum": 50, "maximum": 9999}, _DIGITS, {}),
    ("state", 100, _STRING, {**_BIGRAM, "positional": True}, _MISSING),
    ("date_of_birth", 200, {"type": "integer"}, _DIGITS, _MISSING),
]


def clkhash_schema() -> dict:
    features = [{"identifier": "rec_id", "ignored": True}]
    for name, bits, fmt, comparison, extra in CLKHASH_FEATURES:
        features.append({"identifier": name, "format": fmt,
                         "hashing": {"comparison": comparison, "strategy": {"bitsPerFeature": bits}, **extra}})
    features.append({"identifier": "soc_sec_id", "ignored": True})
    return {"version": 3,
            "clkConfig": {"l": 1024, "kdf": {
                "type": "HKDF", "hash": "SHA256", "info": "c2NoZW1hX2V4YW1wbGU=",
                "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==",
                "keySize": 64}},
            "features": features}


# The baseline worker: runs in the baseline venv, imports nothing from pprl.  Prints one JSON line.
WORKER = r'''
import csv, json, sys, time
import numpy as np
from bitarray import bitarray
import anonlink
from anonlink.candidate_generation import find_candidate_pairs
from anonlink.similarities import dice_coefficient_accelerated
from anonlink.solving import greedy_solve

cfg = json.loads(sys.argv[1])
out = {}

def ids(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return [r[0] for r in rows]

if cfg["encode"]:
    from clkhash import clk, schema as clk_schema
    with open(cfg["schema"]) as f:
        schema = clk_schema.from_json_dict(json.load(f))
    with open(cfg["secret"]) as f:
        secret = f.read().strip()
    clks = []
    for side in ("a", "b"):
        t0 = time.perf_counter()
        with open(cfg["csv_" + side], newline="") as f:
            clks.append(clk.generate_clk_from_csv(f, secret, schema, progress_bar=False))
        out["encode_" + side] = time.perf_counter() - t0
    for side, filters in zip("ab", clks):   # for a later link-only run (not timed)
        with open(cfg["clk_" + side], "wb") as f:
            for ba in filters:
                f.write(ba.tobytes())
else:
    clks = []
    for side in ("a", "b"):
        with open(cfg["clk_" + side], "rb") as f:
            data = f.read()
        filters = []
        for i in range(0, len(data), 128):
            ba = bitarray()
            ba.frombytes(data[i:i + 128])
            filters.append(ba)
        clks.append(filters)

ida, idb = ids(cfg["csv_a"]), ids(cfg["csv_b"])
for t in cfg["thresholds"]:
    t0 = time.perf_counter()
    candidates = find_candidate_pairs(clks, dice_coefficient_accelerated, t)
    t1 = time.perf_counter()
    groups = greedy_solve(candidates)
    t2 = time.perf_counter()
    # the score of each matched pair (untimed), found with numpy among the candidates
    nb = len(clks[1])
    r0 = np.frombuffer(candidates[2][0], dtype=candidates[2][0].typecode)
    r1 = np.frombuffer(candidates[2][1], dtype=candidates[2][1].typecode)
    d0 = np.frombuffer(candidates[1][0], dtype=candidates[1][0].typecode)
    sims = np.frombuffer(candidates[0], dtype=candidates[0].typecode)
    pairs = sorted(tuple(sorted(g)) for g in groups if len(g) == 2)
    keys = np.where(d0 == 0, r0.astype(np.int64) * nb + r1, r1.astype(np.int64) * nb + r0)
    want = np.array([ra * nb + rb for (_, ra), (_, rb) in pairs], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    pos = order[np.searchsorted(keys, want, sorter=order)] if len(keys) else np.zeros(0, np.int64)
    with open(cfg["matches"] % t, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id_a", "id_b", "score"])
        for ((_, ra), (_, rb)), k in zip(pairs, pos):
            w.writerow([ida[ra], idb[rb], float(sims[k])])
    out[str(t)] = {"candidates": len(candidates[0]), "find": t1 - t0, "solve": t2 - t1, "link": t2 - t0}
out["versions"] = {"anonlink": anonlink.__version__}
try:
    import clkhash
    out["versions"]["clkhash"] = clkhash.__version__
except ImportError:
    pass
print(json.dumps(out))
'''


def run_cli(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([str(PPRL), *args], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"pprl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds


def lib_encode(csv_path: Path, out: Path, schema, secret: bytes) -> float:
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    encoding.encode_file(csv_path, out, schema, secret)
    return time.perf_counter() - t0


def lib_link(a: Path, b: Path, out: Path, threshold: float | None = None):
    t0 = time.perf_counter()
    datasets = [encoded.read(a), encoded.read(b)]
    encoded.check_compatible([a, b], datasets)
    options = linking.LinkOptions.from_schema(datasets[0].header["schema"], threshold)
    linkage = linking.link(datasets, options)
    matches = linking.matches_frame(linkage, 0, 1)
    matches.to_csv(out, index=False)
    return time.perf_counter() - t0, linkage.pair(0, 1).threshold.value


def run_worker(python: Path, script: Path, cfg: dict, timeout: float | None) -> tuple[dict | None, str, float]:
    """(result, error, wall seconds) of one baseline worker run."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([str(python), str(script), json.dumps(cfg)], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout:.0f} s", time.perf_counter() - t0
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1], wall
    return json.loads(proc.stdout.strip().splitlines()[-1]), "", wall


def med(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def fmt(v: float, width: int = 8, digits: int = 2) -> str:
    return f"{'-':>{width}}" if v != v else f"{v:>{width}.{digits}f}"


def f1_of(matches_csv: Path, truth) -> evaluation.Metrics:
    return evaluation.evaluate(evaluation.read_matches(matches_csv), truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-python", type=Path, default=BASELINE_PYTHON)
    ap.add_argument("--timeout", type=float, default=120.0,
                    help=f"seconds allowed for anonlink at threshold {SLOW_THRESHOLD} (default 120)")
    ap.add_argument("--repeat-limit", type=float, default=30.0,
                    help="an anonlink threshold whose first run takes longer than this many seconds is not "
                         "repeated (default 30; its ratios then use the first repeat)")
    args = ap.parse_args()
    if not PPRL.exists():
        sys.exit(f"no pprl executable next to {sys.executable}: run with the project venv (.venv/bin/python)")
    have_baseline = args.baseline_python.exists()

    with tempfile.TemporaryDirectory(prefix="pprl-febrl4-") as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([sys.executable, str(PREPARE), str(tmp)], check=True, capture_output=True)
        csv_a, csv_b, truth_csv = tmp / "febrl4_a.csv", tmp / "febrl4_b.csv", tmp / "febrl4_truth.csv"
        truth = evaluation.read_truth(truth_csv)
        n_a = sum(1 for _ in open(csv_a)) - 1
        n_b = sum(1 for _ in open(csv_b)) - 1
        key = tmp / "linkage.key"
        keys.write_secret(key, keys.generate_secret())
        secret = keys.read_secret(key)
        env = {**os.environ, "PPRL_SECRET_FILE": str(key)}
        schema = validate.load(SCHEMA)
        # like-for-like fields with clkhash's schema: soc_sec_id left out
        doc = json.loads(SCHEMA.read_text())
        doc.pop("$schema", None)
        doc["fields"] = [f for f in doc["fields"] if f["name"] != "soc_sec_id"]
        doc["name"] = "febrl4-no-ssid"
        schema_no_ssid = validate.from_document(doc)

        worker = tmp / "clk_worker.py"
        worker.write_text(WORKER)
        (tmp / "clkhash_schema.json").write_text(json.dumps(clkhash_schema(), indent=1))
        clk_secret = tmp / "clkhash.secret"
        clk_secret.touch(mode=0o600)
        clk_secret.write_text(secrets.token_hex(32))
        cfg = {"schema": str(tmp / "clkhash_schema.json"), "secret": str(clk_secret), "csv_a": str(csv_a),
               "csv_b": str(csv_b), "clk_a": str(tmp / "a.clk"), "clk_b": str(tmp / "b.clk"),
               "matches": str(tmp / "anonlink_%s.csv"), "encode": True, "thresholds": list(ANON_THRESHOLDS)}
        slow_cfg = {**cfg, "encode": False, "thresholds": [SLOW_THRESHOLD]}

        # warm-up of the library path (numba cache load, first imports): untimed in the table
        t0 = time.perf_counter()
        warm_a, warm_b = tmp / "warm_a.pprl", tmp / "warm_b.pprl"
        lib_encode(csv_a, warm_a, schema, secret)
        lib_encode(csv_b, warm_b, schema, secret)
        lib_link(warm_a, warm_b, tmp / "warm.csv")
        warm_up = time.perf_counter() - t0

        T: dict[str, list] = {k: [] for k in (
            "cli_a", "cli_b", "cli_link", "cli_link05", "lib_a", "lib_b", "lib_link", "lib_link05",
            "ck_a", "ck_b", "ck_wall", *(f"an_{t}" for t in (*ANON_THRESHOLDS, SLOW_THRESHOLD)),
            *(f"find_{t}" for t in (*ANON_THRESHOLDS, SLOW_THRESHOLD)),
            *(f"solve_{t}" for t in (*ANON_THRESHOLDS, SLOW_THRESHOLD)))}
        candidates: dict[float, int] = {}
        baseline_error, slow_error, versions = "", "", {}
        auto_threshold = float("nan")
        for r in range(args.repeats):
            print(f"# repeat {r + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
            # pprl as users run it
            enc_a, enc_b = tmp / "cli_a.pprl", tmp / "cli_b.pprl"
            for p in (enc_a, enc_b):
                p.unlink(missing_ok=True)
            T["cli_a"].append(run_cli(["encode", "--schema", str(SCHEMA), str(csv_a), "-o", str(enc_a)], env))
            T["cli_b"].append(run_cli(["encode", "--schema", str(SCHEMA), str(csv_b), "-o", str(enc_b)], env))
            T["cli_link"].append(run_cli(["link", str(enc_a), str(enc_b), "-o", str(tmp / "cli_matches.csv")], env))
            T["cli_link05"].append(run_cli(["link", str(enc_a), str(enc_b), "-o", str(tmp / "cli_matches05.csv"),
                                            "--threshold", "0.5"], env))
            # pprl library
            lib_a, lib_b = tmp / "lib_a.pprl", tmp / "lib_b.pprl"
            T["lib_a"].append(lib_encode(csv_a, lib_a, schema, secret))
            T["lib_b"].append(lib_encode(csv_b, lib_b, schema, secret))
            seconds, auto_threshold = lib_link(lib_a, lib_b, tmp / "lib_matches.csv")
            T["lib_link"].append(seconds)
            T["lib_link05"].append(lib_link(lib_a, lib_b, tmp / "lib_matches05.csv", 0.5)[0])
            # clkhash + anonlink
            if have_baseline and not baseline_error:
                repeat = [t for t in ANON_THRESHOLDS if not T[f"an_{t}"] or T[f"an_{t}"][0] <= args.repeat_limit]
                res, baseline_error, wall = run_worker(args.baseline_python, worker, {**cfg, "thresholds": repeat},
                                                       None)
                if res:
                    versions = res["versions"]
                    T["ck_a"].append(res["encode_a"])
                    T["ck_b"].append(res["encode_b"])
                    if r == 0:
                        T["ck_wall"].append(wall)
                    for t in repeat:
                        T[f"an_{t}"].append(res[str(t)]["link"])
                        T[f"find_{t}"].append(res[str(t)]["find"])
                        T[f"solve_{t}"].append(res[str(t)]["solve"])
                        candidates[t] = res[str(t)]["candidates"]
                    if not slow_error and (not T[f"an_{SLOW_THRESHOLD}"]
                                           or T[f"an_{SLOW_THRESHOLD}"][0] <= args.repeat_limit):
                        res, slow_error, _ = run_worker(args.baseline_python, worker, slow_cfg, args.timeout)
                        if res:
                            t = SLOW_THRESHOLD
                            T[f"an_{t}"].append(res[str(t)]["link"])
                            T[f"find_{t}"].append(res[str(t)]["find"])
                            T[f"solve_{t}"].append(res[str(t)]["solve"])
                            candidates[t] = res[str(t)]["candidates"]

        # like-for-like fields (once, library)
        nossid_a, nossid_b = tmp / "nossid_a.pprl", tmp / "nossid_b.pprl"
        lib_encode(csv_a, nossid_a, schema_no_ssid, secret)
        lib_encode(csv_b, nossid_b, schema_no_ssid, secret)
        _, nossid_threshold = lib_link(nossid_a, nossid_b, tmp / "nossid_matches.csv")

        M = {k: med(v) for k, v in T.items()}
        q_cli = f1_of(tmp / "cli_matches.csv", truth)
        q_lib = f1_of(tmp / "lib_matches.csv", truth)
        q_cli05 = f1_of(tmp / "cli_matches05.csv", truth)
        q_nossid = f1_of(tmp / "nossid_matches.csv", truth)
        q_anon = {t: f1_of(tmp / f"anonlink_{t}.csv", truth) for t in candidates}

        # ------------------------------------------------------------------ report
        import numba
        ck = bool(T["ck_a"])
        vers = (f"clkhash {versions.get('clkhash', '?')} + anonlink {versions.get('anonlink', '?')}" if ck
                else "clkhash + anonlink: not run")
        print(f"# FEBRL4 {n_a:,} x {n_b:,}, {len(truth):,} true pairs; pprl {getattr(sys.modules['pprl'], '__version__', '?')} "
              f"vs {vers}; {os.cpu_count()} CPUs, numba threads {numba.get_num_threads()}")
        print(f"# medians of {args.repeats} interleaved repeats, seconds; ratios = median of per-repeat ratios; "
              f"library warm-up (untimed) {warm_up:.1f} s")
        if not have_baseline:
            print(f"# no baseline venv at {args.baseline_python}: build it with `bash benchmarks/baselines.sh` "
                  "(clkhash + anonlink from PyPI); pprl only")
        elif baseline_error:
            print(f"# baseline worker failed: {baseline_error}")
        print()
        print(f"{'encode':<26}{'pprl CLI':>9}{'pprl lib':>9}{'clkhash':>9}{'lib/clk':>9}{'CLI/clk':>9}")

        def ratio(num: str, den: str | list[str], nums: list[str] | None = None) -> float:
            nums = nums or [num]
            dens = [den] if isinstance(den, str) else den
            n = min(len(T[k]) for k in nums + dens)
            if n == 0:
                return float("nan")
            return statistics.median(sum(T[k][i] for k in nums) / sum(T[k][i] for k in dens) for i in range(n))

        for label, cli, lib, c in (("febrl4_a", "cli_a", "lib_a", "ck_a"), ("febrl4_b", "cli_b", "lib_b", "ck_b")):
            print(f"{label:<26}{fmt(M[cli], 9)}{fmt(M[lib], 9)}{fmt(M[c], 9)}{fmt(ratio(lib, c), 9)}"
                  f"{fmt(ratio(cli, c), 9)}")
        enc = {k: M[f"{k}_a"] + M[f"{k}_b"] for k in ("cli", "lib", "ck")}
        print(f"{'a+b':<26}{fmt(enc['cli'], 9)}{fmt(enc['lib'], 9)}{fmt(enc['ck'], 9)}"
              f"{fmt(ratio('', ['ck_a', 'ck_b'], ['lib_a', 'lib_b']), 9)}"
              f"{fmt(ratio('', ['ck_a', 'ck_b'], ['cli_a', 'cli_b']), 9)}")
        rate = lambda s: (n_a + n_b) / s if s == s else float("nan")  # noqa: E731
        print(f"{'records/s (a+b)':<26}{fmt(rate(enc['cli']), 9, 0)}{fmt(rate(enc['lib']), 9, 0)}"
              f"{fmt(rate(enc['ck']), 9, 0)}")
        print()
        print(f"{'link':<26}{'CLI s':>9}{'lib s':>9}{'candidates':>11}{'thr':>6}{'prec':>8}{'recall':>8}{'F1':>8}")
        print(f"{'pprl link (auto)':<26}{fmt(M['cli_link'], 9)}{fmt(M['lib_link'], 9)}{'':>11}"
              f"{auto_threshold:>6.3f}{q_cli.precision:>8.4f}{q_cli.recall:>8.4f}{q_cli.f1:>8.4f}")
        print(f"{'pprl link --threshold 0.5':<26}{fmt(M['cli_link05'], 9)}{fmt(M['lib_link05'], 9)}{'':>11}"
              f"{0.5:>6.3f}{q_cli05.precision:>8.4f}{q_cli05.recall:>8.4f}{q_cli05.f1:>8.4f}")
        if q_lib.f1 != q_cli.f1:
            print(f"  (library linkage F1 {q_lib.f1:.4f})")
        print(f"{'pprl w/o soc_sec_id (auto)':<26}{'':>9}{'':>9}{'':>11}{nossid_threshold:>6.3f}"
              f"{q_nossid.precision:>8.4f}{q_nossid.recall:>8.4f}{q_nossid.f1:>8.4f}")
        if ck:
            for t in (*ANON_THRESHOLDS, SLOW_THRESHOLD):
                label = f"anonlink dice>={t}"
                if t not in candidates:
                    print(f"{label:<26}{'':>9}{'-':>9}  not run: {slow_error or 'baseline failed'}")
                    continue
                q = q_anon[t]
                runs = "" if len(T[f"an_{t}"]) == args.repeats else f"  ({len(T[f'an_{t}'])} run)"
                print(f"{label:<26}{'':>9}{fmt(M[f'an_{t}'], 9)}{candidates[t]:>11,}{t:>6.3f}"
                      f"{q.precision:>8.4f}{q.recall:>8.4f}{q.f1:>8.4f}{runs}")
            print("  anonlink split (find/solve s): " + ", ".join(
                f"{t}: {M[f'find_{t}']:.2f}/{M[f'solve_{t}']:.2f}" for t in candidates))
            print(f"  baseline worker process, first repeat, wall (start-up, imports, encode, link 0.8+0.7): "
                  f"{M['ck_wall']:.1f} s")
            print()
            print(f"{'ratio pprl / clkhash+anonlink':<34}{'vs 0.8':>8}{'vs 0.7':>8}{'vs 0.5':>8}")
            for label, nums_lib, nums_cli in (
                    ("link, library", ["lib_link"], None),
                    ("link, pprl CLI", ["cli_link"], None),
                    ("encode+link, library", ["lib_a", "lib_b", "lib_link"], None),
                    ("encode+link, pprl CLI", ["cli_a", "cli_b", "cli_link"], None)):
                cells = []
                for t in (*ANON_THRESHOLDS, SLOW_THRESHOLD):
                    dens = [f"an_{t}"] if nums_lib[-1].endswith("link") and len(nums_lib) == 1 else \
                        ["ck_a", "ck_b", f"an_{t}"]
                    cells.append(fmt(ratio("", dens, nums_lib), 8))
                print(f"{label:<34}{''.join(cells)}")
            print("  (pprl link: automatic threshold, all fields' evidence; anonlink: exhaustive Dice at t + greedy)")


if __name__ == "__main__":
    main()
