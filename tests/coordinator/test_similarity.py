"""The popcount kernels against plain numpy references (np.bitwise_count)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pprl.coordinator import similarity as sim

NBINS = 10


# ------------------------------------------------------------------------------------------
# data and references
# ------------------------------------------------------------------------------------------
def random_filters(rng, n, widths, density=0.4, missing=0.2, empty=0.05):
    """Filters of len(widths) fields (width in 64-bit words); some fields missing (all zero)."""
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    nbits = int(offsets[-1]) * 64
    dens = rng.uniform(density / 2, min(1.0, density * 1.5), size=(n, 1))
    bits = np.packbits(rng.random((n, nbits)) < dens, axis=1, bitorder="little").view(np.uint64)
    bits = np.ascontiguousarray(bits.reshape(n, int(offsets[-1])))
    for f in range(len(widths)):
        gone = rng.random(n) < missing
        bits[gone, offsets[f]:offsets[f + 1]] = 0
    bits[rng.random(n) < empty] = 0
    return bits, offsets


def with_duplicates(rng, bits, frac=0.3):
    """Copy some rows onto others so identical scores (ties) occur."""
    bits = bits.copy()
    n = bits.shape[0]
    k = int(n * frac)
    src = rng.integers(0, n, k)
    dst = rng.integers(0, n, k)
    bits[dst] = bits[src]
    return bits


def ref_popcounts(bits, offsets):
    return np.stack(
        [np.bitwise_count(bits[:, offsets[f]:offsets[f + 1]]).sum(axis=1, dtype=np.int64)
         for f in range(len(offsets) - 1)], axis=1).astype(np.int32)


def ref_inter(a, b, lo, hi):
    return np.bitwise_count(a[:, None, lo:hi] & b[None, :, lo:hi]).sum(axis=-1, dtype=np.int64)


def ref_scores(bits_a, bits_b, offsets, table, prior):
    pa, pb = ref_popcounts(bits_a, offsets), ref_popcounts(bits_b, offsets)
    s = np.full((bits_a.shape[0], bits_b.shape[0]), float(prior))
    nb = table.shape[1]
    for f in range(len(offsets) - 1):
        inter = ref_inter(bits_a, bits_b, offsets[f], offsets[f + 1])
        tot = pa[:, f][:, None].astype(np.int64) + pb[:, f][None, :]
        ok = (pa[:, f][:, None] > 0) & (pb[:, f][None, :] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(ok, 2.0 * inter / np.where(tot == 0, 1, tot), 0.0)
        k = np.minimum((d * nb).astype(np.int64), nb - 1)
        s = s + np.where(ok, table[f][k], 0.0)
    return s


def ref_select(s, keep, top_k):
    """Pairs (i, j, s[i, j]) with keep[i, j], sorted (i, -s, j), at most top_k per row."""
    ia, ib, sc = [], [], []
    for i in range(s.shape[0]):
        js = np.flatnonzero(keep[i])
        order = np.lexsort((js, -s[i, js]))
        js = js[order]
        if top_k > 0:
            js = js[:top_k]
        ia.extend([i] * len(js))
        ib.extend(js.tolist())
        sc.extend(s[i, js].tolist())
    return np.array(ia, np.int64), np.array(ib, np.int64), np.array(sc, np.float64)


def assert_pairs_equal(got, want):
    assert got[0].dtype == np.int64 and got[1].dtype == np.int64 and got[2].dtype == np.float64
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # the kernel adds the fields' evidence strongest field first, the reference in schema order:
    # the sums may differ in the last bit
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12, atol=1e-12)


def make_case(seed, na=60, nb=45, widths=(2, 1, 4, 1, 3)):
    rng = np.random.default_rng(seed)
    a, offsets = random_filters(rng, na, widths)
    b, _ = random_filters(rng, nb, widths)
    b[: min(na, nb) // 3] = a[: min(na, nb) // 3]  # some exact matches
    b = with_duplicates(rng, b)
    # integer-valued table: many exactly tied sums
    table = rng.integers(-4, 5, size=(len(widths), NBINS)).astype(np.float64)
    table.sort(axis=1)
    return a, b, offsets, table


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Small blocks so that block boundaries, adaptation and overflow paths are exercised."""
    monkeypatch.setattr(sim, "_BLOCK_ROWS", 17)
    monkeypatch.setattr(sim, "_FIRST_BLOCK_ROWS", 5)


