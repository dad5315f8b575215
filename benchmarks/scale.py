"""Scale benchmark: synthetic missing-persons exports of growing size, encoded and linked by blocking.

    .venv/bin/python benchmarks/scale.py                  # 10k and 100k records a side
    .venv/bin/python benchmarks/scale.py 20k --with-1m    # 20k and 1M
    .venv/bin/python benchmarks/scale.py 1m --with-1m --workdir /tmp/scale --encode-only   # once
    .venv/bin/python benchmarks/scale.py 1m --with-1m --workdir /tmp/scale --reuse --blocking-only

Per size (records per agency: a population of 1.25 times as many people, of whom agency a and b each
list 80%, 60% in both): generate with
``pprl.tools.synth.generate`` (medium difficulty), encode both exports with
``pprl.agency.encode.encode_file`` and ``schemas/missing-persons.json``, link with the blocking path
(``pprl.coordinator.link`` with exhaustive comparison switched off), and print:

* encode, link and blocking seconds (``link_s`` is ``pprl.coordinator.link`` with its own blocking, run
  first; ``blocking_s`` is the candidate generation alone, run again afterwards to measure pair
  completeness), candidates per record (``--budget``: ``blocking.BUDGET``), peak RSS (``getrusage``
  max RSS of this process: ``link_peak_rss_mb`` right after the linkage, which is its peak with the
  two encoded files loaded when ``--reuse`` skipped generating the data in this process;
  ``peak_rss_mb`` after the candidates were generated again; and of the largest child, i.e. an
  encoding worker);
* pair completeness (PC): link a 20k x 20k sample (20k random records of a, their true partners in b
  and random records of b up to 20k) exhaustively; PC is the share of the pairs it matches at its own
  threshold that the *full-size* blocked candidates contain; ``sample_f1`` is that sample linkage's
  own F1 (the "F1 at 20k" to compare with F1 at full size);
* precision / recall / F1 of the full linkage against the truth; ``f1_dated``: the same F1 on the
  records of b that give a full birth date (the matches and true pairs of the others left out: where
  the foreign side has no date, or a year only, namesakes multiply with the population whatever the
  linkage does); and ``f1_on_sample``: F1 of the full linkage's matches of the sample's records of a
  only (same records as ``sample_f1``, but linked against all of b, namesakes and siblings
  included; the sample itself holds few of anyone's siblings);
* with ``--ceiling``: ``supervised_f1``, the F1 of a classifier trained on the truth of the full
  linkage's own candidates (``benchmarks/ceiling.py``; cross-fitted, best threshold in hindsight),
  the yardstick for how much of the gap between full size and the sample any scoring could close;
* anonlink: the pairs/second of anonlink's exhaustive Dice kernel, measured on filters of the same
  width in ``benchmarks/.venv-baselines`` (made by ``benchmarks/baselines.sh``) when that exists, and
  the time it would need for all n_a x n_b pairs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pprl import encoded  # noqa: E402
from pprl.agency import encode, keys, validate  # noqa: E402
from pprl.coordinator import blocking, link  # noqa: E402
from pprl.tools import evaluation, synth  # noqa: E402

SCHEMA = ROOT / "schemas" / "missing-persons.json"
BASELINE_PYTHON = ROOT / "benchmarks" / ".venv-baselines" / "bin" / "python"
SIZES = {"10k": 10_000, "20k": 20_000, "100k": 100_000, "1m": 1_000_000}   # records per agency
LISTED = 0.8        # share of the population each agency lists (synth overlap 0.6: 0.6 + 0.4 / 2)
FULL_DATE = r"^(\d{2}[./]\d{2}[./]\d{4}|\d{4}-\d{2}-\d{2})$"
MAPS = {"a": {"name": ["given_name", "patronymic", "surname"]}, "b": {"name": ["full_name"]}}


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def subset(data: encoded.EncodedData, rows: np.ndarray) -> encoded.EncodedData:
    return replace(data, ids=data.ids[rows], bits=np.ascontiguousarray(data.bits[rows]))


def sample_linkage(a, b, truth: pd.DataFrame, ptr, idx, size: int, seed: int) -> tuple[dict, set]:
    """Exhaustive linkage of a size x size sample: its F1 against the truth of the sample and the
    share of its matches that the full-size blocked candidates contain (pair completeness); and the
    IDs of the sample's records of a."""
    rng = np.random.default_rng(seed)
    rows_a = np.sort(rng.choice(len(a.ids), min(size, len(a.ids)), replace=False))
    pos_b = pd.Series(np.arange(len(b.ids)), index=b.ids)
    sample_truth = truth[truth.iloc[:, 0].isin(set(a.ids[rows_a]))]
    rows_b = set(pos_b[sample_truth.iloc[:, 1].to_numpy()].to_numpy().tolist())
    rest = rng.permutation(len(b.ids))
    for r in rest:
        if len(rows_b) >= min(size, len(b.ids)):
            break
        rows_b.add(int(r))
    rows_b = np.sort(np.fromiter(rows_b, np.int64))
    sa, sb = subset(a, rows_a), subset(b, rows_b)
    sample = link.link([sa, sb], link.LinkOptions(exhaustive_pairs=10**18))
    result = sample.pair(0, 1)
    chosen = link.selected(result, sa.ids, sb.ids, "one-to-one")
    ia, ib = rows_a[result.ia[chosen]], rows_b[result.ib[chosen]]
    metrics = evaluation.evaluate(link.matches_frame(sample, 0, 1), sample_truth)
    return {"pc_sample": round(blocking.pair_completeness(ptr, idx, ia, ib), 4), "sample_matches": len(ia),
            "sample_f1": round(metrics.f1, 4)}, set(a.ids[rows_a])


