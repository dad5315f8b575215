"""Plaintext baseline for benchmarks/quality.py: recordlinkage (0.16) on the raw synthetic exports.

Linkage in the clear, with the normalisation recordlinkage offers and nothing of pprl's:

* names: ``recordlinkage.preprocessing.clean`` (lower case, accents and punctuation stripped; it
  keeps ASCII only, so Cyrillic and Arabic-script names become empty, i.e. missing) plus a
  ``phonetic`` (NYSIIS) copy of the cleaned name; agency a's name is "surname given_name patronymic"
  as one string, like b's ``full_name``; parents are cleaned the same way;
* birth date: parsed here from the formats the exports use into a date (when complete) and a year
  (:func:`clear_date`, shared with the clkhash baseline); sex mapped to m/f (:func:`clear_sex`);
* candidates: pairs with the same birth year, or neighbours (window 9) when sorted by cleaned name
  or by phonetic name (``full_index=True``: every a x b pair; on this data it changes nothing
  measurable, since a pair with different years and no comparable name scores at most "same sex",
  and costs ~20x the time);
* ``Compare``: Jaro-Winkler on name, phonetic name, mother and father; ``date`` on the birth date
  (1 same, 0.5 day/month swapped); exact on birth year and on sex; missing values score 0;
* classifiers: ECM (unsupervised Fellegi-Sunter on the features binarised at 0.85 / exact date),
  as it comes (many-to-many) and made one-to-one by its match probability; and the plain sum of
  similarities made one-to-one (greedy by sum) at its BEST threshold in hindsight (known truth),
  an upper bound for any threshold rule.  :func:`link` reports each variant; callers take the best.

Runs in pprl's venv (recordlinkage is one of pprl's dependencies) but calls nothing of pprl except
the generic greedy one-to-one (``pprl.coordinator.solving.one_to_one``: descending score, each record once).
"""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd

_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
_MY = re.compile(r"^\s*(\d{1,2})[./-](\d{4})\s*$")
_YEAR = re.compile(r"(\d{4})")


def clear_date(value) -> tuple[str, str, str]:
    """A raw birth date -> (year "YYYY", month "MM", day "DD"), parts "" when unknown."""
    if not isinstance(value, str) or not value.strip():
        return "", "", ""
    for rx, order in ((_ISO, "ymd"), (_DMY, "dmy")):
        m = rx.match(value)
        if m:
            parts = dict(zip(order, m.groups()))
            return parts["y"], f"{int(parts['m']):02d}", f"{int(parts['d']):02d}"
    m = _MY.match(value)
    if m:
        return m.group(2), f"{int(m.group(1)):02d}", ""
    m = _YEAR.search(value)
    return (m.group(1), "", "") if m else ("", "", "")


_SEX = {"m": "m", "male": "m", "м": "m", "f": "f", "female": "f", "ж": "f"}


def clear_sex(value) -> str:
    return _SEX.get(str(value).strip().lower(), "") if isinstance(value, str) else ""


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    return frame[columns].fillna("").astype(str).agg(" ".join, axis=1).str.strip()


def prepare(frame: pd.DataFrame, name_columns: list[str]) -> pd.DataFrame:
    """The comparison columns of one export, indexed by record_id."""
    from recordlinkage.preprocessing import clean, phonetic

    def cleaned(series: pd.Series) -> pd.Series:
        out = clean(series.fillna("").astype(str))
        out = out.where(out.str.strip().str.len() > 0)   # "" (e.g. all-Cyrillic) -> missing
        return out

    out = pd.DataFrame(index=pd.Index(frame["record_id"].astype(str), name="record_id"))
    out["name"] = cleaned(_joined(frame, name_columns)).to_numpy()
    out["name_ph"] = phonetic(out["name"], "nysiis").where(out["name"].notna())
    out["mother"] = cleaned(frame["mother_name"]).to_numpy()
    out["father"] = cleaned(frame["father_name"]).to_numpy()
    ymd = [clear_date(v) for v in frame["birth_date"]]
    full = [f"{y}-{m}-{d}" if y and m and d else None for y, m, d in ymd]
    out["dob"] = pd.to_datetime(pd.Series(full, dtype=object), errors="coerce", format="%Y-%m-%d").to_numpy()
    out["year"] = [y or np.nan for y, _, _ in ymd]
    out["sex"] = [clear_sex(v) or np.nan for v in frame["sex"]]
    return out


def _greedy_best(score: np.ndarray, is_true: np.ndarray, n_true: int, ids_a, ids_b, ia, ib):
    """Greedy one-to-one over all pairs, then the best threshold in hindsight (greedy at threshold t
    keeps exactly the greedy-over-all pairs scoring >= t).  Returns (threshold, P, R, F1)."""
    from pprl.coordinator.solving import one_to_one

    keep = one_to_one(ia, ib, score, ids_a, ids_b)
    return best_threshold(score[keep], is_true[keep], n_true)


