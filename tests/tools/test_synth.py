"""Tests for the synthetic multi-agency generator (pprl.tools.synth)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pprl.tools import hijri, synth
from pprl.tools.synth import A_COLUMNS, B_COLUMNS, C_COLUMNS, DIFFICULTIES, Difficulty, generate, write

ID_RE = {"a": re.compile(r"^A\d{6,}$"), "b": re.compile(r"^B\d{6,}$"),
         "c": re.compile(r"^C\d{6,}$")}
ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
FULL_DATE_RE = re.compile(r"^(\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})$")
B_DATE_RE = re.compile(r"^(|\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}|\d{4}|~\d{4}"
                       r"|ca\. \d{4}|\d{2}/\d{4})$")
#: Hijri dates as the generator writes them (digits made ASCII first): 1434/06/08, 08/06/1434,
#: 8 Jumada al-Akhirah 1434, 1434/06/08 هـ, 1434, 1434 هـ, 06/1434, Ramadan 1434
HIJRI_RE = re.compile(r"^(14[1-4]\d/\d{2}/\d{2}( هـ)?|\d{2}/\d{2}/14[1-4]\d|\d{1,2} \D+ 14[1-4]\d|14[1-4]\d( ?هـ)?"
                      r"|\d{2}/14[1-4]\d|\D+ 14[1-4]\d)$")
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
AGE_RE = re.compile(r"^(age |about |~)?\d{1,2} ?(years|yrs|y\.o\.|y|лет|года?|ans|سنوات|سنة)?$")


def _expected_sizes(n: int, overlap: float) -> tuple[int, int, int]:
    both = synth._pairs(n, overlap)
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
    if n:   # overlap is the share of the records of a and b with a partner, up to rounding
        assert abs(2 * n_ab / (n_a + n_b) - overlap) <= 2 / (n_a + n_b) + 1e-12
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
    assert all(B_DATE_RE.match(v) or HIJRI_RE.match(v.translate(ASCII_DIGITS)) or AGE_RE.match(v)
               for v in ex["b"]["birth_date"])
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
        _check_invariants(data, n, agencies, synth.DEFAULT_OVERLAP)


def test_ten_thousand_hard_three_agencies():
    data = generate(10_000, seed=3, difficulty="hard", agencies=3)
    _check_invariants(data, 10_000, 3, synth.DEFAULT_OVERLAP)


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
    # version 1's knobs (the new ones have their own test; gluing parts hides "bin" from the count)
    data = generate(4000, seed=21, difficulty=difficulty, agencies=3, version=1)
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


# --------------------------------------------------------------------------- overlap and versions

def test_overlap_is_the_share_of_records_with_a_partner():
    for overlap in (0.39, synth.DEFAULT_OVERLAP, synth.LEGACY_OVERLAP):
        data = generate(5000, seed=1, overlap=overlap)
        a, b, pairs = data.exports["a"], data.exports["b"], data.truth[("a", "b")]
        with_partner = a["record_id"].isin(pairs["id_a"]).sum() + b["record_id"].isin(pairs["id_b"]).sum()
        assert abs(with_partner / (len(a) + len(b)) - overlap) < 0.001
    assert 0.3 <= synth.DEFAULT_OVERLAP <= 0.5
    assert generate(10).params["overlap"] == synth.DEFAULT_OVERLAP


def test_legacy_overlap_is_sixty_percent_of_the_people_in_both():
    for n in range(0, 400):
        assert synth._pairs(n, synth.LEGACY_OVERLAP) == int(round(0.6 * n))


#: sha256 (first 16 hex digits) of pprl 0.2.0's generate(n, seed=s, difficulty=level, agencies=k,
#: overlap=0.6): the exports' CSV then the truth's, sorted by key (before issue #17, commit 4fed85d).
PINNED_VERSION_1 = {
    ("easy", 700, 3, 3): "b02ce4a30d2eee11", ("easy", 101, 0, 2): "579193224f966a0e",
    ("medium", 700, 3, 3): "ad895af09de9cd51", ("medium", 101, 0, 2): "933ccc7bb898c506",
    ("hard", 700, 3, 3): "923588d152ee16de", ("hard", 101, 0, 2): "0c472c4430d8a7a1",
    ("extreme", 700, 3, 3): "342068e16f1ba086", ("extreme", 101, 0, 2): "389ffa3bb63bbd20",
}


@pytest.mark.parametrize("key", sorted(PINNED_VERSION_1))
def test_version_1_makes_the_data_of_pprl_0_2_0(key):
    level, n, seed, agencies = key
    data = generate(n, seed=seed, difficulty=level, agencies=agencies, overlap=synth.LEGACY_OVERLAP, version=1)
    digest = hashlib.sha256()
    for _, df in sorted(data.exports.items()):
        digest.update(df.to_csv(index=False).encode())
    for _, df in sorted(data.truth.items()):
        digest.update(df.to_csv(index=False).encode())
    assert digest.hexdigest()[:16] == PINNED_VERSION_1[key]


def test_version_2_is_seeded():
    for level in DIFFICULTIES:
        one, two = (generate(1500, seed=4, difficulty=level, agencies=3) for _ in range(2))
        for k in one.exports:
            pd.testing.assert_frame_equal(one.exports[k], two.exports[k])
        assert not one.exports["b"].equals(generate(1500, seed=5, difficulty=level).exports["b"])


def test_synth_command(tmp_path):
    from click.testing import CliRunner

    from pprl.cli import main

    result = CliRunner().invoke(main, ["synth", "--people", "2000", "--overlap", "0.3", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    a, b, t = (pd.read_csv(tmp_path / "o" / f, dtype=str) for f in ("a.csv", "b.csv", "truth_a_b.csv"))
    assert abs(2 * len(t) / (len(a) + len(b)) - 0.3) < 0.002
    assert b["birth_date"].fillna("").str.translate(ASCII_DIGITS).str.match(HIJRI_RE).any()
    result = CliRunner().invoke(main, ["synth", "--people", "300", "--seed", "3", "--overlap", "0.75",
                                       "--generator-version", "1", "-o", str(tmp_path / "v1")])
    assert result.exit_code == 0, result.output
    old = generate(300, seed=3, overlap=synth.LEGACY_OVERLAP, version=1).exports["b"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "v1" / "b.csv", dtype=str, keep_default_na=False), old)
    assert "[default: 0.4;" in CliRunner().invoke(main, ["synth", "--help"]).output.replace("\n", " ")
    assert synth.DEFAULT_OVERLAP == 0.4


# --------------------------------------------------------------------------- the failure classes

def _one_knob(knob: str, value: float, level: str = "medium", **others) -> Difficulty:
    """A level without the failure classes of real data, but for ``knob`` (and ``others``)."""
    return replace(DIFFICULTIES[level].classic(), **{knob: value, **others})


def _changed(knob: str, value: float, n: int = 6000, level: str = "medium", **others):
    """Foreign records with and without one knob, the same seed: each class draws on its own stream,
    so the records that differ are those the knob touched."""
    on = generate(n, seed=7, difficulty=_one_knob(knob, value, level, **others)).exports["b"]
    off = generate(n, seed=7, difficulty=_one_knob(knob, 0.0 if knob != "b_patronymic" else 0.2, level,
                                                   **others)).exports["b"]
    return on, off


def _latin(b: pd.DataFrame) -> pd.Series:
    return ~b["full_name"].str.contains(ARABIC_RE)


def test_every_level_has_the_failure_classes_and_version_1_none():
    for name, d in DIFFICULTIES.items():
        assert d.classic() == replace(d, **synth.CLASSIC_KNOBS)
        if name != "easy":
            assert all(getattr(d, k) > 0 for k in synth.CLASSIC_KNOBS), name
    ordered = [DIFFICULTIES[x] for x in ("easy", "medium", "hard", "extreme")]
    for knob in synth.CLASSIC_KNOBS:
        values = [getattr(d, knob) for d in ordered]
        assert values == sorted(values, reverse=(knob == "b_patronymic")), knob


@pytest.mark.parametrize("share", [0.05, 0.3])
def test_glued_parts(share):
    on, off = _changed("glued", share)
    latin = _latin(off) & off["full_name"].str.contains(r"[^,] ")
    changed = on["full_name"] != off["full_name"]
    assert abs(changed[latin].mean() - share) < 0.02
    assert not changed[~latin].any()
    for new, old in zip(on["full_name"][changed], off["full_name"][changed]):
        assert new.count(" ") == old.count(" ") - 1 and new.replace(" ", "") == old.replace(" ", "")
    assert on["full_name"].str.contains(r"[a-z][A-Z]").any()          # IvanAleksandrovich


def test_surname_in_capitals():
    on, off = _changed("caps_surname", 0.4, given_only=0.0, nasab=0.0, father_as_surname=0.0, caps_share=0.0)
    changed = on["full_name"] != off["full_name"]
    assert abs(changed[_latin(off)].mean() - 0.4) < 0.03
    assert (on["full_name"][changed].str.lower() == off["full_name"][changed].str.lower()).all()


PATRONYMIC_RE = r"(?:[oe]v|[oe]w|ich|itch|iz)(?:i(?:ch|č|tch|tsch))\b|(?:[oe]v|[oe]w)na\b|i(?:ch|č|tch|tsch)n?a?\b"


@pytest.mark.parametrize("share", [0.05, 0.5])
def test_patronymic_on_the_foreign_side(share):
    d = _one_knob("b_patronymic", share, given_only=0.0, nasab=0.0, father_as_surname=0.0, arabic_share=0.0,
                  typo_b=0.0, clerk_noise=0.0)
    b = generate(8000, seed=2, difficulty=d).exports["b"]
    measured = b["full_name"].str.contains(PATRONYMIC_RE, case=False).mean()
    assert abs(measured - share) < 0.03, measured


def test_ukrainian_forms_and_romanisation():
    assert synth._ukrainian("Сергей", "Сергій") == "Serhii"
    assert synth._ukrainian("Николай", "Микола") == "Mykola"
    assert synth._ukrainian("Дмитрий") == "Dmytryi" and synth._ukrainian("Белый") == "Belyi"
    assert synth._ukrainian("Магомед") == "Mahomed" and synth._ukrainian("Евгений", "Євген") == "Yevhen"
    assert synth._ukrainian(synth.ukrainian_patronymic("Сергей", "Сергій", False)) == "Serhiiovych"
    assert synth._ukrainian(synth.ukrainian_patronymic("Сергей", "Сергій", True)) == "Serhiivna"
    assert synth.ukrainian_patronymic("Николай", "Микола", False) == "Миколайович"
    assert synth.ukrainian_patronymic("Дмитрий", "Дмитро", True) == "Дмитрівна"
    assert synth.ukrainian_patronymic("Магомед", "", False) == "Магомедович"
    assert synth.ukrainian_patronymic("Муса", "", False) == "Мусайович"
    on, off = _changed("ukrainian", 0.3, b_patronymic=1.0, given_only=0.0, nasab=0.0, father_as_surname=0.0,
                       clerk_noise=0.0, informal_spelling=0.0)
    changed = on["full_name"] != off["full_name"]
    assert 0.25 < changed[_latin(off)].mean() < 0.31
    assert not changed[~_latin(off)].any()
    assert on["full_name"][changed].str.contains(r"(?:ovych|ivna)\b", case=False).mean() > 0.9


def test_names_of_other_origins():
    d = _one_knob("other_origin", 0.2)
    v = synth._vocab()
    p = synth._with_other_origins(synth._people(30_000, d, v, np.random.default_rng(0)), d, v,
                                  np.random.default_rng(1))
    families = pd.Series(p.other_origin).groupby(p.fam).first()
    assert abs((families >= 0).mean() - 0.2) < 0.015
    shares = families[families >= 0].value_counts(normalize=True).sort_index()
    assert np.allclose(shares.to_numpy(), synth.OTHER_ORIGIN_WEIGHTS, atol=0.03)
    data = generate(6000, seed=3, difficulty=d)
    a, b = data.exports["a"], data.exports["b"]
    assert a["surname"].isin(["Смит", "Шмидт", "Ковальский", "Ковальская", "Судзуки", "Петросян"]).any()
    assert a["surname"].str.match(r"^[А-ЯЁ][а-яё\-]+$").mean() > 0.97       # written in Cyrillic
    words = set(" ".join(b["full_name"]).split())
    spellings = set(pd.read_csv(synth.DATA_DIR / "lexicon_spellings.csv")["latin"].map(synth._capitalise))
    assert {"Smith", "Schmidt", "Suzuki"} & words and len(words & spellings) > 200


def test_real_spellings_of_arabic_names():
    on, off = _changed("arabic_spelling", 1.0)
    changed = on["full_name"] != off["full_name"]
    assert changed[_latin(off)].mean() > 0.3
    table = pd.read_csv(synth.DATA_DIR / "lexicon_spellings.csv")
    arabic = set(table.loc[table["script"] == "arabic", "latin"].str.lower())
    new_words = [set(n.lower().split()) - set(o.lower().split())
                 for n, o in zip(on["full_name"][changed], off["full_name"][changed])]
    assert np.mean([bool(w & arabic) for w in new_words]) > 0.95
    assert {"Ramazan", "Ramadan"} & set(" ".join(on["full_name"]).split())


def test_compound_names_split_and_glued():
    on, off = _changed("compound_split", 1.0, arabic_share=0.3, typo_b=0.0)
    latin, changed = _latin(off), on["full_name"] != off["full_name"]
    splits = {f.lower() for forms in synth._vocab().compound_splits.values() for f in forms}
    assert all(any(f in name.lower() for f in splits) for name in on["full_name"][latin & changed])
    words_on, words_off = (x["full_name"][latin & changed].str.count(r"[ -]") for x in (on, off))
    assert (words_on >= words_off).all() and (words_on > words_off).mean() > 0.5   # Абу-Бакар: Abu-Bakr
    assert (on["full_name"][~latin & changed].str.count(" ") < off["full_name"][~latin & changed].str.count(" ")).all()
    assert on["full_name"].str.contains("عبدالرحمن").any()


@pytest.mark.parametrize("word,written", [("حسين", "حسن"), ("إبراهيم", "ابرهيم"), ("فاطمة", "فطمه"),
                                          ("الرحمن", "الرحمن"), ("عمر", "عمر"), ("سليمان", "سلمان")])
def test_defective_arabic_spelling(word, written):
    assert synth._defective(word) == written


def test_defective_arabic_share():
    on, off = _changed("arabic_defective", 0.2, arabic_share=0.5, nasab=0.0)
    arabic = ~_latin(off)
    words_on = on["full_name"][arabic].str.split().explode()
    words_off = off["full_name"][arabic].str.split().explode()
    assert not (on["full_name"] != off["full_name"])[~arabic].any()
    assert 0.1 < (words_on != words_off).mean() < 0.21


def _pairs_frame(data):
    a = data.exports["a"].set_index("record_id")
    b = data.exports["b"].set_index("record_id")
    t = data.truth[("a", "b")]
    return a.loc[t["id_a"]].reset_index(), b.loc[t["id_b"]].reset_index()


def test_hijri_dates_are_the_true_date_converted():
    d = _one_knob("hijri", 0.5, a_missing_date=0.0)
    data = generate(8000, seed=5, difficulty=d)
    b = data.exports["b"]["birth_date"].str.translate(ASCII_DIGITS)
    is_hijri = b.str.match(HIJRI_RE)
    calendar_dates = b.str.match(r"^(\d{2}[./]\d{2}[./]\d{4}|\d{4}-\d{2}-\d{2}|\d{4}|\d{2}/\d{4})$") | is_hijri
    assert abs(is_hijri[calendar_dates].mean() - 0.5) < 0.03
    pa, pb = _pairs_frame(data)
    gregorian = pd.to_datetime(pa["birth_date"], format="%d.%m.%Y").to_numpy().astype("datetime64[D]")
    text = pb["birth_date"].str.translate(ASCII_DIGITS)
    ymd = text.str.extract(r"^(14\d\d)/(\d\d)/(\d\d)")
    full = ymd[0].notna()
    y, m, day = (ymd[i][full].astype(int).to_numpy() for i in range(3))
    assert full.sum() > 300
    assert (hijri.to_days(y, m, day) == gregorian[full.to_numpy()].astype(np.int64)).all()
    year_only = text.str.match(r"^14\d\d( ?هـ)?$")
    assert year_only.sum() > 30
    assert (text[year_only].str[:4].astype(int).to_numpy()
            == hijri.from_gregorian(gregorian[year_only.to_numpy()])[0]).all()
    assert text.str.contains("Jumada|Ramadan|Muharram").any() and text.str.contains("هـ").any()


def test_estimated_ages():
    d = _one_knob("age_estimate", 0.3, a_missing_date=0.0)
    data = generate(8000, seed=6, difficulty=d)
    b = data.exports["b"]["birth_date"]
    ages = b.str.match(AGE_RE) & ~b.str.match(r"^\d{4}$")
    assert abs(ages[b != ""].mean() - 0.3) < 0.03
    pa, pb = _pairs_frame(data)
    age = pb["birth_date"].str.extract(r"(\d+)")[0]
    is_age = pb["birth_date"].str.match(AGE_RE) & ~pb["birth_date"].str.match(r"^\d{4}$")
    year_a = pa["birth_date"].str[-4:].astype(int)
    gap = synth.AGE_REFERENCE_YEAR - year_a[is_age] - age[is_age].astype(int)
    assert gap.abs().max() <= 1 and (gap == 0).mean() > 0.4
    assert b.str.contains("years").any() and b.str.contains("лет|года?$").any()


# --------------------------------------------------------------------------- the Hijri calendar

@pytest.mark.parametrize("gregorian,hijri_date", [
    ("2023-07-19", (1445, 1, 1)),     # 1 Muharram 1445, the same day in Umm al-Qura
    ("0622-07-19", (1, 1, 1)),        # the civil epoch: 16 July 622 (Julian)
    ("2013-04-19", (1434, 6, 8)),     # 8 Jumada al-Akhirah 1434 (tabular)
    ("2023-03-23", (1444, 9, 1)),     # 1 Ramadan 1444
    ("2000-01-01", (1420, 9, 24)),
    ("2000-04-06", (1421, 1, 1)),
    ("2018-06-30", (1439, 10, 16)),
    ("2021-08-09", (1442, 12, 30)),   # 1442 is a leap year: Dhu al-Hijjah has 30 days
    ("2019-08-31", (1440, 12, 29)),   # 1440 is not: its Dhu al-Hijjah ends on the 29th
    ("2019-09-01", (1441, 1, 1)),
])
def test_hijri_known_dates(gregorian, hijri_date):
    """Against convertdate 2.5.1's arithmetical calendar (which agreed on every day 1900-2100)."""
    assert tuple(int(x[0]) for x in hijri.from_gregorian([gregorian])) == hijri_date
    assert int(hijri.to_days(*hijri_date)) == np.datetime64(gregorian).astype(np.int64)


def test_hijri_calendar_structure():
    days = np.arange(np.datetime64("1950-01-01").astype(np.int64), np.datetime64("2050-01-01").astype(np.int64))
    y, m, d = hijri.from_days(days)
    assert (hijri.to_days(y, m, d) == days).all()
    starts = days[d == 1]
    lengths = np.diff(starts)
    month = m[d == 1][:-1]
    assert set(lengths[month % 2 == 1]) == {30} and set(lengths[(month % 2 == 0) & (month != 12)]) == {29}
    years = days[(m == 1) & (d == 1)]
    year_lengths = np.diff(years)
    assert set(year_lengths) == {354, 355}
    leap = y[(m == 1) & (d == 1)][:-1][year_lengths == 355] % 30
    assert set(leap) <= {2, 5, 7, 10, 13, 16, 18, 21, 24, 26, 29}
