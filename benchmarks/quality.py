"""Linkage quality on fresh synthetic data: pprl vs recordlinkage in the clear vs clkhash + anonlink.

For each difficulty level (easy, medium, hard; ``--extreme`` adds extreme), each overlap (``--overlaps``,
the share of records with a partner: 0.75, version 1's 60 % of people in both lists, and 0.4, as real
lists overlap) and each seed, generates ``pprl.tools.synth.generate(N, seed=s, difficulty=level,
overlap=o)`` (generator version 2, with the failure classes of real data; ``--generator-version 1``
for the data of the README's figures before them; agency a: Cyrillic surname / given_name /
patronymic columns; b: one foreign full_name in Latin or Arabic script; truth a-b) and links a with b:

* ``pprl`` - ``encode_file`` with ``schemas/missing-persons.json`` (a: name=surname+given_name+patronymic,
  b: name=full_name, other fields by column name; b's ages read with the register's year,
  ``synth.AGE_REFERENCE_YEAR``, as ``--age-reference-year`` would), ``link`` and ``matches_frame`` (one-to-one) at
  pprl's own automatic threshold, scored with ``pprl.tools.evaluation.evaluate``;
* ``pprl@best`` - the same linkage, one-to-one at the best threshold in hindsight (known truth; the
  greedy one-to-one at threshold t is the greedy one over all candidates cut at t): how good the
  automatic choice is;
* ``rl-clear`` - recordlinkage on the raw values (``benchmarks/baseline_clear.py``): clean/phonetic,
  Jaro-Winkler, dates, ECM or a sum of similarities at its best threshold in hindsight; the best
  variant per run;
* ``supervised`` (with ``--ceiling``) - a classifier trained on the truth, cross-fitted, on the very
  candidate pairs pprl scored, at its best threshold in hindsight (``benchmarks/ceiling.py``): what
  the encodings allow, to tell a weak unsupervised fit from information the records do not hold;
* ``clk@best`` - clkhash (bigram CLKs of name and parents, positional digits of the birth date, sex)
  and anonlink (Dice candidates >= 0.5, greedy solve) at the best threshold in 0.50, 0.51, ..., 0.95
  in hindsight, with the better of two bit weightings (``CLK_VARIANTS``, also in hindsight); runs in
  ``benchmarks/.venv-baselines`` (``bash benchmarks/baselines.sh`` builds it).
  Its birth dates are normalised in the clear to YYYYMMDD / YYYYMM / YYYY and sex to M/F first,
  as a careful clkhash user would; names go in as they are (lower-cased, spaces collapsed).

Prints P / R / F1 per level, overlap and tool (mean over seeds, and the minimum F1), and seconds per run.

    .venv/bin/python benchmarks/quality.py                    # 2,000 people, seeds 0-2, easy/medium/hard,
                                                              # overlaps 0.75 and 0.4
    .venv/bin/python benchmarks/quality.py --generator-version 1 --overlaps 0.75   # the data before issue #17
    .venv/bin/python benchmarks/quality.py --extreme --seeds 5 --people 5000
    .venv/bin/python benchmarks/quality.py --tools pprl       # only pprl (no baseline venv needed)
    .venv/bin/python benchmarks/quality.py --json r.json      # keep every run; --report r.json reprints
    .venv/bin/python benchmarks/quality.py --tools pprl --ceiling --extreme   # pprl vs the supervised ceiling
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BASELINE_PY = HERE / ".venv-baselines" / "bin" / "python"
CLK_THRESHOLDS = [round(0.50 + 0.01 * i, 2) for i in range(46)]   # 0.50 .. 0.95
TOOLS = ("pprl", "pprl@best", "supervised", "rl-clear", "clk@best")


# ------------------------------------------------------------------------------------------
# clkhash + anonlink worker (runs inside the baseline venv; imports nothing from pprl)
# ------------------------------------------------------------------------------------------
def _clk_feature(identifier: str, comparison: dict, bits_per_token: int) -> dict:
    return {"identifier": identifier,
            "format": {"type": "string", "encoding": "utf-8", "case": "mixed"},
            "hashing": {"comparison": comparison, "strategy": {"bitsPerToken": bits_per_token},
                        "hash": {"type": "blakeHash"}},
            "missingValue": {"sentinel": ""}}


def clk_schema(name: int, dob: int, sex: int, parents: int) -> dict:
    """A clkhash v3 schema (1024-bit CLK) with these bits per token for each feature."""
    return {
        "version": 3,
        "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64,
                                         "salt": "cXVhbGl0eS1iZW5jaG1hcms=", "info": "cXVhbGl0eQ=="}},
        "features": [
            {"identifier": "record_id", "ignored": True},
            _clk_feature("name", {"type": "ngram", "n": 2}, name),
            _clk_feature("birth_date", {"type": "ngram", "n": 1, "positional": True}, dob),
            _clk_feature("sex", {"type": "ngram", "n": 1}, sex),
            _clk_feature("mother_name", {"type": "ngram", "n": 2}, parents),
            _clk_feature("father_name", {"type": "ngram", "n": 2}, parents),
        ],
    }


#: Bits per token (name bigrams, birth-date positional digits, sex, parents' bigrams).  "example"
#: follows clkhash's own example schema (randomnames-schema-v2: 15 / 30 / 60) with parents at 10;
#: "dob-heavy" leans on the birth date, which survives the change of script.  The better one per run
#: is reported (chosen in hindsight, like the threshold).
CLK_VARIANTS = {"example": (15, 30, 60, 10), "dob-heavy": (10, 40, 60, 5)}


def clk_worker(job_path: str, check: list[float] | None = None) -> None:
    """Reads {"a": rows, "b": rows, "thresholds": [...]}; prints, per schema variant,
    {"matched": [[i, j, dice], ...], "seconds_hash", "seconds_candidates", "seconds_solve", "candidates"}:
    anonlink's greedy solution over the candidates >= the lowest threshold."""
    from anonlink.candidate_generation import find_candidate_pairs
    from anonlink.similarities import dice_coefficient_accelerated
    from anonlink.solving import greedy_solve, pairs_from_groups
    from clkhash import clk
    from clkhash.schema import from_json_dict

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    secret = "quality-benchmark-secret-0123456789"
    result = {}
    for variant, weights in CLK_VARIANTS.items():
        schema = from_json_dict(clk_schema(*weights))
        t0 = time.perf_counter()
        clks = [clk.generate_clks(job[k], schema, secret, validate=True, max_workers=1) for k in ("a", "b")]
        t1 = time.perf_counter()
        sims, dsets, recs = find_candidate_pairs(clks, dice_coefficient_accelerated, min(job["thresholds"]))
        t2 = time.perf_counter()
        # Greedy at threshold t == greedy over all candidates >= min threshold, cut at t (a pair is
        # only ever blocked by a better one): one solve, then each matched pair with its Dice.
        matched = sorted(pairs_from_groups(greedy_solve((sims, dsets, recs))))
        a_clks, b_clks = clks
        found = [[i, j, 2 * (a_clks[i] & b_clks[j]).count() / (a_clks[i].count() + b_clks[j].count())]
                 for i, j in matched]
        result[variant] = {"matched": found, "seconds_hash": t1 - t0, "seconds_candidates": t2 - t1,
                           "seconds_solve": time.perf_counter() - t2, "candidates": len(sims)}
        if check:  # verify the prefix property against a solve at each of a few thresholds
            for t in check:
                n = sum(1 for x in sims if x >= t)
                direct = set(pairs_from_groups(greedy_solve((sims[:n], (dsets[0][:n], dsets[1][:n]),
                                                             (recs[0][:n], recs[1][:n])))))
                assert direct == {(i, j) for i, j, x in found if x >= t}, (variant, t)
    print(json.dumps(result))


