"""Tests of pprl.coordinator.solving: one-to-one, many, top-k and multi-party clusters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.coordinator import solving


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:03d}" for i in range(n)], dtype=object)


def _as_pairs(idx, ia, ib, ids_a, ids_b):
    return [(ids_a[ia[k]], ids_b[ib[k]]) for k in idx]


def _shuffle(rng, ia, ib, score, ids_a, ids_b):
    """Permute both the pair list and the rows of each dataset (IDs move with their rows)."""
    pa = rng.permutation(len(ids_a))
    pb = rng.permutation(len(ids_b))
    inv_a = np.argsort(pa)
    inv_b = np.argsort(pb)
    order = rng.permutation(len(ia))
    return inv_a[ia[order]], inv_b[ib[order]], score[order], ids_a[pa], ids_b[pb]


# ---------------------------------------------------------------- one-to-one

def test_greedy_hand_example():
    ids_a, ids_b = _ids("a", 2), _ids("b", 2)
    ia = np.array([0, 0, 1, 1])
    ib = np.array([0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.85, 0.1])
    keep = solving.one_to_one(ia, ib, score, ids_a, ids_b)
    assert _as_pairs(keep, ia, ib, ids_a, ids_b) == [("a000", "b000"), ("a001", "b001")]


def test_optimal_maximises_total_score():
    ids_a, ids_b = _ids("a", 2), _ids("b", 2)
    ia = np.array([0, 0, 1, 1])
    ib = np.array([0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.85, 0.1])
    keep = solving.one_to_one(ia, ib, score, ids_a, ids_b, method="optimal")
    assert sorted(_as_pairs(keep, ia, ib, ids_a, ids_b)) == [("a000", "b001"), ("a001", "b000")]
    assert score[keep].sum() == pytest.approx(1.65)


def test_optimal_leaves_records_unmatched_when_better():
    # a0-b0 alone (0.9) beats nothing; a1 has no candidate; b1 only pairs with a0 weakly.
    ia = np.array([0, 0])
    ib = np.array([0, 1])
    score = np.array([0.9, 0.2])
    keep = solving.one_to_one(ia, ib, score, _ids("a", 2), _ids("b", 2), method="optimal")
    assert keep.tolist() == [0]


def test_ties_broken_by_ids_not_row_order():
    # Every pair scores the same: the greedy picks by ID of a, then ID of b.
    ids_a = np.array(["z", "m", "a"], dtype=object)
    ids_b = np.array(["y", "c", "k"], dtype=object)
    ia, ib = map(np.ravel, np.meshgrid(np.arange(3), np.arange(3), indexing="ij"))
    score = np.full(9, 0.7)
    keep = solving.one_to_one(ia, ib, score, ids_a, ids_b)
    assert _as_pairs(keep, ia, ib, ids_a, ids_b) == [("a", "c"), ("m", "k"), ("z", "y")]
    rng = np.random.default_rng(1)
    for _ in range(10):
        sa, sb, ss, sida, sidb = _shuffle(rng, ia, ib, score, ids_a, ids_b)
        k2 = solving.one_to_one(sa, sb, ss, sida, sidb)
        assert _as_pairs(k2, sa, sb, sida, sidb) == [("a", "c"), ("m", "k"), ("z", "y")]


def test_empty_input():
    e = np.zeros(0, dtype=np.int64)
    for method in ("greedy", "optimal"):
        assert solving.one_to_one(e, e, np.zeros(0), _ids("a", 0), _ids("b", 0), method=method).size == 0
    assert solving.many(e, e, np.zeros(0)).size == 0
    idx, rank = solving.top_k(e, e, np.zeros(0), 3)
    assert idx.size == 0 and rank.size == 0


def test_bad_input_rejected():
    with pytest.raises(ValueError):
        solving.one_to_one([0], [0, 1], [0.5, 0.5])
    with pytest.raises(ValueError):
        solving.one_to_one([0], [0], [np.nan])
    with pytest.raises(ValueError):
        solving.one_to_one([0], [0], [0.5], method="magic")


@st.composite
def scored_pairs(draw, max_n=8, tie_heavy=True):
    na = draw(st.integers(1, max_n))
    nb = draw(st.integers(1, max_n))
    cells = list(itertools.product(range(na), range(nb)))
    chosen = draw(st.lists(st.sampled_from(cells), unique=True, max_size=len(cells)))
    levels = st.sampled_from([0.1, 0.5, 0.5, 0.9, 1.0]) if tie_heavy else st.floats(0, 1)
    score = np.array(draw(st.lists(levels, min_size=len(chosen), max_size=len(chosen))), dtype=float)
    ia = np.array([c[0] for c in chosen], dtype=np.int64)
    ib = np.array([c[1] for c in chosen], dtype=np.int64)
    seed = draw(st.integers(0, 2**31))
    return ia, ib, score, _ids("a", na), _ids("b", nb), seed


@settings(max_examples=150, deadline=None)
@given(scored_pairs())
def test_one_to_one_properties(data):
    ia, ib, score, ids_a, ids_b, seed = data
    rng = np.random.default_rng(seed)
    for method in ("greedy", "optimal"):
        keep = solving.one_to_one(ia, ib, score, ids_a, ids_b, method=method)
        # never reuses a record
        assert len(set(ia[keep].tolist())) == len(keep)
        assert len(set(ib[keep].tolist())) == len(keep)
        pairs = _as_pairs(keep, ia, ib, ids_a, ids_b)
        sa, sb, ss, sida, sidb = _shuffle(rng, ia, ib, score, ids_a, ids_b)
        k2 = solving.one_to_one(sa, sb, ss, sida, sidb, method=method)
        total = score[keep].sum()
        assert ss[k2].sum() == pytest.approx(total)
        if method == "greedy":
            # permutation invariance: the very same pairs, in the same order
            assert _as_pairs(k2, sa, sb, sida, sidb) == pairs
            # maximal: every unused pair touches a used record
            used_a, used_b = set(ia[keep].tolist()), set(ib[keep].tolist())
            assert all(a in used_a or b in used_b for a, b in zip(ia.tolist(), ib.tolist()))
        else:
            greedy = solving.one_to_one(ia, ib, score, ids_a, ids_b)
            assert total >= score[greedy].sum() - 1e-9


@settings(max_examples=60, deadline=None)
@given(scored_pairs(max_n=5, tie_heavy=False))
def test_optimal_matches_brute_force(data):
    ia, ib, score, ids_a, ids_b, _ = data
    best = 0.0
    n = len(ia)
    if n > 12:
        return
    for mask in range(1 << n):
        sel = [k for k in range(n) if mask >> k & 1]
        if len(set(ia[sel].tolist())) == len(sel) and len(set(ib[sel].tolist())) == len(sel):
            best = max(best, float(score[sel].sum()))
    keep = solving.one_to_one(ia, ib, score, ids_a, ids_b, method="optimal")
    assert score[keep].sum() == pytest.approx(best, abs=1e-9)


# ---------------------------------------------------------------- many / top-k

@settings(max_examples=80, deadline=None)
@given(scored_pairs())
def test_many_is_all_pairs_in_canonical_order(data):
    ia, ib, score, ids_a, ids_b, seed = data
    idx = solving.many(ia, ib, score, ids_a, ids_b)
    assert sorted(idx.tolist()) == list(range(len(ia)))
    rows = [(-score[k], ids_a[ia[k]], ids_b[ib[k]]) for k in idx]
    assert rows == sorted(rows)
    sa, sb, ss, sida, sidb = _shuffle(np.random.default_rng(seed), ia, ib, score, ids_a, ids_b)
    idx2 = solving.many(sa, sb, ss, sida, sidb)
    assert [(ss[k], sida[sa[k]], sidb[sb[k]]) for k in idx2] == [(score[k], ids_a[ia[k]], ids_b[ib[k]]) for k in idx]


def test_top_k_hand_example():
    ids_a, ids_b = _ids("a", 2), _ids("b", 3)
    ia = np.array([1, 0, 0, 0, 1])
    ib = np.array([0, 0, 1, 2, 2])
    score = np.array([0.3, 0.5, 0.9, 0.5, 0.8])
    idx, rank = solving.top_k(ia, ib, score, 2, ids_a, ids_b)
    got = [(ids_a[ia[k]], ids_b[ib[k]], int(r)) for k, r in zip(idx, rank)]
    assert got == [("a000", "b001", 1), ("a000", "b000", 2), ("a001", "b002", 1), ("a001", "b000", 2)]
    with pytest.raises(ValueError):
        solving.top_k(ia, ib, score, 0)


@settings(max_examples=80, deadline=None)
@given(scored_pairs(), st.integers(1, 4))
def test_top_k_properties(data, k):
    ia, ib, score, ids_a, ids_b, seed = data
    idx, rank = solving.top_k(ia, ib, score, k, ids_a, ids_b)
    for a in set(ia.tolist()):
        mine = [r for j, r in zip(idx, rank) if ia[j] == a]
        assert mine == list(range(1, min(k, int((ia == a).sum())) + 1))
        kept_scores = [score[j] for j in idx if ia[j] == a]
        assert min(kept_scores) >= np.sort(score[ia == a])[::-1][len(kept_scores) - 1]
    sa, sb, ss, sida, sidb = _shuffle(np.random.default_rng(seed), ia, ib, score, ids_a, ids_b)
    idx2, rank2 = solving.top_k(sa, sb, ss, k, sida, sidb)
    assert [(sida[sa[j]], sidb[sb[j]], r) for j, r in zip(idx2, rank2)] == \
        [(ids_a[ia[j]], ids_b[ib[j]], r) for j, r in zip(idx, rank)]


# ---------------------------------------------------------------- clusters

def test_clusters_hand_example():
    ids = [_ids("a", 2), _ids("b", 2), _ids("c", 1)]
    edges = {
        (0, 1): (np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0.9, 0.8, 0.85, 0.1])),
        (1, 2): (np.array([0]), np.array([0]), np.array([0.95])),
        (2, 0): (np.array([0]), np.array([1]), np.array([0.99])),  # reversed orientation
    }
    table = solving.clusters(edges, [2, 2, 1], ids)
    got = [(c, ids[d][r]) for c, d, r in zip(table.cluster_id, table.dataset, table.row)]
    # a001-c000 (0.99), b000-c000 (0.95) merge; a000-b000 (0.9) refused (two records of dataset a);
    # a000-b001 (0.8) forms the second cluster, numbered first by its smallest member a000.
    assert got == [("C000001", "a000"), ("C000001", "b001"),
                   ("C000002", "a001"), ("C000002", "b000"), ("C000002", "c000")]
    assert table.score.tolist() == pytest.approx([0.8, 0.8, 0.95, 0.95, 0.95])


def test_clusters_singletons_and_empty():
    table = solving.clusters({}, [2, 1], [_ids("a", 2), _ids("b", 1)])
    assert len(table) == 0 and list(table.columns) == ["cluster_id", "dataset", "row", "score"]
    table = solving.clusters({}, [2, 1], [_ids("a", 2), _ids("b", 1)], min_size=1)
    assert table.cluster_id.tolist() == ["C000001", "C000002", "C000003"]


@st.composite
def multi_party(draw):
    nd = draw(st.integers(2, 4))
    sizes = [draw(st.integers(1, 5)) for _ in range(nd)]
    edges = {}
    for d1, d2 in itertools.combinations(range(nd), 2):
        cells = list(itertools.product(range(sizes[d1]), range(sizes[d2])))
        chosen = draw(st.lists(st.sampled_from(cells), unique=True, max_size=len(cells)))
        sc = draw(st.lists(st.sampled_from([0.2, 0.6, 0.6, 0.95]), min_size=len(chosen), max_size=len(chosen)))
        edges[(d1, d2)] = (np.array([c[0] for c in chosen], dtype=np.int64),
                           np.array([c[1] for c in chosen], dtype=np.int64), np.array(sc, dtype=float))
    ids = [_ids(f"d{d}_", n) for d, n in enumerate(sizes)]
    return edges, sizes, ids, draw(st.integers(0, 2**31))


def _cluster_sets(table, ids):
    out = {}
    for c, d, r in zip(table.cluster_id, table.dataset, table.row):
        out.setdefault(c, []).append((int(d), ids[d][r]))
    return out


@settings(max_examples=150, deadline=None)
@given(multi_party())
def test_clusters_properties(data):
    edges, sizes, ids, seed = data
    table = solving.clusters(edges, sizes, ids)
    sets = _cluster_sets(table, ids)
    for members in sets.values():
        datasets = [d for d, _ in members]
        assert len(datasets) == len(set(datasets)), "two records of one dataset in a cluster"
        assert len(members) >= 2
    # every record in at most one cluster
    flat = [m for ms in sets.values() for m in ms]
    assert len(flat) == len(set(flat))
    # IDs numbered by smallest member
    smallest = [min(ms) for _, ms in sorted(sets.items())]
    assert smallest == sorted(smallest)

    # permutation invariance: shuffle the rows of every dataset, the edge lists, and orientation
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(n) for n in sizes]
    inv = [np.argsort(p) for p in perms]
    new_ids = [ids[d][perms[d]] for d in range(len(sizes))]
    new_edges = {}
    for (d1, d2), (ea, eb, es) in edges.items():
        o = rng.permutation(len(ea))
        na, nb = inv[d1][ea[o]], inv[d2][eb[o]]
        if rng.random() < 0.5:
            new_edges[(d2, d1)] = (nb, na, es[o])
        else:
            new_edges[(d1, d2)] = (na, nb, es[o])
    table2 = solving.clusters(new_edges, sizes, new_ids)
    assert _cluster_sets(table2, new_ids) == sets
    assert table2.score.tolist() == pytest.approx(table.score.tolist())
