"""Linkage quality on real name data nobody here generated: pprl vs anyascii + bigram Dice vs Splink.

Issue #17: our quality figures come from ``pprl synth``, which we wrote and tuned against. This
benchmark measures pprl on real spellings instead. Its only real data is the Wikidata
transliteration lexicon of Merhav & Ash (COLING 2018; CC0), the 80 % training split kept in
``/work/shared/data/wikidata-translit/`` (``wd_russian_80``, ``wd_arabic_80``; lines
``latin<TAB>t a r g e t<TAB>count``). Only its clean lines are read (count >= 2): each Cyrillic or
Arabic-script token with its Latin spellings and how often Wikidata labels showed each. The held-out
20 % split is never read. Every test is a pair of files A (Cyrillic or Arabic script) and B (Latin)
with a one-to-one truth; each seed draws its own sample (the same one every time).

* ``tokens-cyr``: ``--size`` distinct Cyrillic tokens (A) against their most frequent Latin spelling
  (B); every record has a partner. Real pairs, as Wikidata shows them (of every origin: Russian,
  Caucasian, German, English, Japanese... names written in Cyrillic).
* ``tokens-arab``: the same for Arabic-script tokens.
* ``persons-cyr``: ``--size`` persons; A lists surname, given name and patronymic in Cyrillic, B one
  full name in Latin ("given [patronymic] surname"; the patronymic is kept in half of B's records),
  plus ``--distractors`` (3,000) further Latin persons with no partner in A. THE PERSONS ARE COMPOSED
  FROM REAL TOKENS, NOT REAL PERSONS: no public list of real persons in both scripts could be used
  (see /work/notes/realdata.md). Male given names are the lexicon's tokens that are the stem of one
  of its patronymics (Иван <- Иванович), patronymics the lexicon's -ович/-евич tokens with such a
  stem, surnames its tokens with a Russian surname ending (-ов -ев -ин -ын -ский -цкий -енко -ук
  -ян -дзе -швили ...); all male forms (the lexicon gives no reliable female given names). Given
  name and patronymic are drawn in proportion to their Wikidata count, the surname uniformly, and
  each Latin part is one of that token's real Wikidata spellings, drawn in proportion to its count
  (Александр: alexander, aleksandr, aleksander, alexandre...).
* ``persons-arab``: ``--size`` persons of three or four Arabic-script tokens (given, father,
  [grandfather], family) in the same order on both sides, drawn from the lexicon's tokens with a
  letter that transliterated Western names hardly use (ع ح ص ض ط ظ ة: Arabic-origin names such as
  محمد, علي, عبد); Latin spellings drawn as above. No distractors. Composed, not real persons.
* ``persons-cyr-dated``, ``persons-arab-dated``: the same persons with SYNTHETIC birth dates (none of
  the data has real ones): uniform in 1950-2010, A as dd.mm.yyyy, B as yyyy-mm-dd; B has the same
  date in 85 % of its partnered records, only the year in 10 %, day and month swapped in 5 % (when
  the day is <= 12; otherwise the same date). Distractors get dates of their own.

Tools (each links A with B one-to-one):

* ``pprl`` - only through its command line (``python -c "from pprl.cli import main; main()"``, as
  tests/test_cli.py does: ``python -m pprl.cli`` runs nothing, the module has no __main__ guard):
  ``keygen``, ``encode --schema schemas/missing-persons.json`` (name mapped to the name column(s),
  birth_date to the date when present, every other field ``--map FIELD=``), ``link`` at its default
  automatic threshold; P/R/F1 from MATCHES.csv against the truth.
* ``pprl@best`` - the same linkage at its best threshold in hindsight (greedy one-to-one over the
  ``link --candidates`` file, cut at every score): what a perfect threshold choice would give; its
  note gives the share of true pairs among pprl's candidates (what blocking and filtering kept).
* ``bigram@0.7``, ``bigram@best`` - both sides transliterated with ``anyascii``, lower-cased, each
  record the set of space-padded bigrams of its name parts (names only: no date), Dice over all
  pairs, greedy one-to-one at Dice >= 0.7 (fixed beforehand) and at the best threshold in
  hindsight (0.20, 0.21, ..., 0.99).
* ``splink`` - Splink 4 (DuckDB) in the clear, a model a user would build in an hour: anyascii,
  lower-cased names and their consonant skeletons (anyascii writes Arabic without vowels: محمد ->
  mhmd; mohammed -> mhmd too); tokens: exact / Jaro-Winkler levels on the token and its skeleton,
  Levenshtein levels on both; persons: the same levels on given name (first part) and surname (A's
  surname column or the last part), the size of the intersection of the part skeletons, and on the
  birth date exact date / exact year; blocking on first letters, prefixes and endings (the year);
  u by random sampling, the prior from the expected overlap (min(|A|,|B|) true pairs), m by EM
  (prior fixed) from starting values that decrease with the level (closer levels likelier among
  matches);
  prediction at match probability 0.5, then greedy one-to-one by match probability.

The baselines run in ``benchmarks/.venv-baselines`` (``bash benchmarks/realdata_venv.sh`` builds it
with anyascii, splink, duckdb, numpy, scipy), never importing pprl; this script itself needs only
the standard library and imports nothing from pprl. Prints one table, test x tool: P / R / F1
(median over seeds) and seconds per run, and the share of records with a partner in each file.

    bash benchmarks/realdata_venv.sh                                  # builds the venv, then runs
    PYTHONPATH=. .venv/bin/python benchmarks/realdata.py              # 2 seeds, 2,000 per test
    .venv/bin/python benchmarks/realdata.py --tools pprl --tests tokens-cyr,persons-cyr --seeds 3
    .venv/bin/python benchmarks/realdata.py --keep out/realdata --json r.json   # keep files, runs
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LEXICON_DIR = Path("/work/shared/data/wikidata-translit")
DEFAULT_BASELINE_PY = HERE / ".venv-baselines" / "bin" / "python"
TESTS = ("tokens-cyr", "tokens-arab", "persons-cyr", "persons-arab", "persons-cyr-dated", "persons-arab-dated")
TOOLS = ("pprl", "pprl@best", "bigram@0.7", "bigram@best", "splink")
PPRL_FIELDS = ("name", "birth_date", "sex", "mother_name", "father_name")   # schemas/missing-persons.json
BIGRAM_FIXED = 0.7
BIGRAM_FLOOR = 0.20
CLI = ["-c", "from pprl.cli import main; main()"]


# ------------------------------------------------------------------------------------------
# data preparation (pure functions)
# ------------------------------------------------------------------------------------------
def read_lexicon(lines) -> dict[str, Counter]:
    """{target token: Counter(latin spelling -> count)} from lexicon lines, clean ones only (count >= 2)."""
    lexicon: dict[str, Counter] = defaultdict(Counter)
    for line in lines:
        latin, target, count = line.rstrip("\n").split("\t")
        if int(count) >= 2:
            lexicon[target.replace(" ", "")][latin] += int(count)
    return dict(lexicon)


def most_frequent(spellings: Counter) -> str:
    """The most frequent spelling; ties go to the alphabetically first (deterministic)."""
    return min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def token_pairs(lexicon: dict[str, Counter]) -> list[tuple[str, str]]:
    """(target token, its most frequent Latin spelling), sorted by target."""
    return [(t, most_frequent(lexicon[t])) for t in sorted(lexicon)]


def russian_pools(lexicon: dict[str, Counter]) -> dict[str, list[str]]:
    """Male given names, patronymics and surnames among the Cyrillic tokens (see the docstring)."""
    given, patronymics = set(), set()
    for token in lexicon:
        match = re.fullmatch(r"(.+)([оеё]вич)", token)
        if not match:
            continue
        stem = match.group(1)
        found = [c for c in (stem, stem + "й", stem + "ь") if c in lexicon and len(c) >= 3]
        if found:
            given.add(max(found, key=lambda c: (sum(lexicon[c].values()), c)))
            patronymics.add(token)
    ending = re.compile(r".{2,}(ов|ев|ёв|ин|ын|ский|цкий|ской|енко|ук|юк|ых|ян|дзе|швили)")
    surnames = {t for t in lexicon if ending.fullmatch(t)} - given - patronymics
    return {"given": sorted(given), "patronymic": sorted(patronymics), "surname": sorted(surnames)}


ARABIC_ORIGIN = re.compile("[عحصضطظة]")


def arabic_pool(lexicon: dict[str, Counter]) -> list[str]:
    """Arabic-script tokens with a letter that transliterations of Western names hardly use."""
    return sorted(t for t in lexicon if ARABIC_ORIGIN.search(t))


def weights(lexicon: dict[str, Counter], pool: list[str]) -> list[int]:
    return [sum(lexicon[t].values()) for t in pool]


def spell(lexicon: dict[str, Counter], token: str, rng: random.Random) -> str:
    """One real Latin spelling of ``token``, drawn in proportion to its Wikidata count."""
    spellings = sorted(lexicon[token].items())
    return rng.choices([s for s, _ in spellings], [c for _, c in spellings])[0]


def random_date(rng: random.Random) -> dt.date:
    start, end = dt.date(1950, 1, 1), dt.date(2010, 12, 31)
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def register_date(date: dt.date, rng: random.Random) -> str:
    """B's form of a partner's birth date: same (85 %), year only (10 %), day/month swapped (5 %)."""
    u = rng.random()
    if u < 0.10:
        return f"{date.year}"
    if u < 0.15 and date.day <= 12:
        return f"{date.year}-{date.day:02d}-{date.month:02d}"
    return date.isoformat()


def sample_tokens(pairs: list[tuple[str, str]], n: int, rng: random.Random) -> dict:
    """Test ``tokens-*``: n distinct tokens against their most frequent Latin spelling."""
    chosen = rng.sample(pairs, min(n, len(pairs)))
    ids_b = [f"b{i}" for i in rng.sample(range(len(chosen)), len(chosen))]   # B in another order
    a = [{"record_id": f"a{i}", "name": t} for i, (t, _) in enumerate(chosen)]
    b = [{"record_id": ids_b[i], "name": latin} for i, (_, latin) in enumerate(chosen)]
    b.sort(key=lambda r: int(r["record_id"][1:]))
    return {"a": a, "b": b, "truth": [(f"a{i}", ids_b[i]) for i in range(len(chosen))],
            "map_a": {"name": "name"}, "map_b": {"name": "name"},
            "parts_a": [{"full": [r["name"]]} for r in a], "parts_b": [{"full": [r["name"]]} for r in b]}


def compose_russian(lexicon, pools, n: int, rng: random.Random, exclude=frozenset()) -> list[tuple[str, str, str]]:
    """n distinct (surname, given, patronymic) Cyrillic triples: given name and patronymic drawn by
    Wikidata count, the surname uniformly (its count says how famous a family is, not how common)."""
    w = {k: weights(lexicon, v) for k, v in pools.items()} | {"surname": None}
    people: set[tuple[str, str, str]] = set()
    order = []
    while len(order) < n:
        person = tuple(rng.choices(pools[k], w[k])[0] for k in ("surname", "given", "patronymic"))
        if person not in people and person not in exclude:
            people.add(person)
            order.append(person)
    return order


def persons_cyr(lexicon, pools, n: int, distractors: int, dated: bool, rng: random.Random,
                dates_rng: random.Random) -> dict:
    """Test ``persons-cyr[-dated]``: see the module docstring (dates from ``dates_rng`` only)."""
    people = compose_russian(lexicon, pools, n, rng)
    extra = compose_russian(lexicon, pools, distractors, rng, exclude=frozenset(people))
    dates = [random_date(dates_rng) for _ in people + extra]
    a, parts_a = [], []
    for i, (surname, given, patronymic) in enumerate(people):
        born = dates[i].strftime("%d.%m.%Y") if dated else ""
        a.append({"record_id": f"a{i}", "surname": surname, "given_name": given, "patronymic": patronymic}
                 | ({"birth_date": born} if dated else {}))
        parts_a.append({"given": given, "surname": surname, "full": [surname, given, patronymic], "dob": born})
    order = rng.sample(range(n + distractors), n + distractors)   # B in another order
    b, parts_b, truth = [None] * len(order), [None] * len(order), []
    for k, (surname, given, patronymic) in enumerate(people + extra):
        latin = [spell(lexicon, given, rng)] + ([spell(lexicon, patronymic, rng)] if rng.random() < 0.5 else []) \
            + [spell(lexicon, surname, rng)]
        born = (register_date(dates[k], dates_rng) if k < n else dates[k].isoformat()) if dated else ""
        j = order[k]
        b[j] = {"record_id": f"b{j}", "full_name": " ".join(latin)} | ({"birth_date": born} if dated else {})
        parts_b[j] = {"given": latin[0], "surname": latin[-1], "full": latin, "dob": born}
        if k < n:
            truth.append((f"a{k}", f"b{j}"))
    map_a = {"name": "surname+given_name+patronymic"} | ({"birth_date": "birth_date"} if dated else {})
    map_b = {"name": "full_name"} | ({"birth_date": "birth_date"} if dated else {})
    return {"a": a, "b": b, "truth": truth, "map_a": map_a, "map_b": map_b, "parts_a": parts_a, "parts_b": parts_b}


def persons_arab(lexicon, pool: list[str], n: int, dated: bool, rng: random.Random,
                 dates_rng: random.Random) -> dict:
    """Test ``persons-arab[-dated]``: see the module docstring (dates from ``dates_rng`` only)."""
    w = weights(lexicon, pool)
    seen, people = set(), []
    while len(people) < n:
        person = tuple(rng.choices(pool, w, k=rng.choice((3, 4))))
        if person not in seen:
            seen.add(person)
            people.append(person)
    order = rng.sample(range(n), n)   # B in another order
    a, parts_a, b, parts_b, truth = [], [], [None] * n, [None] * n, []
    for i, person in enumerate(people):
        latin = [spell(lexicon, t, rng) for t in person]
        date = random_date(dates_rng)
        born_a, born_b = (date.strftime("%d.%m.%Y"), register_date(date, dates_rng)) if dated else ("", "")
        a.append({"record_id": f"a{i}", "full_name": " ".join(person)} | ({"birth_date": born_a} if dated else {}))
        parts_a.append({"given": person[0], "surname": person[-1], "full": list(person), "dob": born_a})
        j = order[i]
        b[j] = {"record_id": f"b{j}", "full_name": " ".join(latin)} | ({"birth_date": born_b} if dated else {})
        parts_b[j] = {"given": latin[0], "surname": latin[-1], "full": latin, "dob": born_b}
        truth.append((f"a{i}", f"b{j}"))
    fields = {"name": "full_name"} | ({"birth_date": "birth_date"} if dated else {})
    return {"a": a, "b": b, "truth": truth, "map_a": fields, "map_b": fields, "parts_a": parts_a, "parts_b": parts_b}


def make_test(name: str, lexicons: dict, n: int, distractors: int, seed: int) -> dict:
    """One test's files (rows of A and B, truth, pprl maps, name parts for the baselines)."""
    base = name.removesuffix("-dated")   # a dated test holds the same persons as its undated twin
    rng, dates_rng = random.Random(f"{base}:{seed}"), random.Random(f"{base}:{seed}:dates")
    script = "cyr" if "cyr" in name else "arab"
    lexicon = lexicons[script]
    if name.startswith("tokens-"):
        return sample_tokens(token_pairs(lexicon), n, rng)
    dated = name != base
    if script == "cyr":
        return persons_cyr(lexicon, russian_pools(lexicon), n, distractors, dated, rng, dates_rng)
    return persons_arab(lexicon, arabic_pool(lexicon), n, dated, rng, dates_rng)