# ------------------------------------------------------------------------------------------
# popcounts / field_dice
# ------------------------------------------------------------------------------------------
def test_popcounts_matches_numpy():
    rng = np.random.default_rng(1)
    bits, offsets = random_filters(rng, 123, (1, 3, 2, 16))
    pc = sim.popcounts(bits, offsets)
    assert pc.dtype == np.int32 and pc.shape == (123, 4)
    np.testing.assert_array_equal(pc, ref_popcounts(bits, offsets))


def test_popcounts_all_ones_and_zero_width_field():
    bits = np.full((3, 4), np.uint64(2**64 - 1), dtype=np.uint64)
    pc = sim.popcounts(bits, [0, 1, 1, 4])
    np.testing.assert_array_equal(pc, [[64, 0, 192]] * 3)


def test_field_dice_matches_numpy_and_nan_for_missing():
    a, b, offsets, _ = make_case(2)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    rng = np.random.default_rng(3)
    ia = rng.integers(0, a.shape[0], 500)
    ib = rng.integers(0, b.shape[0], 500)
    got = sim.field_dice(a, pa, b, pb, offsets, ia, ib)
    assert got.dtype == np.float32 and got.shape == (500, 5)
    for f in range(5):
        lo, hi = offsets[f], offsets[f + 1]
        inter = np.bitwise_count(a[ia, lo:hi] & b[ib, lo:hi]).sum(axis=1)
        tot = pa[ia, f].astype(np.int64) + pb[ib, f]
        missing = (pa[ia, f] == 0) | (pb[ib, f] == 0)
        assert missing.any() and (~missing).any()
        want = np.where(missing, np.nan, 2.0 * inter / np.maximum(tot, 1)).astype(np.float32)
        np.testing.assert_array_equal(got[:, f], want)


def test_field_dice_identical_filters_is_one():
    a, _, offsets, _ = make_case(4)
    pa = sim.popcounts(a, offsets)
    d = sim.field_dice(a, pa, a, pa, offsets, np.arange(len(a)), np.arange(len(a)))
    np.testing.assert_array_equal(d[pa > 0], 1.0)
    assert np.isnan(d[pa == 0]).all()


def test_field_bins_bin_as_the_score_kernels_do():
    """Every pair's per-field bins, looked up in a table, sum to the score the kernel ranks by."""
    a, b, offsets, table = make_case(5)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    ia, ib, score = sim.score_all(a, pa, b, pb, offsets, table, 0.0, -np.inf, 0)
    binned = sim.field_bins(a, pa, b, pb, offsets, ia, ib, NBINS)
    assert binned.dtype == np.int8 and binned.min() >= -1 and binned.max() < NBINS
    looked_up = np.where(binned >= 0, table[np.arange(table.shape[0]), np.maximum(binned, 0)], 0.0)
    np.testing.assert_allclose(looked_up.sum(axis=1), score)
    dice = sim.field_dice(a, pa, b, pb, offsets, ia, ib)
    assert ((binned == -1) == np.isnan(dice)).all()


def test_field_dice_empty_pairs():
    a, b, offsets, _ = make_case(5)
    out = sim.field_dice(a, sim.popcounts(a, offsets), b, sim.popcounts(b, offsets), offsets, [], [])
    assert out.shape == (0, 5)


# ------------------------------------------------------------------------------------------
# score_all / score_candidates
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("floor", [-np.inf, -3.0, 0.0, 4.0, 1e9])
@pytest.mark.parametrize("top_k", [0, 1, 3, 1000])
def test_score_all_matches_reference(seed, floor, top_k):
    a, b, offsets, table = make_case(seed)
    prior = -1.5
    s = ref_scores(a, b, offsets, table, prior)
    want = ref_select(s, s >= floor, top_k)
    got = sim.score_all(a, sim.popcounts(a, offsets), b, sim.popcounts(b, offsets), offsets, table,
                        prior, floor, top_k)
    assert_pairs_equal(got, want)


