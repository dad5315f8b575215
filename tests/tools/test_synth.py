"""Tests for the synthetic multi-agency generator (pprl.tools.synth)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pprl.tools import synth
from pprl.tools.synth import A_COLUMNS, B_COLUMNS, C_COLUMNS, DIFFICULTIES, generate, write

ID_RE = {"a": re.compile(r"^A\d{6,}$"), "b": re.compile(r"^B\d{6,}$"),
         "c": re.compile(r"^C\d{6,}$")}
ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
FULL_DATE_RE = re.compile(r"^(\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})$")
B_DATE_RE = re.compile(r"^(|\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}|\d{4}|~\d{4}"
                       r"|ca\. \d{4}|\d{2}/\d{4})$")


def _expected_sizes(n: int, overlap: float) -> tuple[int, int, int]:
    both = int(round(overlap * n))
    a_only = (n - both) // 2
    return both + a_only, n - a_only, both


def _check_invariants(data: synth.SynthData, n: int, agencies: int, overlap: float) -> None:
    ex = data.exports
    assert set(ex) == ({"a", "b", "c"} if agencies == 3 else {"a", "b"})
    assert list(ex["a"].columns) == A_COLUMNS
    assert list(ex["b"].columns) == B_COLUMNS
    if agencies == 3:
        assert list(ex["c"].columns) == C_COLUMNS
        assert len(ex["c"]) == int(round(synth.C_SHARE * n))
    n_a, n_b, n_ab = _expected_sizes(n, overlap)
    assert (len(ex["a"]), len(ex["b"])) == (n_a, n_b)
    assert len(data.truth[("a", "b")]) == n_ab
    for key, df in ex.items():
        assert df["record_id"].is_unique
        assert all(ID_RE[key].match(x) for x in df["record_id"])
        for col in df.columns:  # all values are str, no NaN / None
            assert all(isinstance(v, str) for v in df[col]), (key, col)
    expected_pairs = [("a", "b")] + ([("a", "c"), ("b", "c")] if agencies == 3 else [])
    assert list(data.truth) == expected_pairs
    for (x, y), t in data.truth.items():
        assert list(t.columns) == [f"id_{x}", f"id_{y}"]
        assert t[f"id_{x}"].is_unique and t[f"id_{y}"].is_unique  # one-to-one
        assert set(t[f"id_{x}"]) <= set(ex[x]["record_id"])
        assert set(t[f"id_{y}"]) <= set(ex[y]["record_id"])
    a = ex["a"]
    assert all(re.match(r"^(\d{2}\.\d{2}\.\d{4})?$", v) for v in a["birth_date"])
    assert set(a["sex"]) <= {"М", "Ж"}
    assert all(B_DATE_RE.match(v) for v in ex["b"]["birth_date"])
    assert set(ex["b"]["sex"]) <= {"M", "F", "male", "female", ""}


# --------------------------------------------------------------------------- invariants

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 80), seed=st.integers(0, 2**32 - 1),
       difficulty=st.sampled_from(sorted(DIFFICULTIES)), agencies=st.sampled_from([2, 3]),
       overlap=st.floats(0.0, 1.0))
def test_invariants_hypothesis(n, seed, difficulty, agencies, overlap):
    data = generate(n, seed=seed, difficulty=difficulty, agencies=agencies, overlap=overlap)
    _check_invariants(data, n, agencies, overlap)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 10_000),
       difficulty=st.sampled_from(sorted(DIFFICULTIES)))
def test_same_seed_same_frames_hypothesis(n, seed, difficulty):
    d1 = generate(n, seed=seed, difficulty=difficulty, agencies=3)
    d2 = generate(n, seed=seed, difficulty=difficulty, agencies=3)
    for k in d1.exports:
        pd.testing.assert_frame_equal(d1.exports[k], d2.exports[k])
    for k in d1.truth:
        pd.testing.assert_frame_equal(d1.truth[k], d2.truth[k])


def test_different_seeds_differ():
    a = generate(200, seed=1).exports["b"]
    b = generate(200, seed=2).exports["b"]
    assert not a.equals(b)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10])
def test_tiny_sizes(n):
    for agencies in (2, 3):
        data = generate(n, seed=5, difficulty="hard", agencies=agencies)
        _check_invariants(data, n, agencies, 0.6)


def test_ten_thousand_hard_three_agencies():
    data = generate(10_000, seed=3, difficulty="hard", agencies=3)
    _check_invariants(data, 10_000, 3, 0.6)


@pytest.mark.parametrize("overlap", [0.0, 1.0])
def test_overlap_extremes(overlap):
    data = generate(101, seed=9, overlap=overlap)
    _check_invariants(data, 101, 2, overlap)


def test_rows_shuffled_and_ids_pseudonymous():
    data = generate(500, seed=4)
    ids = list(data.exports["a"]["record_id"])
    assert ids != sorted(ids)
    t = data.truth[("a", "b")]
    # the pairing is not a matter of equal numbers
    assert (t["id_a"].str[1:] != t["id_b"].str[1:]).mean() > 0.9


def test_truth_consistent_across_three_agencies():
    data = generate(3000, seed=11, agencies=3)
    ab = dict(zip(*[data.truth[("a", "b")][c] for c in ("id_a", "id_b")]))
    ac = dict(zip(*[data.truth[("a", "c")][c] for c in ("id_a", "id_c")]))
    bc = set(zip(*[data.truth[("b", "c")][c] for c in ("id_b", "id_c")]))
    checked = 0
    for a_id, c_id in ac.items():
        if a_id in ab:
            assert (ab[a_id], c_id) in bc
            checked += 1
    assert checked > 100


def test_truth_pairs_describe_same_child():
    data = generate(3000, seed=12, difficulty="easy")
    a = data.exports["a"].set_index("record_id")
    b = data.exports["b"].set_index("record_id")
    t = data.truth[("a", "b")]
    pa, pb = a.loc[t["id_a"]], b.loc[t["id_b"]]
    sex_a = pa["sex"].map({"М": "M", "Ж": "F"}).to_numpy()
    sex_b = pb["sex"].map({"M": "M", "male": "M", "F": "F", "female": "F"}).to_numpy()
    known = pd.notna(sex_b)
    assert (sex_a[known] == sex_b[known]).mean() > 0.99
    year_a = pa["birth_date"].str[-4:].to_numpy()
    year_b = pb["birth_date"].str.extract(r"(\d{4})")[0].to_numpy()
    ok = pd.notna(year_b) & (year_a != "")
    diff = np.abs(year_a[ok].astype(int) - year_b[ok].astype(int))
    assert (diff == 0).mean() > 0.9 and diff.max() <= 3


# --------------------------------------------------------------------------- difficulty

def _measure(difficulty: str) -> dict[str, float]:
    data = generate(4000, seed=21, difficulty=difficulty, agencies=3)
    b, a, c = data.exports["b"], data.exports["a"], data.exports["c"]
    bd = b["birth_date"]
    return {
        "b_not_full_date": float((~bd.str.match(FULL_DATE_RE)).mean()),
        "b_missing_date": float((bd == "").mean()),
        "b_missing_mother": float((b["mother_name"] == "").mean()),
        "b_arabic": float(b["full_name"].str.contains(ARABIC_RE).mean()),
        "b_nasab": float(b["full_name"].str.contains(r"\b(?:bint|ibn|bin|BINT|IBN|BIN)\b").mean()),
        "a_missing_patronymic": float((a["patronymic"] == "").mean()),
        "c_missing_year": float((c["birth_year"] == "").mean()),
    }


def test_difficulty_ordering_measured():
    levels = ["easy", "medium", "hard", "extreme"]
    assert levels == list(DIFFICULTIES)
    m = {lv: _measure(lv) for lv in levels}
    for key in m["easy"]:
        vals = [m[lv][key] for lv in levels]
        assert vals == sorted(vals), (key, vals)
        assert vals[0] < vals[-1], (key, vals)
    assert m["easy"]["b_arabic"] == 0.0
    assert m["hard"]["b_arabic"] > 0.15
    assert m["hard"]["b_not_full_date"] > 0.4


def test_siblings_present():
    v = synth._vocab()
    for lv, d in DIFFICULTIES.items():
        p = synth._people(20_000, d, v, np.random.default_rng(0))
        sizes = np.bincount(p.fam)
        share = float((sizes[p.fam] > 1).mean())
        assert abs(share - d.sibling_share) < 0.05, (lv, share)
        # siblings differ in given name; twins aside, also in birth date
        df = pd.DataFrame({"fam": p.fam, "given": p.given, "birth": p.birth})
        assert not df.duplicated(["fam", "given"]).any()
        same_date = float(df.duplicated(["fam", "birth"]).sum() / max(1, (sizes > 1).sum()))
        assert same_date <= d.twin_rate * 4 + 0.01


def test_siblings_visible_in_exports():
    data = generate(2000, seed=8, difficulty="medium")
    a = data.exports["a"]
    a = a[(a["patronymic"] != "")]
    fam = (a["surname"].str.replace(r"(а|ая)$", "", regex=True) + "|"
           + a["patronymic"].str.replace(r"(ович|евич|ич|овна|евна|ична|инична)$", "", regex=True))
    g = a.groupby(fam)
    multi = g.filter(lambda x: x["given_name"].nunique() > 1 and x["birth_date"].nunique() > 1)
    assert len(multi) > 300  # many sibling groups: same surname and father, other child


# --------------------------------------------------------------------------- content

def test_name_forms_and_scripts_present():
    b = generate(5000, seed=2, difficulty="hard").exports["b"]["full_name"]
    assert b.str.contains(ARABIC_RE).any()
    assert b.str.contains(r"\bbint\b", case=False).any()
    assert b.str.contains(",").any()
    assert (b.str.upper() == b).mean() > 0.3
    assert b.str.contains("Muhammad|Mohammed|Mohamed", case=False).any()
    assert b.str.contains("[žšč]", case=False).any()          # ISO 9 diacritics
    assert b.str.contains("sch", case=False).any()            # German
    assert b.str.contains("ou", case=False).any()             # French


def test_a_side_is_cyrillic():
    a = generate(500, seed=3, difficulty="easy").exports["a"]
    for col in ("surname", "given_name", "patronymic"):
        vals = a[col][a[col] != ""]
        assert vals.str.match(r"^[А-Яа-яЁё][А-Яа-яЁё\- ]*$").mean() > 0.97


@pytest.mark.parametrize("father,m,f", [
    ("Магомед", "Магомедович", "Магомедовна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Шамиль", "Шамилевич", "Шамилевна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Никита", "Никитич", "Никитична"),
    ("Муса", "Мусаевич", "Мусаевна"),
    ("Али", "Алиевич", "Алиевна"),
    ("Саид-Магомед", "Саидмагомедович", "Саидмагомедовна"),
])
def test_patronymic_rules(father, m, f):
    assert synth.patronymic(father, False) == m
    assert synth.patronymic(father, True) == f


@pytest.mark.parametrize("m,f", [("Алиев", "Алиева"), ("Никитин", "Никитина"),
                                 ("Островский", "Островская"), ("Толстой", "Толстая"),
                                 ("Бондаренко", "Бондаренко"), ("Черных", "Черных"),
                                 ("Гусейнзаде", "Гусейнзаде"), ("Аль-Сури", "Аль-Сури")])
def test_gendered_surnames(m, f):
    assert synth.gendered_surname(m, True) == f
    assert synth.gendered_surname(m, False) == m


@pytest.mark.parametrize("stem,suffix,prefix,surname", [
    ("Магомед", "ов", "", "Магомедов"), ("Муса", "ов", "", "Мусаев"), ("Али", "ов", "", "Алиев"),
    ("Юрий", "ов", "", "Юрьев"), ("Дмитрий", "ов", "", "Дмитриев"), ("Сергей", "ов", "", "Сергеев"),
    ("Гусь", "ов", "", "Гусев"), ("Малыш", "ов", "", "Малышев"), ("Кузнец", "ов", "", "Кузнецов"),
    ("Никита", "ов/ин", "", "Никитин"), ("Иван", "ов/ин", "", "Иванов"), ("Илья", "ин", "", "Ильин"),
    ("Жук", "ский", "", "Жуковский"), ("Гасан", "заде", "", "Гасанзаде"), ("Мамед", "ли", "", "Мамедли"),
    ("Абу-Бакар", "ов", "", "Абубакаров"), ("Магомед", "ов", "Гаджи", "Гаджимагомедов"),
    ("Рашид", "", "Аль-", "Аль-Рашид"),
])
def test_derived_surnames(stem, suffix, prefix, surname):
    assert synth.derived_surname(stem, suffix, prefix) == surname


def test_surnames_have_a_long_tail():
    """Half the families carry one of the common surnames, the rest one of ~2,000 rarer
    ones: 100,000 people have far more surnames than the common list, and no surname is shared by
    more than a few percent of them."""
    v = synth._vocab()
    p = synth._people(100_000, DIFFICULTIES["medium"], v, np.random.default_rng(0))
    family_surnames = pd.Series(p.surname).groupby(p.fam).first()
    common = {int(t) for ids, _ in v.surname_pools.values() for t in ids}
    # a derived surname can be a common one too (Магомед -> Магомедов)
    assert 1 - synth.TAIL_SHARE - 0.01 < family_surnames.isin(common).mean() < 1 - synth.TAIL_SHARE / 2
    assert family_surnames.nunique() > 1500
    assert family_surnames.value_counts(normalize=True).iloc[0] < 0.05


@pytest.mark.parametrize("system,expected", [
    ("icao", "Evloev Shamil"), ("bgn", "Yevloyev Shamil’"), ("iso9", "Evloev Šamilʹ"),
    ("german", "Jewlojew Schamil"), ("french", "Ievloiev Chamil"), ("english", "Yevloev Shamil"),
])
def test_romanisation_systems(system, expected):
    assert synth.romanise("Евлоев Шамиль", system) == expected


def test_romanisation_contexts_and_arabic():
    assert synth.romanise("Георгий", "french") == "Gueorguiï"
    assert synth.romanise("Джамал", "english") == "Jamal"
    assert synth.romanise("Джамал", "german") == "Dschamal"
    assert synth.romanise("Хасанов", "german") == "Chassanow"
    assert ARABIC_RE.search(synth.romanise("Магомедов", "arabic"))


def test_own_romanisation_not_translit():
    src = Path(synth.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+[\w.]*translit", src, flags=re.M)
    assert not re.search(r"from\s+\.?\s*import\s+.*translit", src)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        generate(-1)
    with pytest.raises(ValueError):
        generate(10, difficulty="impossible")
    with pytest.raises(ValueError):
        generate(10, agencies=4)
    with pytest.raises(ValueError):
        generate(10, overlap=1.5)


def test_write_roundtrip(tmp_path):
    data = generate(300, seed=6, difficulty="hard", agencies=3)
    paths = write(data, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["a.csv", "b.csv", "c.csv", "truth_a_b.csv", "truth_a_c.csv",
                     "truth_b_c.csv"]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]
    for key, df in data.exports.items():
        raw = (tmp_path / "out" / f"{key}.csv").read_bytes()
        raw.decode("utf-8")
        back = pd.read_csv(tmp_path / "out" / f"{key}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(back, df.reset_index(drop=True), check_dtype=False)
    t = pd.read_csv(tmp_path / "out" / "truth_a_b.csv", dtype=str)
    assert list(t.columns) == ["id_a", "id_b"]
    assert len(t) == len(data.truth[("a", "b")])
