"""Turning scored candidate pairs into matches: one-to-one, many, top-k, multi-party clusters.

Pairs are parallel arrays ``ia, ib`` (int64 row indices into datasets a and b) and ``score``
(float64 in [0, 1]). Every function here is deterministic and independent of the order of the
input pairs: ties are broken by the record ID strings (a first, then b), and only when IDs are
missing or duplicated by the row indices. Results are indices into the input arrays.

Default one-to-one method is ``"greedy"`` (descending score, each record used at most once).
``"optimal"`` maximises the total score exactly (``min_weight_full_bipartite_matching`` on a graph
augmented so that records may stay unmatched). When a relative's record outscores a true pair,
optimal recovers the displaced pair; when a true pair has two confusers to unpaired records, optimal
trades the confident pair for two mediocre false ones. Greedy never makes that trade, is faster and is
the usual PPRL choice (``benchmarks/bench_solving.py``; figures: ``docs/design.md``, Measurements).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["one_to_one", "many", "top_k", "clusters", "id_ranks", "pair_order"]


# ---------------------------------------------------------------- helpers

def _check_pairs(ia, ib, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ia = np.asarray(ia, dtype=np.int64).ravel()
    ib = np.asarray(ib, dtype=np.int64).ravel()
    score = np.asarray(score, dtype=np.float64).ravel()
    if not (len(ia) == len(ib) == len(score)):
        raise ValueError("ia, ib and score must have the same length")
    if len(ia) and (ia.min() < 0 or ib.min() < 0):
        raise ValueError("row indices must be non-negative")
    if not np.all(np.isfinite(score)):
        raise ValueError("scores must be finite")
    return ia, ib, score


def id_ranks(ids, n: int | None = None) -> np.ndarray:
    """Rank of each record's ID among all IDs of its dataset (equal IDs share a rank).

    With ``ids=None`` the rank is the row index itself (``n`` rows).
    """
    if ids is None:
        if n is None:
            raise ValueError("n is needed when ids is None")
        return np.arange(n, dtype=np.int64)
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iuUS":
        arr = np.asarray([str(x) for x in arr.tolist()], dtype=object)
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    _, inverse = np.unique(arr, return_inverse=True)
    return inverse.astype(np.int64).ravel()


def _ranks_for(ids, idx: np.ndarray) -> np.ndarray:
    n = int(idx.max()) + 1 if len(idx) else 0
    ranks = id_ranks(ids, n)
    if len(idx) and int(idx.max()) >= len(ranks):
        raise ValueError("row index beyond the given IDs")
    return ranks


def pair_order(ia, ib, score, ids_a=None, ids_b=None) -> np.ndarray:
    """Indices sorting the pairs by descending score, then ID of a, then ID of b (then rows)."""
    ia, ib, score = _check_pairs(ia, ib, score)
    ra = _ranks_for(ids_a, ia)
    rb = _ranks_for(ids_b, ib)
    if len(ia) == 0:
        return np.zeros(0, dtype=np.int64)
    # np.lexsort: the last key is the primary one.
    return np.lexsort((ib, ia, rb[ib], ra[ia], -score)).astype(np.int64)


# ---------------------------------------------------------------- two datasets

def one_to_one(ia, ib, score, ids_a=None, ids_b=None, method: str = "greedy") -> np.ndarray:
    """Indices of the kept pairs such that every record of a and of b is used at most once.

    ``method="greedy"``: take pairs by descending score (ties by ID of a, then ID of b), skipping
    any pair whose a or b record is already used. ``method="optimal"``: a matching of maximum
    total score. The result is ordered like :func:`pair_order`.
    """
    ia, ib, score = _check_pairs(ia, ib, score)
    order = pair_order(ia, ib, score, ids_a, ids_b)
    if method == "greedy":
        keep = _greedy(order, ia, ib)
    elif method == "optimal":
        keep = _optimal(order, ia, ib, score, ids_a, ids_b)
    else:
        raise ValueError(f"unknown one-to-one method {method!r} (greedy, optimal)")
    # Report in the canonical order.
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    return keep[np.argsort(pos[keep], kind="stable")]


def _greedy(order: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    if len(order) == 0:
        return np.zeros(0, dtype=np.int64)
    used_a = np.zeros(int(ia.max()) + 1, dtype=bool)
    used_b = np.zeros(int(ib.max()) + 1, dtype=bool)
    keep = []
    append = keep.append
    ua = used_a.tolist()
    ub = used_b.tolist()
    for k, a, b in zip(order.tolist(), ia[order].tolist(), ib[order].tolist()):
        if ua[a] or ub[b]:
            continue
        ua[a] = True
        ub[b] = True
        append(k)
    return np.asarray(keep, dtype=np.int64)


def _optimal(order, ia, ib, score, ids_a, ids_b) -> np.ndarray:
    """Maximum-total-score matching in which records may stay unmatched.

    Rows are A ∪ B', columns B ∪ A' (primed = dummy copies). Edges: (a, b) for every candidate pair,
    (a, a') "a unmatched", (b', b) "b unmatched", and (b', a') for every candidate pair so that a
    matched pair's dummies can pair up. Every full matching has |A| + |B| edges, so adding the
    constant 2 to all weights keeps the optimum while keeping them positive (no explicit zeros):
    a pair costs (2 - s) + 2 against 2 + 2 for leaving both records unmatched.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    if len(order) == 0:
        return np.zeros(0, dtype=np.int64)
    # First occurrence in canonical order of each (a, b): the best-scoring duplicate.
    seen = {}
    for k, a, b in zip(order.tolist(), ia[order].tolist(), ib[order].tolist()):
        seen.setdefault((a, b), k)
    cand = np.fromiter(seen.values(), dtype=np.int64, count=len(seen))
    # Compact node numbering ordered by ID rank, so the graph does not depend on input order.
    ra = _ranks_for(ids_a, ia)
    rb = _ranks_for(ids_b, ib)
    ua = np.unique(ia[cand])
    ub = np.unique(ib[cand])
    ua = ua[np.lexsort((ua, ra[ua]))]
    ub = ub[np.lexsort((ub, rb[ub]))]
    ma = np.empty(int(ia.max()) + 1, dtype=np.int64)
    ma[ua] = np.arange(len(ua))
    mb = np.empty(int(ib.max()) + 1, dtype=np.int64)
    mb[ub] = np.arange(len(ub))
    # Edge list in canonical order for determinism.
    cand = cand[np.lexsort((mb[ib[cand]], ma[ia[cand]]))]
    a = ma[ia[cand]]
    b = mb[ib[cand]]
    na, nb = len(ua), len(ub)
    ar_a = np.arange(na)
    ar_b = np.arange(nb)
    rows = np.concatenate([a, ar_a, na + ar_b, na + b])
    cols = np.concatenate([b, nb + ar_a, ar_b, nb + a])
    w = np.concatenate([2.0 - score[cand], np.full(na, 2.0), np.full(nb, 2.0), np.full(len(a), 2.0)])
    graph = coo_matrix((w, (rows, cols)), shape=(na + nb, na + nb)).tocsr()
    _, col_of_row = min_weight_full_bipartite_matching(graph)
    col_of_row = np.asarray(col_of_row)[:na]
    matched = col_of_row < nb
    key_sel = ar_a[matched] * nb + col_of_row[matched]
    keys = a * nb + b
    srt = np.argsort(keys)
    pos = np.searchsorted(keys[srt], key_sel)
    return cand[srt[pos]]