def anonlink_rate(words: int) -> float | None:
    """Pairs/second of anonlink's exhaustive Dice candidate search, or None without the baseline venv."""
    if not BASELINE_PYTHON.exists():
        return None
    code = f"""
import time, numpy as np
from bitarray import bitarray
import anonlink
rng = np.random.default_rng(0)
n = 4000
def filters():
    out = []
    for row in rng.random((n, {words} * 64)) < 0.2:
        ba = bitarray(); ba.pack(row.astype(np.uint8).tobytes()); out.append(ba)
    return out
a, b = filters(), filters()
t = time.perf_counter()
anonlink.candidate_generation.find_candidate_pairs([a, b], anonlink.similarities.dice_coefficient_accelerated, 0.7)
print(n * n / (time.perf_counter() - t))
"""
    try:
        out = subprocess.run([str(BASELINE_PYTHON), "-c", code], capture_output=True, text=True, timeout=600, check=True)
        return float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def run(label: str, records: int, workdir: Path, secret: bytes, sample: int, seed: int,
        difficulty: str = "medium", reuse: bool = False, encode_only: bool = False,
        blocking_only: bool = False, ceiling: bool = False) -> dict:
    out = workdir / label
    out.mkdir(parents=True, exist_ok=True)
    done = out / "prepared.json"
    if reuse and done.exists():  # generated and encoded by an earlier run (e.g. --encode-only)
        prepared = json.loads(done.read_text())
        truth = pd.read_csv(out / "truth_a_b.csv", dtype=str)
    else:
        started = time.perf_counter()
        data = synth.generate(round(records / LISTED), seed=seed, difficulty=difficulty,
                              overlap=synth.LEGACY_OVERLAP, version=1)   # the data of the figures in the README
        synth.write(data, out)
        truth = data.truth[("a", "b")]
        del data
        generated = time.perf_counter() - started
        linkage_schema = validate.load(SCHEMA)
        started = time.perf_counter()
        for name in ("a", "b"):
            encode.encode_file(out / f"{name}.csv", out / f"{name}.pprl", linkage_schema, secret, MAPS[name],
                               id_column="record_id", dataset=name)
        prepared = {"generate_s": round(generated, 1), "encode_s": round(time.perf_counter() - started, 1),
                    "encode_peak_child_rss_mb": round(peak_rss_mb()[1])}
        done.write_text(json.dumps(prepared))
    if encode_only:
        return {"size": label, **prepared}
    a, b = encoded.read(out / "a.pprl"), encoded.read(out / "b.pprl")
    row = {"size": label, "n_a": len(a.ids), "n_b": len(b.ids), "generate_s": prepared["generate_s"],
           "encode_s": prepared["encode_s"], "budget": blocking.BUDGET}
    if not blocking_only:  # first, so that the peak RSS measured after it is the linkage's own
        started = time.perf_counter()
        linkage = link.link([a, b], link.LinkOptions(exhaustive_pairs=0))
        matches = link.matches_frame(linkage, 0, 1)
        row["link_s"] = round(time.perf_counter() - started, 1)
        row["link_peak_rss_mb"] = round(peak_rss_mb()[0])
        metrics = evaluation.evaluate(matches, truth)
        row.update(precision=round(metrics.precision, 4), recall=round(metrics.recall, 4), f1=round(metrics.f1, 4))
        export_b = pd.read_csv(out / "b.csv", dtype=str, keep_default_na=False, usecols=["record_id", "birth_date"])
        dated = set(export_b["record_id"][export_b["birth_date"].str.match(FULL_DATE)])
        row["f1_dated"] = round(evaluation.evaluate(matches[matches["id_b"].isin(dated)],
                                                    truth[truth.iloc[:, 1].isin(dated)]).f1, 4)
        if ceiling:
            from ceiling import supervised, true_pairs

            pair = linkage.pair(0, 1)
            labels = true_pairs(a.ids, b.ids, pair.ia, pair.ib, truth)
            row["supervised_f1"] = round(supervised(pair.ia, pair.ib, pair.score, pair.binned, labels, len(truth))["f1"], 4)
        del linkage
    started = time.perf_counter()
    ptr, idx, method = blocking.candidates(a, b)
    row.update(blocking_s=round(time.perf_counter() - started, 1), candidates=int(ptr[-1]),
               cand_per_a=round(int(ptr[-1]) / max(len(a.ids), 1), 1))
    rss_self, rss_child = peak_rss_mb()
    row.update(peak_rss_mb=round(rss_self), peak_child_rss_mb=round(rss_child))
    sampled, ids = sample_linkage(a, b, truth, ptr, idx, sample, seed)
    row.update(sampled)
    if not blocking_only:  # the full linkage judged on the sample's records of a only
        own = matches[matches["id_a"].isin(ids)]
        row["f1_on_sample"] = round(evaluation.evaluate(own, truth[truth.iloc[:, 0].isin(ids)]).f1, 4)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", choices=list(SIZES), default=["10k", "100k"],
                        help="sizes to run (records per agency); 1m needs --with-1m")
    parser.add_argument("--with-1m", action="store_true", help="also run 1M records a side")
    parser.add_argument("--workdir", type=Path, help="where to write exports and encoded files (default: a temp dir)")
    parser.add_argument("--sample", type=int, default=20_000, help="records per side of the exhaustive PC sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", default="medium", choices=list(synth.DIFFICULTIES))
    parser.add_argument("--reuse", action="store_true",
                        help="reuse data generated and encoded in --workdir by an earlier run (secret not needed)")
    parser.add_argument("--encode-only", action="store_true", help="generate and encode only (for a later --reuse)")
    parser.add_argument("--blocking-only", action="store_true", help="candidates and pair completeness only, no linkage")
    parser.add_argument("--ceiling", action="store_true",
                        help="also train a classifier on the truth of the linkage's candidates (benchmarks/ceiling.py)")
    parser.add_argument("--budget", type=int, help=f"candidates per record (blocking.BUDGET, default "
                        f"{blocking.BUDGET}; 0: every pair met in a band)")
    args = parser.parse_args()
    sizes = list(dict.fromkeys(args.sizes or ["10k", "100k"]))
    if args.with_1m and "1m" not in sizes:
        sizes.append("1m")
    if "1m" in sizes and not args.with_1m:
        parser.error("1m needs --with-1m")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pprl-scale-"))
    secret = keys.generate_secret()
    if args.budget is not None:
        blocking.BUDGET = args.budget  # read by link's blocking too
    rows = []
    for label in sizes:
        row = run(label, SIZES[label], workdir, secret, args.sample, args.seed, args.difficulty, args.reuse,
                  args.encode_only, args.blocking_only, args.ceiling)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.encode_only:
        print(f"data in {workdir}")
        return
    words = len(rows[-1] and encoded.read(workdir / sizes[-1] / "a.pprl").bits[0]) if rows else 0
    rate = anonlink_rate(words)
    frame = pd.DataFrame(rows)
    if rate:
        frame["anonlink_exhaustive_s"] = [round(r["n_a"] * r["n_b"] / rate) for r in rows]
        note = f"anonlink exhaustive Dice kernel measured at {rate:,.0f} pairs/s ({words} words per filter)"
    else:
        note = "anonlink column skipped: benchmarks/.venv-baselines not found (run benchmarks/baselines.sh)"
    print(frame.to_string(index=False))
    print(note)
    print(f"data in {workdir}")


if __name__ == "__main__":
    main()