# ------------------------------------------------------------------------------------------
# scoring
# ------------------------------------------------------------------------------------------
def greedy(pairs: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """Greedy one-to-one: best score first, ties by IDs; each record used once."""
    used_a, used_b, kept = set(), set(), []
    for a, b, s in sorted(pairs, key=lambda p: (-p[2], p[0], p[1])):
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            kept.append((a, b, s))
    return kept


def prf(predicted, truth: set) -> dict:
    pred = {(a, b) for a, b, *_ in predicted}
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def best_cut(matched: list[tuple[str, str, float]], truth: set, thresholds=None) -> dict:
    """P/R/F1 of a greedy matching cut at its best threshold (greedy at t == greedy over all, cut at t)."""
    cuts = sorted({s for *_, s in matched}) if thresholds is None else thresholds
    best = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "threshold": None}
    for t in cuts:
        m = prf([x for x in matched if x[2] >= t - 1e-12], truth)
        if m["f1"] > best["f1"]:
            best = m | {"threshold": t}
    return best


# ------------------------------------------------------------------------------------------
# pprl, through its command line
# ------------------------------------------------------------------------------------------
def write_csv(rows: list[dict], path: Path) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    with path.open(encoding="utf-8") as f:
        return [(r["id_a"], r["id_b"], float(r["score"])) for r in csv.DictReader(f)]