def ref_within(s, keep, delta):
    """keep, restricted to pairs within ``delta`` of their row's best kept score."""
    best = np.where(keep, s, -np.inf).max(axis=1, keepdims=True)
    return keep & (s >= best - delta)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("delta", [0.0, 1.0, 2.5, 6.0])
@pytest.mark.parametrize("top_k", [0, 1, 3])
def test_score_all_and_candidates_keep_pairs_near_the_row_best(seed, delta, top_k):
    """delta prunes by the row's best score; the result does not depend on the scan order."""
    a, b, offsets, table = make_case(seed)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    s = ref_scores(a, b, offsets, table, -1.0)
    floor = -3.0
    want = ref_select(s, ref_within(s, s >= floor, delta), top_k)
    assert_pairs_equal(sim.score_all(a, pa, b, pb, offsets, table, -1.0, floor, top_k, delta), want)
    rng = np.random.default_rng(seed)
    ptr, idx = random_csr(rng, a.shape[0], b.shape[0], 20, dupes=False)
    cand = np.zeros(s.shape, bool)
    for i in range(a.shape[0]):
        cand[i, idx[ptr[i]:ptr[i + 1]]] = True
    got = sim.score_candidates(a, pa, b, pb, offsets, table, -1.0, floor, top_k, ptr, idx, delta)
    assert_pairs_equal(got, ref_select(s, ref_within(s, cand & (s >= floor), delta), top_k))


def test_score_all_real_valued_table_and_many_bins():
    rng = np.random.default_rng(7)
    a, offsets = random_filters(rng, 40, (2, 2, 1))
    b, _ = random_filters(rng, 50, (2, 2, 1))
    table = rng.normal(size=(3, 64))
    s = ref_scores(a, b, offsets, table, 0.3)
    for top_k in (0, 5):
        got = sim.score_all(a, sim.popcounts(a, offsets), b, sim.popcounts(b, offsets), offsets,
                            table, 0.3, -0.5, top_k)
        assert_pairs_equal(got, ref_select(s, s >= -0.5, top_k))


def test_score_all_unlimited_overflow_path(monkeypatch):
    """Rows keeping far more pairs than the initial buffer are recomputed exactly."""
    monkeypatch.setattr(sim, "_BLOCK_ROWS", 300)
    monkeypatch.setattr(sim, "_FIRST_BLOCK_ROWS", 256)
    rng = np.random.default_rng(8)
    a, offsets = random_filters(rng, 600, (1, 1))
    b, _ = random_filters(rng, 200, (1, 1))
    table = rng.normal(size=(2, NBINS))
    s = ref_scores(a, b, offsets, table, 0.0)
    got = sim.score_all(a, sim.popcounts(a, offsets), b, sim.popcounts(b, offsets), offsets, table,
                        0.0, -np.inf, 0)
    assert got[0].size == 600 * 200
    assert_pairs_equal(got, ref_select(s, np.ones_like(s, bool), 0))


def test_score_all_empty_inputs():
    a, b, offsets, table = make_case(9)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    for x, px, y, py in ((a[:0], pa[:0], b, pb), (a, pa, b[:0], pb[:0])):
        ia, ib, sc = sim.score_all(x, px, y, py, offsets, table, 0.0, -np.inf, 0)
        assert ia.size == ib.size == sc.size == 0


def random_csr(rng, na, nb, max_len, dupes=True):
    lens = rng.integers(0, max_len + 1, na)
    lens[::7] = 0
    ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    idx = rng.integers(0, nb, ptr[-1]).astype(np.int64)
    if not dupes:
        ptr2, idx2 = [0], []
        for i in range(na):
            u = np.unique(idx[ptr[i]:ptr[i + 1]])
            idx2.extend(u.tolist())
            ptr2.append(len(idx2))
        ptr, idx = np.array(ptr2, np.int64), np.array(idx2, np.int64)
    return ptr, idx


