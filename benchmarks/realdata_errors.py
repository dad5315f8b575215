"""pprl's false negatives and false positives on the runs that ``realdata.py --keep DIR`` kept.

For each kept run (``DIR/<test>-seed<S>/``: a.csv, b.csv, truth.csv, matches.csv, candidates.csv)
lists every true pair pprl missed (with the score pprl gave it, if it was a candidate at all, and
the record it was matched with instead) and every pair it matched wrongly, with both sides' names,
and counts them by rough automatic classes (``classify``; a pair may be in several, so the counts
of a test add up to more than its errors): a first sort for a reader, who should look at the
examples before trusting a count.

    .venv/bin/python benchmarks/realdata.py --keep out/realdata
    benchmarks/.venv-baselines/bin/python benchmarks/realdata_errors.py out/realdata --examples 15

It needs ``anyascii`` (to tell a translation from a transliteration), so it runs in the baseline
venv (``bash benchmarks/realdata_venv.sh`` builds it); it imports nothing from pprl.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

JAPANESE = (re.compile(r"си|ти|дз|цу|сё|тё|сю|тю|кё|рё|ё$|э"), re.compile(r"shi|chi|tsu|z|ō|ū|ky|ry|sh|ch"))
POLISH = re.compile(r"cz|sz|rz|wicz|wski|cki|ł|ś|ż|ź|ć|ń|č|š|ž|ř|ł|dź|^w|[aeiouy]w|j[aeiou]")
GERMAN = re.compile(r"sch|tz|ei|eu|ie|ü|ö|ä|ß|h[^aeiouy]|h$")
ENGLISH_FRENCH = re.compile(r"w|th|ph|gh|ou|ee|oo|ay|ey|ea|x|q|c[^h]|c$|([bdfgklmnprst])\1|[^aeiouy]e$")
RUSSIAN = re.compile(r"kh|zh|ts|ch|sh|yu|ya|yo|ye|iy|yi|ij|iu|ia|ie|j|y$|'")


def bigrams(text: str) -> set[str]:
    t = f" {re.sub(r'[^a-z]+', '', text)} "
    return {t[k:k + 2] for k in range(len(t) - 1)}


def dice(x: str, y: str) -> float:
    a, b = bigrams(x), bigrams(y)
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def classify_token(script: str, source: str, latin: str) -> str:
    """A rough class of a missed (source token, Latin spelling) pair; the first rule that fits."""
    from anyascii import anyascii

    latin = latin.lower()
    folded = ascii_fold(latin)
    plain = anyascii(source).lower()
    if dice(plain, folded) < 0.2 and not (script == "arab" and dice(re.sub("[aeiou]", "", folded), plain) >= 0.3):
        return "translation, nickname or unrelated spelling (lexicon noise)"
    if folded != latin:
        return "Latin spelling with diacritics (de, fr, pl, tr, ja... labels)"
    if script == "cyr":
        if JAPANESE[0].search(source) and JAPANESE[1].search(latin):
            return "Japanese name in Polivanov Cyrillic (си=shi, ти=chi, дз=z, э=e)"
        if POLISH.search(latin):
            return "Polish/Czech/Balkan spelling (cz, sz, rz, -wicz, -cki, w, j)"
        if GERMAN.search(latin):
            return "German spelling (sch, tz, ei, ie, silent h)"
        if ENGLISH_FRENCH.search(latin):
            return "English/French spelling (w, th, ph, ou, ee, c, doubled letters, silent e)"
        if RUSSIAN.search(latin):
            return "Russian romanisation variant (kh, zh, ts, ya, yu, iy, j ...)"
        return "other"
    if source.startswith("ال") != folded.startswith(("al", "el")):
        return "article al-/el- written on one side only"
    if ARABIC_ORIGIN.search(source):
        if source.endswith("ة"):
            return "Arabic-origin name ending in ta marbuta (-a, -ah, -eh, -at)"
        return "Arabic-origin name: vowels and letter readings (ع ح ق ج ث ذ ض و ي)"
    if ENGLISH_FRENCH.search(latin) or GERMAN.search(latin) or POLISH.search(latin):
        return "name of Latin-script origin written in Arabic (orthography lost)"
    return "other"


ARABIC_ORIGIN = re.compile("[عحصضطظة]")


def name_of(row: dict) -> str:
    parts = [row.get(c, "") for c in ("surname", "given_name", "patronymic", "full_name", "name")]
    date = row.get("birth_date", "")
    return " ".join(p for p in parts if p) + (f" [{date}]" if date else "")


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def classify(test: str, a: dict, b: dict) -> list[str]:
    """Rough classes of a missed pair (a pair may have several): the token's class; for persons the
    class of each part that is not plain ("other"), and for persons-cyr whether B has the patronymic."""
    script = "cyr" if "cyr" in test else "arab"
    if test.startswith("tokens-"):
        return [classify_token(script, a["name"], b["name"])]
    latin = b["full_name"].split()
    if script == "cyr":
        labels = ["B with patronymic" if len(latin) == 3 else "B without patronymic (on one side only)"]
        for part, source, target in (("surname", a["surname"], latin[-1]), ("given", a["given_name"], latin[0])):
            kind = classify_token(script, source, target)
            if kind != "other":
                labels.append(f"{part}: {kind}")
        return labels
    kinds = {classify_token(script, s, t) for s, t in zip(a["full_name"].split(), latin)} - {"other"}
    return sorted(f"a part: {k}" for k in kinds) or ["other"]


def analyse(folder: Path, classes: Counter, base: Counter, reasons: Counter, examples: dict) -> tuple[int, int]:
    """Adds one kept run's missed and wrong pairs to the counters, and every true pair's classes to
    ``base`` (how many true pairs are in each class); returns (true pairs, matched)."""
    test = re.sub(r"-seed\d+$", "", folder.name)
    a = {r["record_id"]: r for r in read(folder / "a.csv")}
    b = {r["record_id"]: r for r in read(folder / "b.csv")}
    truth = {(r["id_a"], r["id_b"]) for r in read(folder / "truth.csv")}
    partner_of_a, partnered_b = dict(truth), {y for _, y in truth}
    matches = {(r["id_a"], r["id_b"]): float(r["score"]) for r in read(folder / "matches.csv")}
    candidates = {(r["id_a"], r["id_b"]): float(r["score"]) for r in read(folder / "candidates.csv")}
    matched_a = {ia: (ib, s) for (ia, ib), s in matches.items()}
    for ia, ib in truth:
        base.update(f"FN {kind}" for kind in classify(test, a[ia], b[ib]))
    for ia, ib in sorted(truth - set(matches)):
        score, instead = candidates.get((ia, ib)), matched_a.get(ia)
        reasons["FN: not a candidate" if score is None else "FN: lost to another record" if instead
                else "FN: scored below the threshold"] += 1
        why = ("not a candidate" if score is None else f"score {score:.3f}") + (
            f"; matched instead to {name_of(b[instead[0]])} ({instead[1]:.3f})" if instead else "")
        for kind in classify(test, a[ia], b[ib]):
            classes[f"FN {kind}"] += 1
            examples[f"FN {kind}"].append(f"{name_of(a[ia])}  <->  {name_of(b[ib])}  ({why})")
    for (ia, ib), s in sorted(matches.items()):
        if (ia, ib) in truth:
            continue
        kind = "FP " + ("matched a B record that has no partner" if ib not in partnered_b
                        else "matched another A record's partner")
        if test.startswith("persons-cyr") and ia in partner_of_a:
            wrong, right = b[ib]["full_name"].split(), b[partner_of_a[ia]]["full_name"].split()
            same = [part for part, k in (("given", 0), ("surname", -1)) if wrong[k] == right[k]]
            kind += ": " + (f"same {' and '.join(same)} as the partner" if same else "other parts") + (
                ", patronymic spelled out" if len(wrong) == 3 else "")
        reasons["FP"] += 1
        classes[kind] += 1
        true_b = partner_of_a.get(ia)
        examples[kind].append(f"{name_of(a[ia])}  ->  {name_of(b[ib])} ({s:.3f}); true: "
                              + (name_of(b[true_b]) if true_b else "-"))
    return len(truth), len(matches)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("keep", type=Path, help="the --keep folder of realdata.py")
    ap.add_argument("--examples", type=int, default=10, help="examples printed per class (default 10)")
    args = ap.parse_args(argv)
    runs = defaultdict(list)
    for folder in sorted(p for p in args.keep.iterdir() if (p / "matches.csv").exists()):
        runs[re.sub(r"-seed\d+$", "", folder.name)].append(folder)
    for test, folders in runs.items():
        classes, base, reasons, examples = Counter(), Counter(), Counter(), defaultdict(list)
        totals = [analyse(f, classes, base, reasons, examples) for f in folders]
        print(f"\n## {test} ({len(folders)} runs): {sum(t for t, _ in totals)} true pairs, "
              f"{sum(m for _, m in totals)} matched; " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
        for kind, count in classes.most_common():
            rate = f"of {base[kind]:5d} true pairs ({count / base[kind]:4.0%})" if kind in base else " " * 26
            print(f"  {count:5d} {rate}  {kind}")
            for line in examples[kind][:args.examples]:
                print(f"           {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