def pprl(python: str, *args: str) -> str:
    proc = subprocess.run([python, *CLI, *map(str, args)], capture_output=True, text=True, check=False,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise RuntimeError(f"pprl {args[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout + proc.stderr


def maps(mapping: dict) -> list[str]:
    return [x for f in PPRL_FIELDS for x in ("--map", f"{f}={mapping.get(f, '')}")]


def run_pprl(test: dict, folder: Path, key: Path, python: str, workers: int) -> dict:
    truth = set(test["truth"])
    write_csv(test["a"], folder / "a.csv")
    write_csv(test["b"], folder / "b.csv")
    started = time.perf_counter()
    schema = ROOT / "schemas" / "missing-persons.json"
    for side in ("a", "b"):
        pprl(python, "encode", "--schema", schema, "--secret-file", key, *maps(test[f"map_{side}"]),
             "--id-column", "record_id", "--dataset", side, "--workers", workers,
             folder / f"{side}.csv", "-o", folder / f"{side}.pprl")
    log = pprl(python, "link", folder / "a.pprl", folder / "b.pprl", "-o", folder / "matches.csv",
               "--candidates", folder / "candidates.csv")
    seconds = time.perf_counter() - started
    thr = re.search(r"threshold ([0-9.]+)", log)
    default = prf(read_pairs(folder / "matches.csv"), truth) | {
        "seconds": seconds, "threshold": float(thr.group(1)) if thr else None}
    candidates = read_pairs(folder / "candidates.csv")
    best = best_cut(greedy(candidates), truth) | {
        "seconds": 0.0, "reachable": len({(a, b) for a, b, _ in candidates} & truth) / len(truth)}
    (folder / "link.log").write_text(log, encoding="utf-8")
    return {"pprl": default, "pprl@best": best}


# ------------------------------------------------------------------------------------------
# baselines (run in the baseline venv: anyascii, numpy, scipy, splink, duckdb; nothing from pprl)
# ------------------------------------------------------------------------------------------
def clear(text: str) -> str:
    """anyascii, lower case, letters and digits only (name parts stay apart)."""
    from anyascii import anyascii
    return re.sub(r"[^a-z0-9]+", "", anyascii(text).lower())


def bigram_worker(job: dict) -> dict:
    """Greedy one-to-one over Dice >= BIGRAM_FLOOR of padded-bigram sets: [[i, j, dice], ...]."""
    import numpy as np
    from scipy import sparse

    def grams(parts):
        return {g for p in parts if (c := clear(p)) for g in (f" {c} "[k:k + 2] for k in range(len(c) + 1))}

    sets = [[grams(r["full"]) for r in job[side]] for side in ("a", "b")]
    vocab = {g: k for k, g in enumerate(sorted(set().union(*sets[0], *sets[1])))}

    def matrix(rows):
        ind = [vocab[g] for s in rows for g in sorted(s)]
        ptr = np.cumsum([0] + [len(s) for s in rows])
        return sparse.csr_matrix((np.ones(len(ind), np.float32), ind, ptr), shape=(len(rows), len(vocab)))

    ma, mb = matrix(sets[0]), matrix(sets[1])
    inter = (ma @ mb.T).tocoo()
    size_a, size_b = np.asarray(ma.sum(1)).ravel(), np.asarray(mb.sum(1)).ravel()
    dice = 2 * inter.data / (size_a[inter.row] + size_b[inter.col])
    keep = dice >= BIGRAM_FLOOR
    order = np.lexsort((inter.col[keep], inter.row[keep], -dice[keep]))
    rows, cols, vals = inter.row[keep][order], inter.col[keep][order], dice[keep][order]
    used_a, used_b, out = set(), set(), []
    for i, j, d in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append([i, j, round(d, 6)])
    return {"matched": out}


def skeleton(text: str) -> str:
    """Consonant skeleton of a cleared name part: ph -> f, no vowels nor w/y, no doubled letters.

    anyascii writes Arabic script without vowels (محمد -> mhmd, علي -> `ly), so a Splink user compares
    skeletons too: mohammed -> mhmd, ali -> l, yusuf -> sf (ywsf -> sf)."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouwy]", "", text.replace("ph", "f")))


def splink_frame(rows: list[dict], dated: bool):
    """Splink's input: cleared name, parts, skeletons, given name and surname, ISO date and year."""
    import pandas as pd

    out = []
    for k, r in enumerate(rows):
        parts = [c for p in r["full"] if (c := clear(p))]
        rec = {"unique_id": k, "name": "".join(parts), "name_sk": skeleton("".join(parts)) or None,
               "tokens_sk": sorted({skeleton(p) for p in parts} - {""})}
        for part in ("given", "surname"):
            rec[part] = clear(r.get(part, "")) or None
            rec[f"{part}_sk"] = skeleton(rec[part] or "") or None
        if dated:
            text = r.get("dob", "")
            rec["dob"] = (dt.datetime.strptime(text, "%d.%m.%Y").date().isoformat() if "." in text
                          else text if len(text) == 10 else None)
            rec["birth_year"] = (text[-4:] if "." in text else text[:4]) or None
        out.append(rec)
    return pd.DataFrame(out)


def splink_worker(job: dict) -> dict:
    """Splink 4 in the clear (see the module docstring): [[i, j, match_probability], ...] one-to-one."""
    import logging

    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    dated = job["dated"]

    def levels(*pairs):   # (level, starting m): EM starts from "closer levels are likelier for matches"
        return [level.configure(m_probability=m) for level, m in pairs]

    def name_comparison(col: str):
        return cl.CustomComparison(output_column_name=f"{col}_jw", comparison_levels=[cll.NullLevel(col), *levels(
            (cll.ExactMatchLevel(col), 0.4), (cll.JaroWinklerLevel(col, 0.92), 0.2),
            (cll.ExactMatchLevel(f"{col}_sk"), 0.15), (cll.JaroWinklerLevel(f"{col}_sk", 0.85), 0.1),
            (cll.JaroWinklerLevel(col, 0.8), 0.1), (cll.ElseLevel(), 0.05))])

    def levenshtein(col: str, distances: list[int]):
        return cl.CustomComparison(output_column_name=f"{col}_lev", comparison_levels=[cll.NullLevel(col), *levels(
            *((cll.LevenshteinLevel(col, d), m) for d, m in zip(distances, (0.5, 0.25, 0.1))),
            (cll.ElseLevel(), 0.05))])

    df_a, df_b = splink_frame(job["a"], dated), splink_frame(job["b"], dated)
    if job["kind"] == "tokens":
        comparisons = [name_comparison("name"), levenshtein("name", [1, 2, 3]), levenshtein("name_sk", [1, 2])]
        rules = [block_on("substr(name_sk, 1, 1)"), block_on("substr(name, -2, 2)"), block_on("substr(name, 1, 2)")]
        em_rules = [block_on("substr(name_sk, 1, 1)"), block_on("substr(name, 1, 2)")]
    else:
        comparisons = [name_comparison("given"), name_comparison("surname"),
                       cl.CustomComparison(output_column_name="parts", comparison_levels=[
                           cll.NullLevel("tokens_sk"), *levels(*((cll.ArrayIntersectLevel("tokens_sk", k), m)
                                                                 for k, m in ((3, 0.4), (2, 0.4), (1, 0.15))),
                                                               (cll.ElseLevel(), 0.05))])]
        rules = [block_on("substr(surname_sk, 1, 1)", "substr(given_sk, 1, 1)"), block_on("substr(surname_sk, 1, 3)"),
                 block_on("substr(given_sk, 1, 3)"), block_on("substr(surname, -3, 3)")]
        em_rules = [block_on("given_sk"), block_on("surname_sk")]
        if dated:
            comparisons.append(cl.CustomComparison(output_column_name="birth", comparison_levels=[
                cll.NullLevel("birth_year"), *levels((cll.ExactMatchLevel("dob"), 0.8),
                                                     (cll.ExactMatchLevel("birth_year"), 0.15),
                                                     (cll.ElseLevel(), 0.05))]))
            rules.append(block_on("birth_year"))
            em_rules.append(block_on("birth_year"))
    prior = min(len(df_a), len(df_b)) / (len(df_a) * len(df_b))
    settings = SettingsCreator(link_type="link_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=rules,
                               probability_two_random_records_match=prior)
    linker = Linker([df_a, df_b], settings, db_api=DuckDBAPI(), input_table_aliases=["a", "b"])
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in em_rules:   # the prior fixed: free, EM drifts onto "shares one name part" (Arabic persons)
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True)
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    left_is_a = pred["source_dataset_l"] == "a"
    ia = pred["unique_id_l"].where(left_is_a, pred["unique_id_r"]).astype(int).tolist()
    ib = pred["unique_id_r"].where(left_is_a, pred["unique_id_l"]).astype(int).tolist()
    matched = greedy(list(zip(ia, ib, pred["match_probability"].astype(float).tolist())))
    return {"matched": [[i, j, round(p, 6)] for i, j, p in matched]}


def run_worker(python: Path, kind: str, job: dict) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        started = time.perf_counter()
        proc = subprocess.run([str(python), str(Path(__file__).resolve()), f"--{kind}-worker", str(path)],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), seconds


def run_baselines(test: dict, name: str, python: Path, tools: set) -> dict:
    truth = set(test["truth"])
    ids_a, ids_b = [r["record_id"] for r in test["a"]], [r["record_id"] for r in test["b"]]
    job = {"a": test["parts_a"], "b": test["parts_b"], "kind": name.split("-")[0], "dated": name.endswith("-dated")}
    row = {}
    if "bigram" in tools:
        res, seconds = run_worker(python, "bigram", job)
        matched = [(ids_a[i], ids_b[j], d) for i, j, d in res["matched"]]
        row["bigram@0.7"] = prf([m for m in matched if m[2] >= BIGRAM_FIXED], truth) | {
            "seconds": seconds, "threshold": BIGRAM_FIXED}
        grid = [round(BIGRAM_FLOOR + 0.01 * k, 2) for k in range(round(100 * (1 - BIGRAM_FLOOR)))]
        row["bigram@best"] = best_cut(matched, truth, grid) | {"seconds": 0.0}
    if "splink" in tools:
        res, seconds = run_worker(python, "splink", job)
        row["splink"] = prf([(ids_a[i], ids_b[j], p) for i, j, p in res["matched"]], truth) | {
            "seconds": seconds, "threshold": 0.5}
    return row


# ------------------------------------------------------------------------------------------
def partner_share(test: dict) -> tuple[float, float]:
    return len(test["truth"]) / len(test["a"]), len(test["truth"]) / len(test["b"])


def print_table(results: list[dict], shares: dict, args_line: str) -> None:
    print(f"# {args_line}")
    print("# median over seeds; '@best' = threshold chosen in hindsight; persons are COMPOSED from real "
          "Wikidata tokens, not real persons; birth dates are synthetic")
    print(f"{'test':<19} {'with partner: A / B':<30} {'tool':<12} {'P':>6} {'R':>6} {'F1':>6} {'minF1':>6} "
          f"{'thr':>6} {'s/run':>6}  note")
    for test in TESTS:
        if test not in shares:
            continue
        share = "{:.0%} / {:.0%} of {:,} / {:,}".format(*shares[test])   # printed on a test's first line
        for tool in TOOLS:
            rows = [r for r in results if r["test"] == test and r["tool"] == tool]
            if not rows:
                continue
            med = {k: statistics.median(r[k] for r in rows) for k in ("precision", "recall", "f1", "seconds")}
            thr = [r["threshold"] for r in rows if r.get("threshold") is not None]
            note = (f"true pairs among pprl's candidates: {statistics.median(r['reachable'] for r in rows):.3f}"
                    if tool == "pprl@best" else "")
            print(f"{test:<19} {share:<30} {tool:<12} {med['precision']:6.3f} {med['recall']:6.3f} "
                  f"{med['f1']:6.3f} {min(r['f1'] for r in rows):6.3f} "
                  f"{(f'{statistics.median(thr):6.3f}' if thr else '     -')} "
                  f"{'' if tool.endswith('@best') else format(med['seconds'], '6.1f'):>6}  {note}")
            share = ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--size", type=int, default=2000, help="tokens / partnered persons per test (default 2000)")
    ap.add_argument("--distractors", type=int, default=3000,
                    help="unpartnered Latin persons added to B of persons-cyr[-dated] (default 3000)")
    ap.add_argument("--seeds", type=int, default=2, help="seeds 0..S-1 per test (default 2)")
    ap.add_argument("--tests", default=",".join(TESTS), help="comma-separated subset of " + ",".join(TESTS))
    ap.add_argument("--tools", default="pprl,bigram,splink", help="comma-separated subset of pprl,bigram,splink")
    ap.add_argument("--baseline-python", type=Path, default=DEFAULT_BASELINE_PY)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="pprl encode processes")
    ap.add_argument("--lexicon-dir", type=Path, default=LEXICON_DIR)
    ap.add_argument("--keep", type=Path, help="keep each run's files (CSV, truth, matches, candidates) here")
    ap.add_argument("--json", type=Path, help="also write every run's results here")
    ap.add_argument("--bigram-worker", help=argparse.SUPPRESS)
    ap.add_argument("--splink-worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    for kind, worker in (("bigram", bigram_worker), ("splink", splink_worker)):
        if getattr(args, f"{kind}_worker"):
            print(json.dumps(worker(json.loads(Path(getattr(args, f"{kind}_worker")).read_text(encoding="utf-8")))))
            return 0

    tests = [t for t in args.tests.split(",") if t]
    tools = set(args.tools.split(","))
    unknown = [t for t in tests if t not in TESTS] + sorted(tools - {"pprl", "bigram", "splink"})
    if unknown:
        ap.error(f"unknown test or tool: {', '.join(unknown)}")
    if tools & {"bigram", "splink"} and not args.baseline_python.exists():
        print(f"# {args.baseline_python} missing: run `bash benchmarks/realdata_venv.sh` (baselines skipped)",
              file=sys.stderr)
        tools -= {"bigram", "splink"}
    lexicons = {}
    for script, file in (("cyr", "wd_russian_80"), ("arab", "wd_arabic_80")):
        with (args.lexicon_dir / file).open(encoding="utf-8") as f:
            lexicons[script] = read_lexicon(f)
    python = sys.executable
    results, shares = [], {}
    started_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "linkage.key"
        if "pprl" in tools:   # the key, and a warm-up run: numba's first compilation is in no timing
            pprl(python, "keygen", "-o", key)
            (Path(tmp) / "warm-up").mkdir()
            run_pprl(make_test("tokens-cyr", lexicons, 50, 0, 99), Path(tmp) / "warm-up", key, python, args.workers)
        for name in tests:
            for seed in range(args.seeds):
                test = make_test(name, lexicons, args.size, args.distractors, seed)
                shares[name] = partner_share(test) + (len(test["a"]), len(test["b"]))
                folder = (args.keep or Path(tmp)) / f"{name}-seed{seed}"
                folder.mkdir(parents=True, exist_ok=True)
                write_csv([{"id_a": a, "id_b": b} for a, b in test["truth"]], folder / "truth.csv")
                row = {}
                if "pprl" in tools:
                    row.update(run_pprl(test, folder, key, python, args.workers))
                if tools & {"bigram", "splink"}:
                    row.update(run_baselines(test, name, args.baseline_python, tools))
                for tool, metrics in row.items():
                    results.append({"test": name, "seed": seed, "tool": tool, **metrics})
                print(f"# {name} seed {seed}: A {len(test['a'])}, B {len(test['b'])}, true pairs {len(test['truth'])}; "
                      + ", ".join(f"{k} F1 {v['f1']:.3f}" for k, v in row.items()), file=sys.stderr, flush=True)
    line = (f"realdata.py --size {args.size} --distractors {args.distractors} --seeds {args.seeds} "
            f"--tests {','.join(tests)} --tools {','.join(sorted(tools))}")
    if args.json:
        args.json.write_text(json.dumps({"command": line, "shares": shares, "results": results}, indent=1))
    print_table(results, shares, line)
    print(f"# total {time.perf_counter() - started_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