@pytest.mark.parametrize("dupes", [False, True])
@pytest.mark.parametrize("top_k", [0, 2])
@pytest.mark.parametrize("floor", [-np.inf, 0.0])
def test_score_candidates_matches_reference(dupes, top_k, floor):
    a, b, offsets, table = make_case(11)
    rng = np.random.default_rng(12)
    ptr, idx = random_csr(rng, a.shape[0], b.shape[0], 20, dupes)
    s = ref_scores(a, b, offsets, table, -0.5)
    cand = np.zeros(s.shape, bool)
    for i in range(a.shape[0]):
        cand[i, idx[ptr[i]:ptr[i + 1]]] = True
    want = ref_select(s, cand & (s >= floor), top_k)
    got = sim.score_candidates(a, sim.popcounts(a, offsets), b, sim.popcounts(b, offsets), offsets,
                               table, -0.5, floor, top_k, ptr, idx)
    assert_pairs_equal(got, want)


def test_score_candidates_full_lists_equal_score_all():
    a, b, offsets, table = make_case(13)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    na, nb = a.shape[0], b.shape[0]
    ptr = np.arange(na + 1, dtype=np.int64) * nb
    idx = np.tile(np.arange(nb, dtype=np.int64)[::-1], na)  # reversed: exercises cleaning
    for top_k in (0, 4):
        assert_pairs_equal(
            sim.score_candidates(a, pa, b, pb, offsets, table, 0.0, -2.0, top_k, ptr, idx),
            sim.score_all(a, pa, b, pb, offsets, table, 0.0, -2.0, top_k))


def test_score_candidates_rejects_bad_csr():
    a, b, offsets, table = make_case(14)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    with pytest.raises(ValueError):
        sim.score_candidates(a, pa, b, pb, offsets, table, 0.0, 0.0, 0, [0, 1], [0])
    ptr = np.zeros(a.shape[0] + 1, np.int64)
    ptr[1:] = 1
    with pytest.raises(IndexError):
        sim.score_candidates(a, pa, b, pb, offsets, table, 0.0, 0.0, 0, ptr, [b.shape[0]])


def test_score_all_deterministic_across_thread_counts():
    a, b, offsets, table = make_case(15, na=200, nb=150)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    before = numba.get_num_threads()
    try:
        results = []
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            results.append(sim.score_all(a, pa, b, pb, offsets, table, 0.0, -3.0, 5))
            results.append(sim.dice_all(a, b, 0.3, 0))
    finally:
        numba.set_num_threads(before)
    for k in range(0, len(results) - 2, 2):
        assert_pairs_equal(results[k], results[k + 2])
        assert_pairs_equal(results[k + 1], results[k + 3])


# ------------------------------------------------------------------------------------------
# dice_all
# ------------------------------------------------------------------------------------------
def ref_dice(a, b):
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int64)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int64)
    inter = ref_inter(a, b, 0, a.shape[1])
    tot = pa[:, None] + pb[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = 2.0 * inter / tot
    return d, tot > 0


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.55, 0.8, 1.0])
@pytest.mark.parametrize("top_k", [0, 1, 4])
def test_dice_all_matches_reference(threshold, top_k):
    rng = np.random.default_rng(20)
    a, _ = random_filters(rng, 70, (16,), missing=0.0)
    b, _ = random_filters(rng, 55, (16,), missing=0.0)
    b[:20] = a[:20]
    b[20:30] ^= np.uint64(1 << 5)  # near matches
    b = with_duplicates(rng, b)
    d, ok = ref_dice(a, b)
    want = ref_select(d, ok & (d >= threshold), top_k)
    assert_pairs_equal(sim.dice_all(a, b, threshold, top_k), want)


@pytest.mark.parametrize("words", [1, 3, 8, 16, 17])
def test_dice_all_filter_widths_and_popcount_spread(words):
    """Widely spread densities exercise the popcount window."""
    rng = np.random.default_rng(words)
    n = 90
    a = np.packbits(rng.random((n, 64 * words)) < rng.uniform(0.02, 0.9, (n, 1)), axis=1,
                    bitorder="little").view(np.uint64).reshape(n, words)
    b = np.packbits(rng.random((n, 64 * words)) < rng.uniform(0.02, 0.9, (n, 1)), axis=1,
                    bitorder="little").view(np.uint64).reshape(n, words)
    b[::3] = a[::3]
    d, ok = ref_dice(a, b)
    for t in (0.2, 0.6, 0.9):
        assert_pairs_equal(sim.dice_all(a, b, t), ref_select(d, ok & (d >= t), 0))