def best_threshold(score: np.ndarray, is_true: np.ndarray, n_true: int) -> tuple[float, float, float, float]:
    """Best F1 over every threshold 'score >= t' (t ranging over the distinct scores)."""
    if len(score) == 0 or n_true == 0:
        return float("nan"), 0.0, 0.0, 0.0
    o = np.argsort(-score, kind="stable")
    s, t = score[o], is_true[o].astype(np.int64)
    tp = np.cumsum(t)
    kept = np.arange(1, len(s) + 1)
    last = np.r_[s[1:] != s[:-1], True]          # only cut between distinct scores
    tp, kept, s = tp[last], kept[last], s[last]
    p, r = tp / kept, tp / n_true
    f1 = np.where(tp > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0.0)
    i = int(np.argmax(f1))
    return float(s[i]), float(p[i]), float(r[i]), float(f1[i])


def _prf(pred: set, truth: set) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def link(a: pd.DataFrame, b: pd.DataFrame, truth: pd.DataFrame, n_jobs: int = 1, full_index: bool = False) -> dict:
    """recordlinkage on exports a (Cyrillic columns) and b (full_name); scored against truth (id_a, id_b).

    Returns {variant: {"precision", "recall", "f1", ["threshold"]}, "seconds": ..., "best": variant}.
    """
    import logging
    import warnings

    import recordlinkage as rl

    logging.getLogger("recordlinkage").setLevel(logging.ERROR)  # "a full index can result in ..."
    warnings.filterwarnings("ignore", category=FutureWarning, module="recordlinkage")
    started = time.perf_counter()
    A = prepare(a, ["surname", "given_name", "patronymic"])
    B = prepare(b, ["full_name"])
    pairs = rl.Index()
    if full_index:
        pairs.full()
    else:
        pairs.block("year")
        pairs.sortedneighbourhood("name", window=9)
        pairs.sortedneighbourhood("name_ph", window=9)
    candidates = pairs.index(A, B)
    cmp = rl.Compare(n_jobs=n_jobs)
    for col in ("name", "name_ph", "mother", "father"):
        cmp.string(col, col, method="jarowinkler", missing_value=0, label=col)
    cmp.date("dob", "dob", missing_value=0, label="dob")
    cmp.exact("year", "year", missing_value=0, label="year")
    cmp.exact("sex", "sex", missing_value=0, label="sex")
    features = cmp.compute(candidates, A, B)
    seconds_compare = time.perf_counter() - started

    truth_set = set(zip(truth["id_a"].astype(str), truth["id_b"].astype(str)))
    ids_a = np.asarray(A.index, dtype=object)
    ids_b = np.asarray(B.index, dtype=object)
    ia = A.index.get_indexer(features.index.get_level_values(0))
    ib = B.index.get_indexer(features.index.get_level_values(1))
    is_true = np.fromiter(((x, y) in truth_set for x, y in zip(ids_a[ia], ids_b[ib])), bool, len(ia))
    out: dict = {}

    # 1. plain sum of similarities, one-to-one, best threshold in hindsight
    total = features.sum(axis=1).to_numpy(dtype=np.float64)
    t, p, r, f = _greedy_best(total, is_true, len(truth_set), ids_a, ids_b, ia, ib)
    out["sum 1:1 @best"] = {"precision": p, "recall": r, "f1": f, "threshold": t}

    # 2. ECM on binary features, as it classifies, and one-to-one by its probability
    binary = features.copy()
    for col in ("name", "name_ph", "mother", "father"):
        binary[col] = (features[col] >= 0.85).astype(np.int8)
    binary["dob"] = (features["dob"] >= 1.0).astype(np.int8)
    binary = binary.astype(np.int8)
    ecm = rl.ECMClassifier(binarize=None)
    try:
        matches = ecm.fit_predict(binary)
        pred = set(zip(matches.get_level_values(0).astype(str), matches.get_level_values(1).astype(str)))
        p, r, f = _prf(pred, truth_set)
        out["ECM"] = {"precision": p, "recall": r, "f1": f}
        prob = ecm.prob(binary).to_numpy(dtype=np.float64)
        from pprl.coordinator.solving import one_to_one

        above = np.flatnonzero(prob >= 0.5)
        keep = above[one_to_one(ia[above], ib[above], prob[above], ids_a, ids_b)]
        pred = set(zip(ids_a[ia[keep]], ids_b[ib[keep]]))
        p, r, f = _prf(pred, truth_set)
        out["ECM 1:1"] = {"precision": p, "recall": r, "f1": f}
    except Exception as error:  # ECM may fail to converge on degenerate features
        out["ECM"] = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "error": repr(error)}
    out["best"] = max((k for k in out if isinstance(out[k], dict)), key=lambda k: out[k]["f1"])
    out["seconds"] = time.perf_counter() - started
    out["seconds_compare"] = seconds_compare
    out["pairs"] = len(features)
    return out


if __name__ == "__main__":  # quick check: python benchmarks/baseline_clear.py [N] [DIFFICULTY]
    import sys

    from pprl.tools import synth

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    level = sys.argv[2] if len(sys.argv) > 2 else "medium"
    data = synth.generate(n, seed=0, difficulty=level, overlap=synth.LEGACY_OVERLAP, version=1)
    for full in (False, True):
        res = link(data.exports["a"], data.exports["b"], data.truth[("a", "b")], full_index=full)
        print("full index" if full else "blocked")
        for k, v in res.items():
            print(" ", k, v)
