"""Keyed LSH blocking over Bloom filters: CSR shape, determinism, completeness, bucket cap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.agency.bloom import FilterHasher
from pprl.coordinator import blocking
from pprl.encoded import Column, EncodedData

LETTERS = list("abcdefghijklmnopqrstuvwxyz")


def _bigrams(text: str) -> set[str]:
    padded = f"_{text}_"
    return {padded[i:i + 2] for i in range(len(padded) - 1)}


def _typo(rng: np.random.Generator, word: str) -> str:
    i = int(rng.integers(0, len(word)))
    return word[:i] + LETTERS[int(rng.integers(0, 26))] + word[i + 1:]


def _dataset(names: list[str], years: list[int], days: list[int], fingerprint: str = "fp") -> EncodedData:
    name_h = FilterHasher(b"k" * 32, 512, 5)
    year_h = FilterHasher(b"y" * 32, 64, 3)
    day_h = FilterHasher(b"d" * 32, 128, 3)
    bits = np.hstack([
        name_h.encode([frozenset(_bigrams(n)) if n else None for n in names]),
        year_h.encode([frozenset({f"y{y}"}) if y else None for y in years]),
        day_h.encode([frozenset({f"m{d // 100}", f"d{d % 100}"}) if d else None for d in days]),
    ])
    columns = [Column("name", "name", 512), Column("birth_date.year", "birth_date", 64),
               Column("birth_date.month_day", "birth_date", 128)]
    schema = {"fields": [{"name": "name", "type": "string", "weight": 8},
                         {"name": "birth_date", "type": "date", "weight": 5}]}
    header = {"schema": schema, "schema_fingerprint": fingerprint}
    return EncodedData(np.array([f"r{i}" for i in range(len(names))], dtype=object), bits, columns, header)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    n = 3000
    names = ["".join(rng.choice(LETTERS, int(rng.integers(5, 12)))) for _ in range(n)]
    years = [int(y) for y in rng.integers(1950, 2020, n)]
    days = [int(m) * 100 + int(d) for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 29, n))]
    perm = rng.permutation(n)
    b_names, b_years, b_days = [], [], []
    for i in perm:
        name, year, day = names[i], years[i], days[i]
        roll = rng.random()
        if roll < 0.3:
            name = _typo(rng, name)
        elif roll < 0.4:
            year += 1
        elif roll < 0.5:
            day = 0  # missing
        b_names.append(name)
        b_years.append(year)
        b_days.append(day)
    a = _dataset(names, years, days)
    b = _dataset(b_names, b_years, b_days)
    truth_b = np.empty(n, np.int64)
    truth_b[perm] = np.arange(n)
    return a, b, np.arange(n), truth_b


def test_csr_shape_sorted_unique(pair):
    a, b, _, _ = pair
    ptr, idx, method = blocking.candidates(a, b)
    assert method == blocking.METHOD
    assert ptr.dtype == np.int64 and idx.dtype == np.int64
    assert ptr.shape == (len(a.ids) + 1,) and ptr[0] == 0 and ptr[-1] == len(idx)
    assert np.all(np.diff(ptr) >= 0)
    assert idx.min() >= 0 and idx.max() < len(b.ids)
    for i in range(0, len(a.ids), 97):
        row = idx[ptr[i]:ptr[i + 1]]
        assert np.all(np.diff(row) > 0)


def test_finds_true_pairs_with_far_fewer_candidates(pair):
    a, b, ta, tb = pair
    ptr, idx, _ = blocking.candidates(a, b)
    assert blocking.pair_completeness(ptr, idx, ta, tb) >= 0.99
    assert ptr[-1] < 0.05 * len(a.ids) * len(b.ids)


def test_deterministic_and_seeded(pair):
    a, b, _, _ = pair
    first = blocking.candidates(a, b, seed=3)
    blocking._cache.clear()
    again = blocking.candidates(a, b, seed=3)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    other = blocking.candidates(a, b, seed=4)
    assert not (np.array_equal(first[0], other[0]) and np.array_equal(first[1], other[1]))


def test_positions_depend_on_schema_fingerprint(pair):
    a, _, _, _ = pair
    families = blocking.default_families(a)
    keys = blocking.band_keys(a, families)
    other = blocking.band_keys(EncodedData(a.ids, a.bits, a.columns, {**a.header, "schema_fingerprint": "x"}),
                               families)
    minhash = [i for i, _ in enumerate(np.repeat(families, [f.bands for f in families]))][1:]
    assert not np.array_equal(keys[:, minhash], other[:, minhash])


def test_bucket_cap_drops_frequent_buckets():
    names = ["maria"] * 50
    a = _dataset(names, [2000] * 50, [101] * 50)
    b = _dataset(names, [2000] * 50, [101] * 50)
    ptr, idx, _ = blocking.candidates(a, b, max_bucket=60)
    assert ptr[-1] == 50 * 50
    ptr, idx, _ = blocking.candidates(a, b, max_bucket=40)
    assert ptr[-1] == 0


def test_missing_values_never_collide():
    a = _dataset(["", ""], [0, 0], [0, 0])
    b = _dataset(["", ""], [0, 0], [0, 0])
    ptr, idx, _ = blocking.candidates(a, b)
    assert ptr[-1] == 0


def test_pair_completeness():
    ptr = np.array([0, 2, 2, 3], np.int64)
    idx = np.array([1, 4, 0], np.int64)
    assert blocking.pair_completeness(ptr, idx, [0, 0, 2], [1, 4, 0]) == 1.0
    assert blocking.pair_completeness(ptr, idx, [0, 1, 2, 0], [1, 1, 0, 3]) == 0.5
    assert blocking.pair_completeness(ptr, idx, [], []) == 1.0


def test_link_uses_blocking_above_exhaustive_limit(pair):
    from pprl.coordinator import link

    a, b, ta, tb = pair
    result = link.link([a, b], link.LinkOptions(exhaustive_pairs=0)).pair(0, 1)
    assert result.method == blocking.METHOD
    assert result.compared < len(a.ids) * len(b.ids)


def test_iter_candidates_blocks_equal_full_csr(pair):
    a, b = pair[0], pair[1]
    ptr, idx, _ = blocking.candidates(a, b)
    seen = 0
    for start, stop, p, i in blocking.iter_candidates(a, b, block_rows=7):
        assert p[0] == 0 and len(p) == stop - start + 1 and start == seen
        assert np.array_equal(p, ptr[start:stop + 1] - ptr[start])
        assert np.array_equal(i, idx[ptr[start]:ptr[stop]])
        seen = stop
    assert seen == len(a.ids)


def test_default_families_use_given_and_parent_columns(pair):
    used = {name for family in blocking.default_families(pair[0]) for name, _ in family.hashes}
    names = {c.name for c in pair[0].columns}
    for column in ("name", "name.given", "father_name.given", "mother_name.given"):
        assert column in used or column not in names


def test_budget_keeps_the_best_few_per_row(pair):
    a, b, ta, tb = pair
    ptr, idx, _ = blocking.candidates(a, b, budget=5)
    assert np.diff(ptr).max() <= 5
    assert blocking.pair_completeness(ptr, idx, ta, tb) >= 0.97  # the true partner ranks high
    full, full_idx, _ = blocking.candidates(a, b, budget=10**6)
    for i in range(0, len(a.ids), 53):  # a subset of the pairs met in the bands
        assert np.isin(idx[ptr[i]:ptr[i + 1]], full_idx[full[i]:full[i + 1]]).all()


def test_budget_zero_keeps_every_pair_met(pair):
    a, b, ta, tb = pair
    ranked = blocking.candidates(a, b, budget=10**6, max_bucket=blocking.MAX_BUCKET)
    union = blocking.candidates(a, b, budget=0)
    # without a budget, buckets too big on A's side are dropped as well; none is here
    assert np.array_equal(ranked[0], union[0]) and np.array_equal(ranked[1], union[1])


def test_ranked_blocks_do_not_depend_on_block_size(pair):
    a, b = pair[0], pair[1]
    whole = list(blocking.iter_candidates(a, b, budget=7, block_rows=len(a.ids)))[0]
    ptrs, idxs = [np.zeros(1, np.int64)], []
    for _, _, p, i in blocking.iter_candidates(a, b, budget=7, block_rows=13):
        ptrs.append(p[1:] + ptrs[-1][-1])
        idxs.append(i)
    assert np.array_equal(np.concatenate(ptrs), whole[2]) and np.array_equal(np.concatenate(idxs), whole[3])


def test_signature_pre_score_orders_by_similarity(pair):
    a = pair[0]
    sig, plan = blocking.signatures(a)
    same = blocking._pre_score(sig, 0, sig, 0, *plan[:5])
    other = min(blocking._pre_score(sig, 0, sig, j, *plan[:5]) for j in range(1, 50))
    assert same > other >= 1 - plan[4]  # an identical record scores highest


def test_huge_budget_needs_no_huge_buffer(pair):
    a, b = pair[0], pair[1]
    ptr, idx, _ = blocking.candidates(a, b, budget=10**12)  # would be n x budget int64 otherwise
    assert ptr[-1] == len(idx) and ptr[-1] > 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1]), min_size=1, max_size=200),
       st.lists(st.integers(1, 2**64 - 1) | st.sampled_from([1, 2**63, 2**64 - 1]), min_size=1, max_size=50),
       st.integers(1, 8))
def test_bucket_lookup_through_the_prefix_index_equals_a_binary_search(b_keys, a_keys, bits):
    """The band keys' range of B rows is the same as np.searchsorted over all of B finds, whatever
    the keys (repeated, 0 for missing, at either end of the range) and the slots per band."""
    sorted_b = np.sort(np.array([b_keys, b_keys[::-1]], np.uint64), axis=1)
    shift = np.uint64(64 - bits)
    prefix = np.empty((2, (1 << bits) + 1), np.int64)
    blocking._prefix_index(sorted_b, shift, prefix)
    ka = np.array([a_keys, a_keys[::-1]], np.uint64).T.copy()
    lo, hi = np.empty(ka.shape, np.int64), np.empty(ka.shape, np.int64)
    counts = np.empty(len(ka), np.int64)
    blocking._block_count(ka, sorted_b, prefix, shift, lo, hi, counts)
    for band in range(2):
        np.testing.assert_array_equal(lo[:, band], np.searchsorted(sorted_b[band], ka[:, band], "left"))
        np.testing.assert_array_equal(hi[:, band], np.searchsorted(sorted_b[band], ka[:, band], "right"))
    np.testing.assert_array_equal(counts, (hi - lo).sum(axis=1))