def many(ia, ib, score, ids_a=None, ids_b=None) -> np.ndarray:
    """All pairs (one-to-many, many-to-many), in the canonical order of :func:`pair_order`."""
    return pair_order(ia, ib, score, ids_a, ids_b)


def top_k(ia, ib, score, k: int, ids_a=None, ids_b=None) -> tuple[np.ndarray, np.ndarray]:
    """For each record of a its ``k`` best candidates, for human review.

    Returns ``(idx, rank)``: indices of the kept pairs ordered by ID of a then rank, and the rank
    (1 = best) of each among the candidates of its a record (ties broken by ID of b).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    ia, ib, score = _check_pairs(ia, ib, score)
    if len(ia) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ra = _ranks_for(ids_a, ia)
    rb = _ranks_for(ids_b, ib)
    order = np.lexsort((ib, rb[ib], -score, ia, ra[ia]))
    grp = ia[order]
    start = np.r_[True, grp[1:] != grp[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - first + 1
    sel = rank <= k
    return order[sel].astype(np.int64), rank[sel].astype(np.int64)


# ---------------------------------------------------------------- several datasets

def clusters(
    edges: Mapping[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]],
    sizes: Sequence[int],
    ids: Sequence | None = None,
    *,
    min_size: int = 2,
) -> pd.DataFrame:
    """Multi-party clusters holding at most one record per dataset.

    ``edges[(d1, d2)] = (ia, ib, score)`` scores rows ``ia`` of dataset ``d1`` against rows ``ib``
    of dataset ``d2``. All edges are taken by descending score (ties by dataset index and record ID
    of the lower-numbered dataset's record, then of the other) and joined with union-find; a merge
    that would put two records of one dataset into one cluster is refused.

    Returns a DataFrame with columns ``cluster_id`` (``C000001``... numbered by each cluster's
    smallest member ``(dataset, ID)``), ``dataset``, ``row`` and ``score`` (the weakest merge that
    built the cluster), one row per member, sorted by cluster then dataset. Clusters with fewer
    than ``min_size`` members are left out (``min_size=1`` keeps singletons).
    """
    nd = len(sizes)
    sizes = [int(s) for s in sizes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    total = int(offsets[-1])
    id_lists = [None] * nd if ids is None else list(ids)
    if len(id_lists) != nd:
        raise ValueError("ids must have one entry per dataset")
    ranks = [id_ranks(id_lists[d], sizes[d]) for d in range(nd)]
    for d in range(nd):
        if len(ranks[d]) != sizes[d]:
            raise ValueError(f"dataset {d}: {len(ranks[d])} IDs for {sizes[d]} rows")
    node_rank = np.concatenate(ranks) if nd else np.zeros(0, dtype=np.int64)
    node_ds = np.repeat(np.arange(nd, dtype=np.int64), sizes)

    gu, gv, gs = [], [], []
    for (d1, d2), (ea, eb, es) in edges.items():
        d1, d2 = int(d1), int(d2)
        if d1 == d2 or not (0 <= d1 < nd and 0 <= d2 < nd):
            raise ValueError(f"bad dataset pair {(d1, d2)}")
        ea, eb, es = _check_pairs(ea, eb, es)
        if len(ea) and (ea.max() >= sizes[d1] or eb.max() >= sizes[d2]):
            raise ValueError(f"row index beyond dataset size for pair {(d1, d2)}")
        u, v = ea + offsets[d1], eb + offsets[d2]
        if d1 > d2:
            u, v = v, u
        gu.append(u)
        gv.append(v)
        gs.append(es)
    if gu:
        u = np.concatenate(gu)
        v = np.concatenate(gv)
        s = np.concatenate(gs)
    else:
        u = v = np.zeros(0, dtype=np.int64)
        s = np.zeros(0, dtype=np.float64)
    order = np.lexsort((v, u, node_rank[v], node_ds[v], node_rank[u], node_ds[u], -s))

    parent = list(range(total))
    mask = [1 << int(d) for d in node_ds.tolist()]
    weakest = [1.0] * total

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b, sc in zip(u[order].tolist(), v[order].tolist(), s[order].tolist()):
        ra_, rb_ = find(a), find(b)
        if ra_ == rb_ or mask[ra_] & mask[rb_]:
            continue
        if ra_ > rb_:
            ra_, rb_ = rb_, ra_
        parent[rb_] = ra_
        mask[ra_] |= mask[rb_]
        weakest[ra_] = min(weakest[ra_], weakest[rb_], sc)

    roots = np.fromiter((find(x) for x in range(total)), dtype=np.int64, count=total)
    counts = np.bincount(roots, minlength=total) if total else np.zeros(0, dtype=np.int64)
    members = np.flatnonzero(counts[roots] >= min_size) if total else np.zeros(0, dtype=np.int64)
    if len(members) == 0:
        return pd.DataFrame({
            "cluster_id": pd.Series([], dtype=object), "dataset": pd.Series([], dtype=np.int64),
            "row": pd.Series([], dtype=np.int64), "score": pd.Series([], dtype=np.float64),
        })
    m_root = roots[members]
    m_ds = node_ds[members]
    m_rank = node_rank[members]
    # Smallest member key of each cluster: (dataset, ID rank, node).
    o = np.lexsort((members, m_rank, m_ds))
    uniq_roots, first_pos = np.unique(m_root[o], return_index=True)
    key_order = np.argsort(first_pos, kind="stable")  # clusters by their smallest member
    number = np.empty(len(uniq_roots), dtype=np.int64)
    number[key_order] = np.arange(1, len(uniq_roots) + 1)
    cnum = number[np.searchsorted(uniq_roots, m_root)]
    width = max(6, len(str(len(uniq_roots))))
    final = np.lexsort((m_rank, m_ds, cnum))
    cnum = cnum[final]
    members = members[final]
    m_root = m_root[final]
    m_ds = m_ds[final]
    weak = np.asarray(weakest, dtype=np.float64)[m_root]
    if min_size <= 1:
        weak = np.where(counts[m_root] == 1, np.nan, weak)
    return pd.DataFrame({
        "cluster_id": [f"C{c:0{width}d}" for c in cnum.tolist()],
        "dataset": m_ds.astype(np.int64),
        "row": (members - offsets[m_ds]).astype(np.int64),
        "score": weak,
    })