def test_dice_all_exact_threshold_boundary():
    # popcounts 3 and 3, intersection 2: dice = 4/6 exactly as computed in float64
    a = np.array([[0b111]], np.uint64)
    b = np.array([[0b1011]], np.uint64)
    t = 2.0 * 2 / 6
    assert sim.dice_all(a, b, t)[0].size == 1
    assert sim.dice_all(a, b, np.nextafter(t, 1.0))[0].size == 0


def test_dice_all_empty_filters_skipped():
    a = np.zeros((3, 4), np.uint64)
    b = np.zeros((2, 4), np.uint64)
    b[1, 0] = 1
    ia, ib, d = sim.dice_all(a, b, 0.0)
    # empty vs empty is undefined and skipped; empty vs non-empty is 0
    np.testing.assert_array_equal(ia, [0, 1, 2])
    np.testing.assert_array_equal(ib, [1, 1, 1])
    np.testing.assert_array_equal(d, [0.0, 0.0, 0.0])


def test_input_validation():
    a = np.zeros((2, 4), np.uint64)
    with pytest.raises(ValueError):
        sim.dice_all(a, np.zeros((2, 3), np.uint64), 0.5)
    with pytest.raises(ValueError):
        sim.popcounts(a, [0, 3])
    with pytest.raises(ValueError):
        sim.popcounts(np.zeros((2, 4), np.float64), [0, 4])


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------
@st.composite
def filter_pairs(draw):
    nf = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 3), min_size=nf, max_size=nf))
    na = draw(st.integers(0, 12))
    nb = draw(st.integers(0, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dens = draw(st.floats(0.0, 1.0))
    a, offsets = random_filters(rng, na, widths, density=dens, missing=0.3)
    b, _ = random_filters(rng, nb, widths, density=dens, missing=0.3)
    return a, b, offsets, rng


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filter_pairs())
def test_field_dice_symmetric(case):
    a, b, offsets, rng = case
    if a.shape[0] == 0 or b.shape[0] == 0:
        return
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    ia = rng.integers(0, a.shape[0], 30)
    ib = rng.integers(0, b.shape[0], 30)
    d1 = sim.field_dice(a, pa, b, pb, offsets, ia, ib)
    d2 = sim.field_dice(b, pb, a, pa, offsets, ib, ia)
    np.testing.assert_array_equal(d1, d2)
    ok = ~np.isnan(d1)
    assert ((d1[ok] >= 0) & (d1[ok] <= 1)).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filter_pairs(), st.integers(-1, 5), st.floats(-6, 6))
def test_score_all_deterministic_and_matches_reference(case, top_k, floor):
    a, b, offsets, rng = case
    # quarters: every sum is exact in any order, so ties are ties in the kernel and the reference
    table = np.round(rng.normal(size=(len(offsets) - 1, NBINS)) * 4) / 4
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    r1 = sim.score_all(a, pa, b, pb, offsets, table, 0.25, floor, top_k)
    r2 = sim.score_all(a, pa, b, pb, offsets, table, 0.25, floor, top_k)
    assert_pairs_equal(r1, r2)
    s = ref_scores(a, b, offsets, table, 0.25)
    assert_pairs_equal(r1, ref_select(s, s >= floor, top_k))


def test_top_k_heap_blocks_respect_buffer_budget(monkeypatch):
    """A tiny buffer budget forces one-to-few-row blocks; results are unchanged."""
    a, b, offsets, table = make_case(21)
    pa, pb = sim.popcounts(a, offsets), sim.popcounts(b, offsets)
    want = sim.score_all(a, pa, b, pb, offsets, table, 0.0, -np.inf, 3)
    monkeypatch.setattr(sim, "_BUFFER_BUDGET", 16 * 3 * 2)
    assert_pairs_equal(sim.score_all(a, pa, b, pb, offsets, table, 0.0, -np.inf, 3), want)
    # top_k at least n_b is the same as unlimited
    assert_pairs_equal(sim.score_all(a, pa, b, pb, offsets, table, 0.0, -np.inf, b.shape[0]),
                       sim.score_all(a, pa, b, pb, offsets, table, 0.0, -np.inf, 0))