def clk_rows(frame, name_columns: list[str]) -> list[list[str]]:
    """Rows for clkhash: record_id, name (joined), birth date (normalised), sex (M/F), mother, father."""
    from baseline_clear import clear_date, clear_sex

    def text(v) -> str:
        return " ".join(v.lower().split()) if isinstance(v, str) else ""

    rows = []
    cols = [frame[c].tolist() for c in ["record_id", *name_columns, "birth_date", "sex", "mother_name", "father_name"]]
    k = len(name_columns)
    for values in zip(*cols):
        name = " ".join(text(v).strip() for v in values[1:1 + k] if text(v).strip())
        y, m, d = clear_date(values[1 + k])
        rows.append([str(values[0]), name, y + m + d, clear_sex(values[2 + k]).upper(),
                     text(values[3 + k]).strip(), text(values[4 + k]).strip()])
    return rows


def run_clk(python: Path, a, b, truth, check: list[float] | None = None) -> dict:
    truth_set = set(zip(truth["id_a"].astype(str), truth["id_b"].astype(str)))
    ids_a, ids_b = a["record_id"].astype(str).tolist(), b["record_id"].astype(str).tolist()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps({"a": clk_rows(a, ["surname", "given_name", "patronymic"]),
                                   "b": clk_rows(b, ["full_name"]), "thresholds": [min(CLK_THRESHOLDS)]},
                                  ensure_ascii=False), encoding="utf-8")
        extra = ["--clk-check", *map(str, check)] if check else []
        proc = subprocess.run([str(python), str(Path(__file__).resolve()), "--clk-worker", str(job), *extra],
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"clkhash worker failed:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    best = None
    for variant, found in res.items():
        for t in CLK_THRESHOLDS:
            pred = {(ids_a[i], ids_b[j]) for i, j, dice in found["matched"] if dice >= t - 1e-12}
            tp = len(pred & truth_set)
            p = tp / len(pred) if pred else 0.0
            r = tp / len(truth_set)
            f = 2 * p * r / (p + r) if p + r else 0.0
            if best is None or f > best["f1"]:
                best = {"precision": p, "recall": r, "f1": f, "threshold": float(t), "variant": variant}
    # seconds of one schema variant: hashing both files, candidates >= 0.5, greedy solve
    best["seconds"] = (time.perf_counter() - started) / len(res)
    best["timing"] = {v: {k: x for k, x in found.items() if k.startswith("seconds") or k == "candidates"}
                      for v, found in res.items()}
    return best


# ------------------------------------------------------------------------------------------
# pprl
# ------------------------------------------------------------------------------------------
def run_pprl(a, b, truth, workdir: Path, secret: bytes, workers: int, ceiling: bool = False,
             age_reference_year: int | None = None) -> dict[str, dict]:
    """``pprl`` and ``pprl@best`` (and ``supervised`` with ``ceiling``) metrics of one linkage."""
    import numpy as np
    import pandas as pd

    from pprl import encoded
    from pprl.agency import validate
    from pprl.agency.encode import encode_file
    from pprl.coordinator.link import LinkOptions, link, matches_frame
    from pprl.coordinator.solving import one_to_one
    from pprl.tools import evaluation
    from baseline_clear import best_threshold
    from ceiling import supervised, true_pairs

    started = time.perf_counter()
    schema = validate.load(ROOT / "schemas" / "missing-persons.json")
    a.to_csv(workdir / "a.csv", index=False)
    b.to_csv(workdir / "b.csv", index=False)
    encode_file(workdir / "a.csv", workdir / "a.pprl", schema, secret,
                {"name": ["surname", "given_name", "patronymic"]}, "record_id", "a", workers=workers)
    encode_file(workdir / "b.csv", workdir / "b.pprl", schema, secret,
                {"name": ["full_name"]}, "record_id", "b", workers=workers, age_reference_year=age_reference_year)
    datasets = [encoded.read(workdir / "a.pprl"), encoded.read(workdir / "b.pprl")]
    encoded.check_compatible([workdir / "a.pprl", workdir / "b.pprl"], datasets)
    linkage = link(datasets, LinkOptions.from_schema(datasets[0].header["schema"]))
    matches = matches_frame(linkage, 0, 1, "one-to-one")
    seconds = time.perf_counter() - started
    m = evaluation.evaluate(matches, truth)
    pair = linkage.pair(0, 1)
    default = {"precision": m.precision, "recall": m.recall, "f1": m.f1,
               "threshold": float(pair.threshold.value), "seconds": seconds}
    # best threshold in hindsight: greedy one-to-one over all candidates, cut at every distinct score
    ids_a, ids_b = datasets[0].ids, datasets[1].ids
    keep = one_to_one(pair.ia, pair.ib, pair.score, ids_a, ids_b)
    truth_set = set(zip(truth["id_a"].astype(str), truth["id_b"].astype(str)))
    is_true = np.fromiter(((str(x), str(y)) in truth_set for x, y in zip(ids_a[pair.ia[keep]], ids_b[pair.ib[keep]])),
                          bool, len(keep))
    t, p, r, f = best_threshold(pair.score[keep], is_true, len(truth_set))
    check = evaluation.evaluate(pd.DataFrame({"id_a": ids_a[pair.ia[keep]], "id_b": ids_b[pair.ib[keep]],
                                              "score": pair.score[keep]}), truth, threshold=t)
    assert abs(check.f1 - f) < 1e-9, (check, f)
    best = {"precision": p, "recall": r, "f1": f, "threshold": t, "seconds": 0.0}
    row = {"pprl": default, "pprl@best": best}
    if ceiling:
        started = time.perf_counter()
        labels = true_pairs(ids_a, ids_b, pair.ia, pair.ib, truth)
        row["supervised"] = supervised(pair.ia, pair.ib, pair.score, pair.binned, labels, len(truth_set))
        row["supervised"]["seconds"] = time.perf_counter() - started
    return row


# ------------------------------------------------------------------------------------------
def print_table(results: list[dict], levels: list[str], people: int, seeds: int,
                overlaps: list[float] | None = None, version: int = 1) -> None:
    overlaps = overlaps or [None]
    print(f"# pprl.tools.synth version {version}, {people:,} people, seeds 0..{seeds - 1}; mean over seeds "
          f"(min F1); 'ovl' = share of records with a partner; '@best' = threshold chosen in hindsight")
    print(f"{'level':<8} {'ovl':>4} {'tool':<10} {'P':>6} {'R':>6} {'F1':>6} {'minF1':>6} {'thr':>6} {'s/run':>6}  note")
    warnings = []
    for level, overlap in ((lv, o) for lv in levels for o in overlaps):
        here = [r for r in results if r["level"] == level and r.get("overlap") == overlap]
        for tool in TOOLS:
            rows = [r for r in here if r["tool"] == tool]
            if not rows:
                continue
            mean = {k: statistics.fmean(r[k] for r in rows) for k in ("precision", "recall", "f1", "seconds")}
            thresholds = [r["threshold"] for r in rows if "threshold" in r]
            thr = f"{statistics.fmean(thresholds):6.3f}" if len(thresholds) == len(rows) else "     -"
            note = ""
            if tool in ("rl-clear", "clk@best"):
                note = "best: " + ", ".join(f"{v} x{n}" for v, n in
                                            sorted(Counter(r["variant"] for r in rows).items()))
            if tool == "supervised":
                note = f"true pairs among pprl's candidates: {statistics.fmean(r['reachable'] for r in rows):.3f}"
            if tool == "pprl@best":
                gaps = [b["f1"] - d["f1"] for b, d in zip(rows, [r for r in here if r["tool"] == "pprl"])]
                note = f"gap to default: mean {statistics.fmean(gaps):.3f}, max {max(gaps):.3f}"
                if max(gaps) > 0.02:
                    warnings.append(f"pprl default-threshold F1 is more than 0.02 below its best-threshold F1 "
                                    f"at level {level}, overlap {overlap} (max gap {max(gaps):.3f})")
            secs = "" if tool == "pprl@best" else f"{mean['seconds']:6.1f}"
            ovl = f"{overlap:4.2f}" if overlap is not None else "   -"
            print(f"{level:<8} {ovl} {tool:<10} {mean['precision']:6.3f} {mean['recall']:6.3f} {mean['f1']:6.3f} "
                  f"{min(r['f1'] for r in rows):6.3f} {thr} {secs:>6}  {note}")
    for w in warnings:
        print("WARNING: " + w)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=2000, help="people per synthetic population (default 2000)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..S-1 per level (default 3)")
    ap.add_argument("--levels", default="easy,medium,hard", help="comma-separated difficulty levels")
    ap.add_argument("--extreme", action="store_true", help="add the extreme level")
    ap.add_argument("--overlaps", default="0.75,0.4",
                    help="comma-separated shares of records with a partner (default 0.75,0.4: version 1's and a "
                         "realistic one)")
    ap.add_argument("--generator-version", type=int, default=2, choices=(1, 2),
                    help="pprl synth's version (default 2: with the failure classes of real data)")
    ap.add_argument("--tools", default="pprl,rl,clk", help="comma-separated subset of pprl,rl,clk")
    ap.add_argument("--ceiling", action="store_true",
                    help="also train a classifier on the truth of pprl's candidates (benchmarks/ceiling.py)")
    ap.add_argument("--baseline-python", type=Path, default=DEFAULT_BASELINE_PY)
    ap.add_argument("--rl-full-index", action="store_true",
                    help="recordlinkage: compare every a x b pair instead of blocking (about 20x slower)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="pprl encode processes")
    ap.add_argument("--json", type=Path, help="also write every run's results here")
    ap.add_argument("--report", type=Path, metavar="JSON", help="only print the table of a --json file")
    ap.add_argument("--clk-worker", help=argparse.SUPPRESS)
    ap.add_argument("--clk-check", type=float, nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.clk_worker:
        clk_worker(args.clk_worker, args.clk_check)
        return 0
    if args.report:
        saved = json.loads(args.report.read_text())
        print_table(saved["results"], saved["levels"], saved["people"], saved["seeds"], saved.get("overlaps"),
                    saved.get("version", 1))
        return 0

    sys.path.insert(0, str(HERE))
    import baseline_clear
    from pprl.agency import keys
    from pprl.tools import synth

    levels = [x for x in args.levels.split(",") if x] + (["extreme"] if args.extreme else [])
    overlaps = [float(x) for x in args.overlaps.split(",") if x]
    ages = synth.AGE_REFERENCE_YEAR if args.generator_version == 2 else None
    tools = set(args.tools.split(","))
    if "clk" in tools and not Path(args.baseline_python).exists():
        print(f"# {args.baseline_python} missing: run `bash benchmarks/baselines.sh` (skipping clkhash)", file=sys.stderr)
        tools.discard("clk")
    secret = keys.generate_secret()
    results = []  # (level, seed, tool, metrics)
    total_started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if "pprl" in tools:  # warm-up: numba JIT compilation is not part of any timing
            warm = synth.generate(200, seed=99, difficulty="easy")
            run_pprl(warm.exports["a"], warm.exports["b"], warm.truth[("a", "b")], Path(tmp), secret, args.workers)
        for level, overlap, seed in ((lv, o, s) for lv in levels for o in overlaps for s in range(args.seeds)):
            data = synth.generate(args.people, seed=seed, difficulty=level, overlap=overlap,
                                  version=args.generator_version)
            a, b, truth = data.exports["a"], data.exports["b"], data.truth[("a", "b")]
            row = {}
            if "pprl" in tools:
                row.update(run_pprl(a, b, truth, Path(tmp), secret, args.workers, args.ceiling, ages))
            if "rl" in tools:
                res = baseline_clear.link(a, b, truth, n_jobs=1, full_index=args.rl_full_index)
                row["rl-clear"] = dict(res[res["best"]], seconds=res["seconds"], variant=res["best"])
            if "clk" in tools:
                row["clk@best"] = run_clk(args.baseline_python, a, b, truth)
            for tool, metrics in row.items():
                results.append({"level": level, "overlap": overlap, "seed": seed, "tool": tool, **metrics})
            print(f"# {level} overlap {overlap} seed {seed}: a {len(a)}, b {len(b)}, true pairs {len(truth)}; "
                  + ", ".join(f"{k} F1 {v['f1']:.3f}" for k, v in row.items()), file=sys.stderr, flush=True)

    if args.json:
        args.json.write_text(json.dumps({"people": args.people, "seeds": args.seeds, "levels": levels,
                                         "overlaps": overlaps, "version": args.generator_version,
                                         "results": results}, indent=1))
    print_table(results, levels, args.people, args.seeds, overlaps, args.generator_version)
    print(f"# total {time.perf_counter() - total_started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
