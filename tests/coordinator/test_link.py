"""Tests of pprl.coordinator.link (and the `pprl link` command): FEBRL4 quality, clusters, split files, top-k,
explanations, deterministic ties, tiny inputs and neutral missing values."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pprl import encoded
from pprl.agency import encode, keys, validate
from pprl.cli import main
from pprl.coordinator import link as linking, scoring
from pprl.tools import synth
from tests.conftest import MISSING_PERSONS, leftovers

GIVEN = ["Zarema", "Aishat", "Madina", "Patimat", "Amina", "Petr", "Ruslan", "Magomed", "Sergei", "Olga",
         "Elena", "Marat", "Timur", "Leila", "Khadizhat", "Ibragim", "Yusuf", "Saida", "Dmitri", "Anna"]
SURNAMES = ["Magomedova", "Ivanova", "Shamsutdinova", "Kuznetsova", "Aliyeva", "Gadzhiyeva", "Omarova",
            "Petrova", "Abdullayeva", "Kurbanova", "Ismailova", "Rasulova", "Sidorova", "Khalilova"]


# --- FEBRL4 ---------------------------------------------------------------------------------------------

def test_febrl4_default_threshold_f1(febrl4):
    from pprl.tools import evaluation

    folder = febrl4["folder"]
    matches = evaluation.read_matches(folder / "matches.csv")
    truth = evaluation.read_truth(folder / "febrl4_truth.csv")
    metrics = evaluation.evaluate(matches, truth)
    assert metrics.f1 >= 0.995, str(metrics)
    assert list(matches.columns[:3]) == ["id_a", "id_b", "score"]
    assert matches["id_a"].str.startswith("rec-").all() and matches["id_a"].str.endswith("-org").all()
    assert matches["id_b"].str.contains("-dup-").all()
    assert matches["id_a"].is_unique and matches["id_b"].is_unique
    assert "threshold" in febrl4["link_stderr"]


def test_febrl4_cli_evaluate(febrl4):
    folder = febrl4["folder"]
    result = CliRunner().invoke(main, ["evaluate", str(folder / "matches.csv"), "--truth",
                                       str(folder / "febrl4_truth.csv")])
    assert result.exit_code == 0, result.output
    assert "f1" in result.stdout


def test_febrl4_encoded_files_hold_no_raw_values(febrl4):
    folder = febrl4["folder"]
    raw = pd.read_csv(folder / "febrl4_a.csv", dtype=str, keep_default_na=False).head(50)
    content = (folder / "a.parquet").read_bytes()
    for value in raw[["given_name", "surname", "address_1", "soc_sec_id"]].to_numpy().ravel():
        if len(value) >= 6:
            assert value.encode() not in content, value


# --- small synthetic agencies ------------------------------------------------------------------------------

def _people(n, seed=1):
    rng = random.Random(seed)
    combos = rng.sample(list(itertools.product(GIVEN, SURNAMES)), n)
    people = []
    for i, (given, surname) in enumerate(combos):
        year = rng.randint(2005, 2018)
        people.append({"pid": i, "given": given, "surname": surname, "date": f"{year}-{rng.randint(1, 12):02d}-"
                       f"{rng.randint(1, 28):02d}", "sex": "f" if surname.endswith("a") else "m",
                       "mother": f"{rng.choice(GIVEN)} {surname}"})
    return people


def _typo(text, rng):
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _export(folder, name, people, prefix, seed, typos=False, order="iso"):
    rng = random.Random(seed)
    rows = []
    for person in people:
        given = _typo(person["given"], rng) if typos and rng.random() < 0.3 else person["given"]
        year, month, day = person["date"].split("-")
        date = person["date"] if order == "iso" else f"{day}.{month}.{year}"
        rows.append({"id": f"{prefix}{person['pid']:03d}", "name": f"{given} {person['surname']}",
                     "birth_date": date, "sex": person["sex"], "mother_name": person["mother"], "father_name": ""})
    rng.shuffle(rows)
    path = folder / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def mp_schema():
    return validate.load(MISSING_PERSONS)


@pytest.fixture(scope="module")
def three(tmp_path_factory, mp_schema):
    """Three agencies: A has 40 people, B 30 of them (with typos), C 25 of them (other date format)."""
    folder = tmp_path_factory.mktemp("three")
    secret = keys.generate_secret()
    people = _people(40)
    sources = [_export(folder, "agency_a", people, "A", 1),
               _export(folder, "agency_b", people[:30], "B", 2, typos=True),
               _export(folder, "agency_c", people[15:40], "C", 3, order="dmy")]
    outputs = []
    for source in sources:
        out = folder / f"{source.stem}.parquet"
        encode.encode_file(source, out, mp_schema, secret, workers=1)
        outputs.append(out)
    return folder, outputs


def _link(args):
    result = CliRunner().invoke(main, ["link", *map(str, args)])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_three_files_link_into_clusters(three):
    folder, (a, b, c) = three
    matches, clusters = folder / "m3.csv", folder / "clusters.csv"
    _link([a, b, c, "-o", matches, "--clusters", clusters])
    frame = pd.read_csv(clusters, dtype=str)
    assert list(frame.columns[:3]) == ["cluster_id", "dataset", "id"]
    assert set(frame["dataset"]) == {"agency_a", "agency_b", "agency_c"}
    # at most one record per dataset in every cluster, every record in at most one cluster
    assert not frame.duplicated(["cluster_id", "dataset"]).any()
    assert frame["id"].is_unique
    assert (frame.groupby("cluster_id").size() >= 2).all()
    prefix = {"agency_a": "A", "agency_b": "B", "agency_c": "C"}
    assert all(i.startswith(prefix[d]) for d, i in zip(frame["dataset"], frame["id"]))
    # quality: clusters are the same person (the numeric part of the ID is the person)
    person = frame["id"].str[1:]
    pure = frame.assign(person=person).groupby("cluster_id")["person"].nunique().eq(1).mean()
    assert pure >= 0.95
    # people 15..29 are in all three agencies: most of them form full clusters
    full = frame.assign(person=person).groupby("cluster_id").filter(lambda g: len(g) == 3)
    assert full["person"].nunique() >= 12
    # MATCHES.csv holds the pairs of the first two files
    pairs = pd.read_csv(matches, dtype=str)
    assert pairs["id_a"].str.startswith("A").all() and pairs["id_b"].str.startswith("B").all()
    assert not leftovers(folder)


def test_split_dir_holds_only_own_ids(three, tmp_path):
    folder, (a, b, c) = three
    split = tmp_path / "split"
    _link([a, b, c, "-o", tmp_path / "m.csv", "--clusters", tmp_path / "c.csv", "--split-dir", split])
    clusters = pd.read_csv(tmp_path / "c.csv", dtype=str)
    files = sorted(p.name for p in split.iterdir())
    assert files == ["agency_a.csv", "agency_b.csv", "agency_c.csv"]
    own = {name: set(encoded.read(path).ids) for name, path in zip(("agency_a", "agency_b", "agency_c"), (a, b, c))}
    for name in own:
        part = pd.read_csv(split / f"{name}.csv", dtype=str)
        assert list(part.columns) == ["id", "match_id"]
        assert set(part["id"]) <= own[name]
        assert not set(part["id"]) & set().union(*(ids for other, ids in own.items() if other != name))
        expected = clusters[clusters["dataset"] == name]
        assert dict(zip(part["id"], part["match_id"])) == dict(zip(expected["id"], expected["cluster_id"]))
    # two files: the match IDs pair the rows of MATCHES.csv
    split2 = tmp_path / "split2"
    _link([a, b, "-o", tmp_path / "m2.csv", "--split-dir", split2])
    matches = pd.read_csv(tmp_path / "m2.csv", dtype=str)
    left = pd.read_csv(split2 / "agency_a.csv", dtype=str)
    right = pd.read_csv(split2 / "agency_b.csv", dtype=str)
    assert set(left["id"]) <= own["agency_a"] and set(right["id"]) <= own["agency_b"]
    joined = left.merge(right, on="match_id", suffixes=("_a", "_b"))
    assert set(zip(joined["id_a"], joined["id_b"])) == set(zip(matches["id_a"], matches["id_b"]))


def test_top_k_ranks(three, tmp_path):
    folder, (a, b, _) = three
    out = tmp_path / "top.csv"
    _link([a, b, "-o", out, "--top-k", "3"])
    frame = pd.read_csv(out, dtype={"id_a": str, "id_b": str})
    assert list(frame.columns[:4]) == ["id_a", "id_b", "score", "rank"]
    for _, group in frame.groupby("id_a", sort=False):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert len(group) <= 3
        assert group["score"].is_monotonic_decreasing
    # every A record that has a counterpart in B finds it first
    firsts = frame[frame["rank"] == 1]
    right = (firsts["id_a"].str[1:] == firsts["id_b"].str[1:])
    assert right.sum() >= 28
    # an id_b may appear for several id_a: top-k is for review, not one-to-one
    assert frame["id_a"].nunique() >= 30


def test_explain_adds_evidence_columns(three, tmp_path):
    folder, (a, b, _) = three
    out = tmp_path / "explain.csv"
    _link([a, b, "-o", out, "--explain"])
    frame = pd.read_csv(out, dtype={"id_a": str, "id_b": str})
    columns = [c.name for c in encoded.read(a).columns]
    evidence = [f"evidence_{c}" for c in columns]
    assert list(frame.columns) == ["id_a", "id_b", "score"] + evidence
    assert (frame["evidence_father_name"] == 0).all()  # missing everywhere: neutral
    assert np.isfinite(frame[evidence].to_numpy()).all()
    # the true pairs agree on the name (B has typos): nearly all carry positive name evidence
    right = frame["id_a"].str[1:] == frame["id_b"].str[1:]
    assert right.sum() >= 25
    assert (frame.loc[right, "evidence_name"] > 0).mean() >= 0.9
    plain = tmp_path / "plain.csv"
    _link([a, b, "-o", plain])
    pd.testing.assert_frame_equal(pd.read_csv(plain, dtype={"id_a": str, "id_b": str}), frame[["id_a", "id_b", "score"]])
    # among the candidates of one record, more evidence never means a lower score
    review = tmp_path / "review.csv"
    _link([a, b, "-o", review, "--explain", "--top-k", "5"])
    ranked = pd.read_csv(review, dtype={"id_a": str, "id_b": str})
    ranked["total"] = ranked[evidence].sum(axis=1)
    for _, group in ranked.groupby("id_a"):
        ordered = group.sort_values("total")
        assert ordered["score"].is_monotonic_increasing or (ordered["total"].diff().dropna() < 0.01).any()


def test_link_is_deterministic(three, tmp_path):
    folder, (a, b, c) = three
    outputs = []
    for i in range(2):
        out = tmp_path / f"m{i}.csv"
        _link([a, b, c, "-o", out, "--clusters", tmp_path / f"c{i}.csv"])
        outputs.append((out.read_bytes(), (tmp_path / f"c{i}.csv").read_bytes()))
    assert outputs[0] == outputs[1]


# --- ties, tiny inputs, missing values (library level, small hand-made exports) ---------------------------

def _encode_rows(folder, name, rows, schema, secret, maps=None):
    path = folder / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = folder / f"{name}.parquet"
    encode.encode_file(path, out, schema, secret, maps or {}, workers=1)
    return encoded.read(out)


def _row(rid, name="Zarema Magomedova", date="2013-05-17", sex="f", mother="Patimat Magomedova", father=""):
    return {"id": rid, "name": name, "birth_date": date, "sex": sex, "mother_name": mother, "father_name": father}


OTHERS = [_row("x1", "Ivan Petrov", "1990-01-02", "m", "Anna Petrova"),
          _row("x2", "Olga Sidorova", "1985-07-30", "f", "Elena Sidorova"),
          _row("x3", "Timur Aliyev", "2001-11-11", "m", "Saida Aliyeva")]


def _pairs(linkage, mode="one-to-one", threshold=None):
    frame = linking.matches_frame(linkage, 0, 1, mode)
    return list(zip(frame["id_a"], frame["id_b"], frame["score"]))


def test_ties_are_resolved_by_id_whatever_the_row_order(tmp_path, mp_schema):
    secret = keys.generate_secret()
    twins = [_row("a2"), _row("a1")]
    b = _encode_rows(tmp_path, "b", [_row("b1"), *[dict(r, id="b" + r["id"]) for r in OTHERS]], mp_schema, secret)
    results = []
    for order in (twins, twins[::-1]):
        a = _encode_rows(tmp_path, "a", [*order, *OTHERS], mp_schema, secret)
        # identical twins share b1's probability (about 0.5 each): the tie is broken by ID
        linkage = linking.link([a, b], linking.LinkOptions(threshold=0.3))
        pairs = [(x, y) for x, y, _ in _pairs(linkage)]
        results.append(sorted(pairs))
    assert results[0] == results[1]
    assert ("a1", "b1") in results[0] and not any(x == "a2" for x, _ in results[0])


@pytest.mark.parametrize("sizes", [(1, 1), (4, 4)])
def test_identical_records_link_in_tiny_datasets(tmp_path, mp_schema, sizes):
    secret = keys.generate_secret()
    rows = [_row("p0"), *OTHERS][: sizes[0]]
    a = _encode_rows(tmp_path, "a", [dict(r, id="a" + r["id"]) for r in rows], mp_schema, secret)
    b = _encode_rows(tmp_path, "b", [dict(r, id="b" + r["id"]) for r in rows], mp_schema, secret)
    frame = linking.matches_frame(linking.link([a, b]))
    assert len(frame) == len(rows)
    assert all(x[1:] == y[1:] for x, y in zip(frame["id_a"], frame["id_b"]))


def test_single_record_datasets(tmp_path, mp_schema):
    secret = keys.generate_secret()
    one = _encode_rows(tmp_path, "one", [_row("a1")], mp_schema, secret)
    many = _encode_rows(tmp_path, "many", [_row("b1"), *OTHERS], mp_schema, secret)
    other = _encode_rows(tmp_path, "other", [_row("c1")], mp_schema, secret)
    for datasets in ([one, many], [many, one], [one, other]):
        linkage = linking.link(datasets)
        frame = linking.matches_frame(linkage)
        assert len(frame) <= 1
        assert frame["score"].between(0, 1).all()
    # through the CLI as well, clusters with a one-record file
    result = CliRunner().invoke(main, ["link", str(tmp_path / "one.parquet"), str(tmp_path / "many.parquet"),
                                       str(tmp_path / "other.parquet"), "-o", str(tmp_path / "m.csv"),
                                       "--clusters", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output


def _score(linkage, ida, idb):
    result = linkage.pair(0, 1)
    ids_a, ids_b = linkage.datasets[0].ids, linkage.datasets[1].ids
    for ia, ib, score in zip(result.ia, result.ib, result.score):
        if ids_a[ia] == ida and ids_b[ib] == idb:
            return float(score)
    return 0.0


def test_missing_values_are_neutral(tmp_path, mp_schema):
    """A pair agreeing on name and date, with sex missing on one side, scores exactly as the same pair
    with sex absent from both files (prior weights, so that both runs use the same model), and higher
    than when sex disagrees."""
    secret = keys.generate_secret()
    # the competitors in B carry no sex in either scenario, so that only the pair itself differs
    others_b = [dict(r, id="b" + r["id"], sex="") for r in OTHERS]
    a_full = _encode_rows(tmp_path, "a_full", [_row("a1"), *OTHERS], mp_schema, secret)
    # b1 gives a year only and no mother, so that the pair's probability stays below 1 and shows the difference
    b1 = {"date": "2013", "mother": ""}
    b_missing_one = _encode_rows(tmp_path, "b_missing", [_row("b1", sex="", **b1), *others_b], mp_schema, secret)
    b_disagree = _encode_rows(tmp_path, "b_disagree", [_row("b1", sex="m", **b1), *others_b], mp_schema, secret)
    no_sex = {"sex": []}
    a_none = _encode_rows(tmp_path, "a_none", [_row("a1"), *OTHERS], mp_schema, secret, no_sex)
    b_none = _encode_rows(tmp_path, "b_none", [_row("b1", **b1), *others_b], mp_schema, secret, no_sex)
    options = linking.LinkOptions(fit_weights=False, threshold=0.5)
    missing_one = _score(linking.link([a_full, b_missing_one], options), "a1", "b1")
    absent_both = _score(linking.link([a_none, b_none], options), "a1", "b1")
    disagree = _score(linking.link([a_full, b_disagree], options), "a1", "b1")
    assert missing_one == pytest.approx(absent_both, abs=1e-9)
    assert missing_one > disagree
    # with fitted weights too (on enough records for EM): the missing column's evidence is exactly 0,
    # and the pair scores at least as high as when sex disagrees
    people = _people(40, seed=7)
    rows_a = [_row(f"a{p['pid']}", f"{p['given']} {p['surname']}", p["date"], p["sex"], p["mother"]) for p in people]
    rows_b = [dict(r, id="b" + r["id"][1:]) for r in rows_a]
    fitted = {}
    for case, sex in (("missing", ""), ("disagree", "m" if rows_a[0]["sex"] == "f" else "f")):
        a = _encode_rows(tmp_path, "fa", rows_a, mp_schema, secret)
        b = _encode_rows(tmp_path, f"fb_{case}", [dict(rows_b[0], sex=sex), *rows_b[1:]], mp_schema, secret)
        fitted[case] = linking.link([a, b])
    frame = linking.matches_frame(fitted["missing"], explain=True)
    row = frame[(frame["id_a"] == "a0") & (frame["id_b"] == "b0")]
    assert len(row) == 1 and row["evidence_sex"].iloc[0] == 0
    # separate fits; both scores are within 1e-10 of 1, so compare up to rounding
    assert _score(fitted["missing"], "a0", "b0") >= _score(fitted["disagree"], "a0", "b0") - 1e-9


def test_missing_disagree_option_penalises(tmp_path, mp_schema):
    import copy

    document = copy.deepcopy(dict(mp_schema.document))
    document["fields"][2]["missing"] = "disagree"
    strict_schema = validate.from_document(document)
    secret = keys.generate_secret()
    others_b = [dict(r, id="b" + r["id"]) for r in OTHERS]
    a = _encode_rows(tmp_path, "a", [_row("a1"), *OTHERS], strict_schema, secret)
    b1 = {"sex": "", "date": "2013", "mother": ""}  # a weak pair, whose probability stays below 1
    b = _encode_rows(tmp_path, "b", [_row("b1", **b1), *others_b], strict_schema, secret)
    a_n = _encode_rows(tmp_path, "an", [_row("a1"), *OTHERS], mp_schema, secret)
    b_n = _encode_rows(tmp_path, "bn", [_row("b1", **b1), *others_b], mp_schema, secret)
    options = linking.LinkOptions(fit_weights=False, threshold=0.5)
    assert _score(linking.link([a, b], options), "a1", "b1") < _score(linking.link([a_n, b_n], options), "a1", "b1")


def test_threshold_option(three, tmp_path):
    folder, (a, b, _) = three
    low, high = tmp_path / "low.csv", tmp_path / "high.csv"
    _link([a, b, "-o", low, "--threshold", "0.01"])
    _link([a, b, "-o", high, "--threshold", "0.99"])
    low_frame, high_frame = pd.read_csv(low), pd.read_csv(high)
    assert len(high_frame) <= len(low_frame)
    assert (high_frame["score"] >= 0.99).all() and (low_frame["score"] >= 0.01).all()
    many = tmp_path / "many.csv"
    _link([a, b, "-o", many, "--many", "--threshold", "0.01"])
    assert len(pd.read_csv(many)) >= len(low_frame)
    # a pair shown with score s is kept by --threshold s, also where s is a rounded 1.0
    top = low_frame["score"].max()
    exact = tmp_path / "exact.csv"
    _link([a, b, "-o", exact, "--threshold", repr(float(top))])
    shown = set(low_frame.loc[low_frame["score"] == top, "id_a"])
    assert shown and shown <= set(pd.read_csv(exact)["id_a"])


def test_automatic_threshold_cuts_between_written_scores(three):
    folder, (a, b, _) = three
    linkage = linking.link([encoded.read(a), encoded.read(b)])
    result = linkage.pair(0, 1)
    cut = result.threshold.value
    assert cut * 10 ** linking.SCORE_DECIMALS == pytest.approx(round(cut * 10 ** linking.SCORE_DECIMALS), abs=1e-6)
    written = linking.matches_frame(linkage, 0, 1)["score"]
    assert (written >= cut).all()


# --- coordinator safety and schema defaults ---------------------------------------------------------------

def test_split_dir_stays_inside_the_folder(tmp_path, mp_schema):
    secret = keys.generate_secret()
    folder = tmp_path / "work"
    folder.mkdir()
    a = folder / "a.csv"
    pd.DataFrame([_row("a1"), *OTHERS]).to_csv(a, index=False)
    b = folder / "b.csv"
    pd.DataFrame([_row("b1"), *[dict(r, id="b" + r["id"]) for r in OTHERS]]).to_csv(b, index=False)
    encode.encode_file(a, folder / "a.parquet", mp_schema, secret, workers=1)
    encode.encode_file(b, folder / "b.parquet", mp_schema, secret, workers=1, dataset="../escaped")
    split = folder / "split"
    result = CliRunner().invoke(main, ["link", str(folder / "a.parquet"), str(folder / "b.parquet"),
                                       "-o", str(folder / "m.csv"), "--split-dir", str(split)])
    assert not (folder / "escaped.csv").exists()
    assert result.exit_code in (0, 1)
    if result.exit_code == 0:
        assert all(p.parent == split for p in split.iterdir())


def test_schema_linkage_threshold_is_the_default(tmp_path, mp_schema):
    import copy

    document = copy.deepcopy(dict(mp_schema.document))
    document["linkage"] = {"threshold": 0.999999, "fit_weights": True}
    schema = validate.from_document(document)
    secret = keys.generate_secret()
    _encode_rows(tmp_path, "a", [_row("a1"), _row("a2", name="Zarema Magomedva"), *OTHERS], schema, secret)
    _encode_rows(tmp_path, "b", [_row("b1"), _row("b2", name="Zarema Magomedova", date="2013"),
                                     *[dict(r, id="b" + r["id"]) for r in OTHERS]], schema, secret)
    result = CliRunner().invoke(main, ["link", str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet"),
                                       "-o", str(tmp_path / "m.csv")])
    assert result.exit_code == 0
    assert (pd.read_csv(tmp_path / "m.csv")["score"] >= 0.999999).all()
    assert "0.999999" in result.stderr or "1.0000" in result.stderr


def test_candidates_file_holds_every_scored_pair_and_the_matches(three, tmp_path):
    folder, (a, b, _) = three
    matches, candidates = tmp_path / "m.csv", tmp_path / "c.csv"
    _link([a, b, "-o", matches, "--candidates", candidates])
    m = pd.read_csv(matches, dtype={"id_a": str, "id_b": str})
    c = pd.read_csv(candidates, dtype={"id_a": str, "id_b": str})
    assert list(c.columns) == ["id_a", "id_b", "score"]
    assert len(c) >= len(m)
    assert set(zip(m["id_a"], m["id_b"])) <= set(zip(c["id_a"], c["id_b"]))
    assert c["score"].between(0, 1).all()


def test_relatives_share_the_family_columns_not_the_given_ones(tmp_path, mp_schema):
    data = _encode_rows(tmp_path, "a", [_row("a1"), *OTHERS], mp_schema, keys.generate_secret())
    rules = dict(zip((c.name for c in data.columns), linking.ColumnRules.of(data).family))
    assert rules["name"] and rules["name.family"] and not rules["name.given"]
    assert rules["mother_name"] and rules["mother_name.given"]  # the whole field is shared_by_relatives
    assert not rules["birth_date.year"] and not rules["sex"]


def test_parts_of_a_name_weigh_half_when_the_whole_is_a_column(tmp_path, mp_schema):
    data = _encode_rows(tmp_path, "a", [_row("a1"), *OTHERS], mp_schema, keys.generate_secret())
    factor = dict(zip((c.name for c in data.columns), linking.ColumnRules.of(data).factor))
    parts = ("name.given", "name.family", "mother_name.given", "father_name.given")
    assert all(factor[c] == linking.PART_WEIGHT for c in parts)
    assert all(factor[c] == 1.0 for c in factor if c not in parts)


def test_match_share_is_counted_one_to_one(tmp_path, mp_schema, monkeypatch):
    """EM takes namesakes of records without a partner for matches and overestimates the share of
    records that have one (at 100k x 100k: 0.885 where 0.75 is true); the linkage rescores with the
    share its one-to-one posteriors count, which may only lower it."""
    fitted = []
    fit = scoring.fit

    def recording_fit(*args, **kwargs):
        fitted.append(fit(*args, **kwargs))
        return fitted[-1]

    monkeypatch.setattr(scoring, "fit", recording_fit)
    data = synth.generate(2000, seed=0, difficulty="medium", overlap=synth.LEGACY_OVERLAP, version=1)
    secret = keys.generate_secret()
    paths = []
    for name, columns in (("a", ["surname", "given_name", "patronymic"]), ("b", ["full_name"])):
        data.exports[name].to_csv(tmp_path / f"{name}.csv", index=False)
        encode.encode_file(tmp_path / f"{name}.csv", tmp_path / f"{name}.pprl", mp_schema, secret,
                           {"name": columns}, "record_id", name, workers=1)
        paths.append(tmp_path / f"{name}.pprl")
    result = linking.link([encoded.read(p) for p in paths]).pair(0, 1)
    true_share = len(data.truth[("a", "b")]) / len(data.exports["a"])   # 0.75
    assert result.model.share <= fitted[0].share
    assert abs(result.model.share - true_share) < 0.05
