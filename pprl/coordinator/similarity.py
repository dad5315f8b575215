"""Numba popcount kernels: per-field Dice coefficients and weighted pair scores.

Data layout (see ``docs/design.md``, "Conventions"): one dataset's filters are a C-contiguous
``uint64`` matrix ``bits`` of shape ``(n, W)``; field ``f`` occupies words ``offsets[f]:offsets[f+1]``.
``pc`` is the ``(n, F) int32`` matrix of per-field popcounts (:func:`popcounts`); a field whose
popcount is 0 is treated as missing (the Dice coefficient of two empty filters is undefined).

Every kernel compiles to a real ``POPCNT`` (LLVM ``ctpop`` on ``uint64``) and runs in parallel over
the rows of dataset A.  Pair kernels keep bounded per-row buffers (a top-k heap when ``top_k > 0``,
otherwise an adaptively sized buffer whose overflowing rows are recomputed into exact storage), so
memory is ``O(block * top_k + output)`` and never ``O(n_a * n_b)``.  Output pairs are sorted by
``(ia, -score, ib)``; each row is computed by one thread, so results do not depend on thread count.
The score kernels keep only pairs within ``delta`` of their row's best and prune on that bar; the
all-pairs scan visits B in min-wise-hash order from where the row's own hash falls, which changes how
soon the bar rises, never the result.

``dice_all`` sorts B by popcount and scans, per A row, only the popcount window that can reach the
threshold (Dice <= 2 min(pa, pb) / (pa + pb)); the threshold test is an integer comparison against a
per-(pa + pb) table of minimum intersections, bit-identical to ``2.0 * inter / (pa + pb) >= t``.

Binning: the score kernels compute ``dice = 2.0 * inter / (pc_a + pc_b)`` in float64 and
``bin = min(int(dice * NBINS), NBINS - 1)`` with ``NBINS = table.shape[1]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, parallel_chunksize, prange, types
from numba.extending import intrinsic

__all__ = [
    "popcounts",
    "field_dice",
    "field_bins",
    "score_all",
    "score_candidates",
    "dice_all",
]

# Rows of A processed per kernel call; bounds the per-row buffers.
_BLOCK_ROWS = 8192
_FIRST_BLOCK_ROWS = 256
_MIN_BLOCK_ROWS = 64
# Target size (bytes) of one block's per-row buffers; sets the block size for large top_k and for
# rows keeping many pairs (then buffers are at most ~1.25x the output they hold, >= 64 rows).
_BUFFER_BUDGET = 64 << 20
_ENTRY_BYTES = 16  # float64 score + int64 index
# Rows per scheduling chunk of the parallel loops (candidate lists make row costs uneven).
_CHUNK_ROWS = 16
# Candidates ahead whose B row the candidate scan asks the CPU to fetch.
_AHEAD = 16
# Seed of the bit order whose min-wise hash sorts B for the all-pairs scan (speed only).
_SCAN_SEED = 20261126


# --------------------------------------------------------------------------------------------
# POPCNT
# --------------------------------------------------------------------------------------------
@intrinsic
def _popc(typingctx, x):
    """Population count of a uint64 via LLVM ``ctpop`` (a single POPCNT instruction on x86-64)."""
    if not isinstance(x, types.Integer) or x.bitwidth != 64:
        return None
    sig = types.int64(x)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to start loading the cache line of ``array[index]`` (an integer: the first element of
    that row; or a tuple of integers): LLVM ``prefetch``, a hint with no effect on any result. For
    kernels that look up rows in an order the hardware prefetcher cannot guess."""
    scalar = isinstance(index, types.Integer)
    if scalar:
        index_types = [index]
    elif isinstance(index, types.UniTuple) and isinstance(index.dtype, types.Integer):
        index_types = [index.dtype] * index.count
    else:
        return None
    if not isinstance(array, types.Array) or len(index_types) > array.ndim:
        return None
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        from numba.core import cgutils

        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        given = [args[1]] if scalar else cgutils.unpack_tuple(builder, args[1], len(index_types))
        indices = [context.cast(builder, value, kind, types.intp) for value, kind in zip(given, index_types)]
        indices += [context.get_constant(types.intp, 0)] * (array_type.ndim - len(indices))
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, indices, wraparound=False)
        # LLVM with opaque pointers has one pointer type ("llvm.prefetch.p0"); older LLVM wants an i8*
        opaque = getattr(pointer.type, "is_opaque", False)
        byte_pointer = pointer.type if opaque else ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        prefetch = builder.module.declare_intrinsic(
            "llvm.prefetch", [byte_pointer], ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]))
        # read access, high temporal locality, data cache
        builder.call(prefetch, [pointer if opaque else builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def _field_inter(a, i, b, j, lo, hi):
    """|a[i, lo:hi] & b[j, lo:hi]| in bits; unrolled by four words (faster than the loop LLVM
    vectorises for the short, variable word counts of fields)."""
    x = 0
    w = lo
    while w + 4 <= hi:
        x += (_popc(a[i, w] & b[j, w]) + _popc(a[i, w + 1] & b[j, w + 1])
              + _popc(a[i, w + 2] & b[j, w + 2]) + _popc(a[i, w + 3] & b[j, w + 3]))
        w += 4
    while w < hi:
        x += _popc(a[i, w] & b[j, w])
        w += 1
    return x


# --------------------------------------------------------------------------------------------
# popcounts / field_dice
# --------------------------------------------------------------------------------------------
@njit(cache=True, parallel=True, fastmath=False)
def _popcounts_kernel(bits, offsets, out):
    n = bits.shape[0]
    nf = offsets.shape[0] - 1
    for i in prange(n):
        for f in range(nf):
            c = 0
            for w in range(offsets[f], offsets[f + 1]):
                c += _popc(bits[i, w])
            out[i, f] = c


@njit(cache=True, parallel=True, fastmath=False)
def _field_dice_kernel(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib, out):
    nf = offsets.shape[0] - 1
    for p in prange(ia.shape[0]):
        i = ia[p]
        j = ib[p]
        for f in range(nf):
            pa = pc_a[i, f]
            pb = pc_b[j, f]
            if pa == 0 or pb == 0:
                out[p, f] = np.nan
                continue
            inter = _field_inter(bits_a, i, bits_b, j, offsets[f], offsets[f + 1])
            out[p, f] = 2.0 * inter / (pa + pb)


@njit(cache=True, parallel=True, fastmath=False)
def _field_bins_kernel(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib, nbins, out):
    nf = offsets.shape[0] - 1
    for p in prange(ia.shape[0]):
        i = ia[p]
        j = ib[p]
        for f in range(nf):
            pa = pc_a[i, f]
            pb = pc_b[j, f]
            if pa == 0 or pb == 0:
                out[p, f] = -1
                continue
            inter = _field_inter(bits_a, i, bits_b, j, offsets[f], offsets[f + 1])
            out[p, f] = min(int(2.0 * inter / (pa + pb) * nbins), nbins - 1)


# --------------------------------------------------------------------------------------------
# Per-row buffers: append (counting overflow) or bounded heap keeping the best ``cap`` entries.
# "Better" means a higher score, then a lower B index.
# --------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _worse(s1, j1, s2, j2):
    return s1 < s2 or (s1 == s2 and j1 > j2)


@njit(cache=True)
def _sift_up(hs, hj, base, pos):
    while pos > 0:
        par = (pos - 1) >> 1
        if _worse(hs[base + pos], hj[base + pos], hs[base + par], hj[base + par]):
            ts = hs[base + pos]
            tj = hj[base + pos]
            hs[base + pos] = hs[base + par]
            hj[base + pos] = hj[base + par]
            hs[base + par] = ts
            hj[base + par] = tj
            pos = par
        else:
            break


@njit(cache=True)
def _sift_down(hs, hj, base, n, pos):
    while True:
        left = 2 * pos + 1
        if left >= n:
            break
        m = left
        right = left + 1
        if right < n and _worse(hs[base + right], hj[base + right], hs[base + left], hj[base + left]):
            m = right
        if _worse(hs[base + m], hj[base + m], hs[base + pos], hj[base + pos]):
            ts = hs[base + pos]
            tj = hj[base + pos]
            hs[base + pos] = hs[base + m]
            hj[base + pos] = hj[base + m]
            hs[base + m] = ts
            hj[base + m] = tj
            pos = m
        else:
            break


@njit(cache=True, inline="always")
def _push(hs, hj, base, cap, cnt, s, j, heap):
    """Add (s, j) to a row buffer; returns the new count.

    Heap mode: count is the heap size (<= cap).  Append mode: count is the number of entries
    seen, which may exceed cap (the row then has to be recomputed with more room).
    """
    if heap:
        if cnt < cap:
            hs[base + cnt] = s
            hj[base + cnt] = j
            _sift_up(hs, hj, base, cnt)
            return cnt + 1
        if _worse(hs[base], hj[base], s, j):
            hs[base] = s
            hj[base] = j
            _sift_down(hs, hj, base, cap, 0)
        return cnt
    if cnt < cap:
        hs[base + cnt] = s
        hj[base + cnt] = j
    return cnt + 1


# --------------------------------------------------------------------------------------------
# Pair kernels.  ``rows[r]`` is the A row handled in slot r, whose buffer is
# ``out[base[r] : base[r] + cap[r]]``; ``counts[r]`` receives the count described in ``_push``.
# --------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _contrib(table, f, nbins, pa, pb, inter):
    """table[f, bin] for a field present in A (pa > 0); 0 when missing in B."""
    if pb == 0:
        return 0.0
    k = int(2.0 * inter / (pa + pb) * nbins)
    if k > nbins - 1:
        k = nbins - 1
    return table[f, k]


@njit(cache=True, inline="always")
def _position(t, lo, start, nb, use_cand, cand_idx):
    """The B row scanned at step ``t`` of a row's scan: its ``t``-th candidate, or (all pairs) row
    ``start + t`` of the sorted B, wrapping around."""
    if use_cand:
        return cand_idx[lo + t]
    p = start + t
    if p >= nb:
        p -= nb
    return p


@njit(cache=True, inline="always")
def _keep(out_s, out_j, b0, c, cnt, top, bar, s, j, heap):
    """Push a scored pair that reached the row's bar; returns (count, best score so far)."""
    if s >= bar:
        cnt = _push(out_s, out_j, b0, c, cnt, s, j, heap)
        if s > top:
            top = s
    return cnt, top


@njit(cache=True, parallel=True, fastmath=False)
def _score_rows(bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, delta, order, rest,
                use_cand, cand_ptr, cand_idx, perm_b, start, heap, rows, base, cap, out_s, out_j, counts):
    """Weighted scores of A row ``rows[r]`` against all B rows (or its candidates), four B rows
    at a time so every A word is loaded once per four pairs.

    Without candidates, B is sorted by a sketch of the filters (``perm_b`` maps back to B rows) and
    row ``i``'s scan starts at ``start[i]``, where its likely partner sits: the row's best score is
    then known early. Fields are visited in ``order`` (strongest first); ``rest[q]`` bounds what
    fields ``order[q:]`` can still add, so a group of pairs is dropped as soon as none of them can
    reach the row's bar: the floor, the best score so far less ``delta``, and, once the row's top-k
    heap is full, its weakest entry."""
    nf = offsets.shape[0] - 1
    nbins = table.shape[1]
    nb = bits_b.shape[0]
    for r in prange(rows.shape[0]):
        i = rows[r]
        b0 = base[r]
        c = cap[r]
        if use_cand:
            lo = cand_ptr[i]
            n = cand_ptr[i + 1] - lo
            first = 0
        else:
            lo = 0
            n = nb
            first = start[i]
        cnt = 0
        top = -np.inf
        t = 0
        while t + 4 <= n:
            if use_cand:  # candidates are scattered over B: fetch the rows of a later group ahead
                for k in range(t + _AHEAD, min(t + _AHEAD + 4, n)):
                    ahead = cand_idx[lo + k]
                    for w in range(0, bits_b.shape[1], 8):  # every 64-byte line of the row
                        _prefetch(bits_b, (ahead, w))
                    _prefetch(pc_b, ahead)
            j0 = _position(t, lo, first, nb, use_cand, cand_idx)
            j1 = _position(t + 1, lo, first, nb, use_cand, cand_idx)
            j2 = _position(t + 2, lo, first, nb, use_cand, cand_idx)
            j3 = _position(t + 3, lo, first, nb, use_cand, cand_idx)
            bar = max(floor, top - delta)
            if heap and cnt >= c and out_s[b0] > bar:
                bar = out_s[b0]
            s0 = prior
            s1 = prior
            s2 = prior
            s3 = prior
            for q in range(nf):
                f = order[q]
                if s0 + rest[q] < bar and s1 + rest[q] < bar and s2 + rest[q] < bar and s3 + rest[q] < bar:
                    break
                pa = pc_a[i, f]
                if pa == 0:
                    continue
                x0 = 0
                x1 = 0
                x2 = 0
                x3 = 0
                for w in range(offsets[f], offsets[f + 1]):
                    aw = bits_a[i, w]
                    x0 += _popc(aw & bits_b[j0, w])
                    x1 += _popc(aw & bits_b[j1, w])
                    x2 += _popc(aw & bits_b[j2, w])
                    x3 += _popc(aw & bits_b[j3, w])
                s0 += _contrib(table, f, nbins, pa, pc_b[j0, f], x0)
                s1 += _contrib(table, f, nbins, pa, pc_b[j1, f], x1)
                s2 += _contrib(table, f, nbins, pa, pc_b[j2, f], x2)
                s3 += _contrib(table, f, nbins, pa, pc_b[j3, f], x3)
            cnt, top = _keep(out_s, out_j, b0, c, cnt, top, bar, s0, j0 if use_cand else perm_b[j0], heap)
            cnt, top = _keep(out_s, out_j, b0, c, cnt, top, bar, s1, j1 if use_cand else perm_b[j1], heap)
            cnt, top = _keep(out_s, out_j, b0, c, cnt, top, bar, s2, j2 if use_cand else perm_b[j2], heap)
            cnt, top = _keep(out_s, out_j, b0, c, cnt, top, bar, s3, j3 if use_cand else perm_b[j3], heap)
            t += 4
        while t < n:
            j = _position(t, lo, first, nb, use_cand, cand_idx)
            bar = max(floor, top - delta)
            if heap and cnt >= c and out_s[b0] > bar:
                bar = out_s[b0]
            s = prior
            for q in range(nf):
                f = order[q]
                if s + rest[q] < bar:
                    break
                pa = pc_a[i, f]
                if pa == 0:
                    continue
                x = _field_inter(bits_a, i, bits_b, j, offsets[f], offsets[f + 1])
                s += _contrib(table, f, nbins, pa, pc_b[j, f], x)
            cnt, top = _keep(out_s, out_j, b0, c, cnt, top, bar, s, j if use_cand else perm_b[j], heap)
            t += 1
        counts[r] = cnt


@njit(cache=True)
def _minhash(bits, rank, out):
    """``out[i]``: the smallest ``rank`` of a bit set in filter ``i`` (min-wise hashing: two filters
    agree with probability equal to the Jaccard similarity of their set bits); empty: ``len(rank)``."""
    for i in range(bits.shape[0]):
        best = rank.shape[0]
        for w in range(bits.shape[1]):
            x = bits[i, w]
            while x:
                low = x & (~x + np.uint64(1))
                r = rank[w * 64 + _popc(low - np.uint64(1))]
                if r < best:
                    best = r
                x ^= low
        out[i] = best


@njit(cache=True)
def _min_inter(nwords, threshold):
    """``out[tot]`` = smallest intersection with ``2.0 * inter / tot >= threshold`` (float64, as in
    the reference); larger than any possible intersection if none qualifies or ``tot == 0``."""
    mx = 2 * 64 * nwords + 1
    out = np.empty(mx, np.int64)
    out[0] = mx
    for tot in range(1, mx):
        lo = 0
        hi = tot // 2 + 1
        while lo < hi:
            m = (lo + hi) // 2
            if 2.0 * m / tot >= threshold:
                hi = m
            else:
                lo = m + 1
        out[tot] = lo if lo <= tot // 2 else mx
    return out


@njit(cache=True, inline="always")
def _dice_push(out_s, out_j, b0, c, cnt, inter, tot, minint, jorig, heap):
    if inter >= minint[tot]:
        cnt = _push(out_s, out_j, b0, c, cnt, 2.0 * inter / tot, jorig, heap)
    return cnt


@njit(cache=True, parallel=True, fastmath=False)
def _dice_rows(bits_a, pc_a, bits_b, pc_b, perm_b, minint, lo_num, heap, rows, base, cap,
               out_s, out_j, counts):
    """Record-level Dice over all words.  ``bits_b``/``pc_b`` are sorted by popcount (``perm_b``
    maps back to B rows): a pair can only reach the threshold t if t/(2-t) <= pb/pa <= (2-t)/t,
    so each A row scans one contiguous popcount window, four B rows at a time."""
    nw = bits_a.shape[1]
    nb = bits_b.shape[0]
    for r in prange(rows.shape[0]):
        i = rows[r]
        b0 = base[r]
        c = cap[r]
        pa = pc_a[i]
        cnt = 0
        if lo_num > 0.0:
            lo = np.searchsorted(pc_b, int(np.floor(pa * lo_num)) - 1, side="left")
            hi = np.searchsorted(pc_b, int(np.ceil(pa / lo_num)) + 1, side="right")
        else:
            lo = 0
            hi = nb
        j = lo
        while j + 4 <= hi:
            i0 = 0
            i1 = 0
            i2 = 0
            i3 = 0
            for w in range(nw):
                aw = bits_a[i, w]
                i0 += _popc(aw & bits_b[j, w])
                i1 += _popc(aw & bits_b[j + 1, w])
                i2 += _popc(aw & bits_b[j + 2, w])
                i3 += _popc(aw & bits_b[j + 3, w])
            cnt = _dice_push(out_s, out_j, b0, c, cnt, i0, pa + pc_b[j], minint, perm_b[j], heap)
            cnt = _dice_push(out_s, out_j, b0, c, cnt, i1, pa + pc_b[j + 1], minint, perm_b[j + 1], heap)
            cnt = _dice_push(out_s, out_j, b0, c, cnt, i2, pa + pc_b[j + 2], minint, perm_b[j + 2], heap)
            cnt = _dice_push(out_s, out_j, b0, c, cnt, i3, pa + pc_b[j + 3], minint, perm_b[j + 3], heap)
            j += 4
        while j < hi:
            i0 = 0
            for w in range(nw):
                i0 += _popc(bits_a[i, w] & bits_b[j, w])
            cnt = _dice_push(out_s, out_j, b0, c, cnt, i0, pa + pc_b[j], minint, perm_b[j], heap)
            j += 1
        counts[r] = cnt


@njit(cache=True, parallel=True, fastmath=False)
def _finalize(rows, base, m, out_s, out_j, dst_ptr, ia, ib, sc):
    """Sort each row's entries by (-score, ib) and write them at ``dst_ptr[r]``."""
    for r in prange(rows.shape[0]):
        n = m[r]
        if n == 0:
            continue
        b0 = base[r]
        seg_s = out_s[b0:b0 + n]
        seg_j = out_j[b0:b0 + n]
        ordered = True
        for t in range(1, n):
            if seg_j[t] <= seg_j[t - 1]:
                ordered = False
                break
        if ordered:
            o1 = np.arange(n)
        else:
            o1 = np.argsort(seg_j, kind="mergesort")
        s1 = np.empty(n, np.float64)
        for t in range(n):
            s1[t] = -seg_s[o1[t]]
        o2 = np.argsort(s1, kind="mergesort")
        d0 = dst_ptr[r]
        i = rows[r]
        for t in range(n):
            q = o1[o2[t]]
            ia[d0 + t] = i
            ib[d0 + t] = seg_j[q]
            sc[d0 + t] = seg_s[q]


@njit(cache=True, parallel=True)
def _copy_rows(src_base, m, src_s, src_j, dst_base, dst_s, dst_j):
    for r in prange(m.shape[0]):
        a = src_base[r]
        b = dst_base[r]
        for t in range(m[r]):
            dst_s[b + t] = src_s[a + t]
            dst_j[b + t] = src_j[a + t]


@njit(cache=True)
def _csr_is_clean(cand_ptr, cand_idx, nb):
    """True if every row's candidates are strictly increasing and within [0, nb)."""
    for i in range(cand_ptr.shape[0] - 1):
        prev = -1
        for t in range(cand_ptr[i], cand_ptr[i + 1]):
            j = cand_idx[t]
            if j <= prev or j >= nb:
                return False
            prev = j
    return True


@njit(cache=True)
def _csr_clean(cand_ptr, cand_idx):
    """Sort and de-duplicate each row's candidates."""
    n = cand_ptr.shape[0] - 1
    new_ptr = np.zeros(n + 1, np.int64)
    out = np.empty(cand_idx.shape[0], np.int64)
    k = 0
    for i in range(n):
        seg = np.sort(cand_idx[cand_ptr[i]:cand_ptr[i + 1]])
        prev = -1
        for t in range(seg.shape[0]):
            if seg[t] != prev:
                out[k] = seg[t]
                k += 1
                prev = seg[t]
        new_ptr[i + 1] = k
    return new_ptr, out[:k].copy()


# --------------------------------------------------------------------------------------------
# Driver: blocks of A rows, bounded buffers, exact recomputation of overflowing rows.
# --------------------------------------------------------------------------------------------
def _run_pairs(run, n_a: int, top_k: int, max_per_row: int):
    """``run(rows, base, cap, out_s, out_j, counts, heap)`` fills per-row buffers for ``rows``.

    Returns ``(ia, ib, score)`` sorted by (ia, -score, ib).
    """
    parts_ia, parts_ib, parts_s = [], [], []
    # a top_k no smaller than the longest possible row keeps everything: no heap needed
    heap = 0 < top_k < max_per_row
    cap0 = int(top_k) if heap else max(1, min(64, max_per_row))
    start = 0
    while start < n_a:
        if heap:  # per-row heaps of one block stay within the buffer budget
            size = max(1, min(_BLOCK_ROWS, _BUFFER_BUDGET // (_ENTRY_BYTES * cap0)))
        elif start == 0:  # a small first block measures how many pairs rows keep
            size = _FIRST_BLOCK_ROWS
        else:  # later blocks: buffers of about the size of the output they will hold
            size = min(_BLOCK_ROWS, max(_MIN_BLOCK_ROWS, _BUFFER_BUDGET // (_ENTRY_BYTES * cap0)))
        rows = np.arange(start, min(n_a, start + size), dtype=np.int64)
        start += size
        nr = rows.shape[0]
        cap = np.full(nr, cap0, np.int64)
        base = np.arange(nr, dtype=np.int64) * cap0
        out_s = np.empty(nr * cap0, np.float64)
        out_j = np.empty(nr * cap0, np.int64)
        counts = np.zeros(nr, np.int64)
        with parallel_chunksize(_CHUNK_ROWS):  # dynamic-ish scheduling: row costs vary
            run(rows, base, cap, out_s, out_j, counts, heap)
        if not heap:
            over = counts > cap0
            if over.any():
                # exact storage for the block; rows that fitted are copied, the others recomputed
                exact = np.zeros(nr + 1, np.int64)
                np.cumsum(counts, out=exact[1:])
                big_s = np.empty(exact[-1], np.float64)
                big_j = np.empty(exact[-1], np.int64)
                fit = ~over
                _copy_rows(base[fit], counts[fit], out_s, out_j, exact[:-1][fit], big_s, big_j)
                orow = np.flatnonzero(over)
                ocnt = np.zeros(orow.shape[0], np.int64)
                with parallel_chunksize(_CHUNK_ROWS):
                    run(rows[orow], exact[:-1][orow], counts[orow].copy(), big_s, big_j, ocnt, False)
                out_s, out_j, base = big_s, big_j, exact[:-1].copy()
            # adapt the buffer size of the next block to what this one needed
            want = int(np.quantile(counts, 0.99) * 1.25) + 1
            cap0 = max(1, min(max(16, want), max_per_row))
        m = counts
        if heap:
            m = np.minimum(counts, cap)
        dst = np.zeros(nr + 1, np.int64)
        np.cumsum(m, out=dst[1:])
        total = int(dst[-1])
        ia = np.empty(total, np.int64)
        ib = np.empty(total, np.int64)
        sc = np.empty(total, np.float64)
        _finalize(rows, base, m, out_s, out_j, dst, ia, ib, sc)
        parts_ia.append(ia)
        parts_ib.append(ib)
        parts_s.append(sc)
    if not parts_ia:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(parts_ia), np.concatenate(parts_ib), np.concatenate(parts_s)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _bits(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D uint64 matrix")
    if a.dtype != np.uint64:
        if a.dtype.kind not in "iu" or a.dtype.itemsize != 8:
            raise ValueError(f"{name} must have dtype uint64")
        a = a.view(np.uint64)
    return np.ascontiguousarray(a)


def _offsets(offsets, width: int) -> np.ndarray:
    o = np.ascontiguousarray(np.asarray(offsets, dtype=np.int64))
    if o.ndim != 1 or o.shape[0] < 1 or o[0] != 0 or o[-1] != width or np.any(np.diff(o) < 0):
        raise ValueError("offsets must be non-decreasing, start at 0 and end at the filter width")
    return o


def _pc(pc, n: int, nf: int, name: str) -> np.ndarray:
    p = np.ascontiguousarray(np.asarray(pc, dtype=np.int32))
    if p.shape != (n, nf):
        raise ValueError(f"{name} must have shape ({n}, {nf})")
    return p


def _common(bits_a, pc_a, bits_b, pc_b, offsets):
    bits_a = _bits(bits_a, "bits_a")
    bits_b = _bits(bits_b, "bits_b")
    if bits_a.shape[1] != bits_b.shape[1]:
        raise ValueError("bits_a and bits_b must have the same number of words")
    o = _offsets(offsets, bits_a.shape[1])
    nf = o.shape[0] - 1
    return bits_a, _pc(pc_a, bits_a.shape[0], nf, "pc_a"), bits_b, _pc(pc_b, bits_b.shape[0], nf, "pc_b"), o


def _table(table, nf: int) -> np.ndarray:
    t = np.ascontiguousarray(np.asarray(table, dtype=np.float64))
    if t.ndim != 2 or t.shape[0] != nf or t.shape[1] < 1:
        raise ValueError(f"table must have shape ({nf}, NBINS)")
    return t


def _visit_order(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fields by decreasing spread of their evidence, and ``rest[q]``: the most that fields
    ``order[q:]`` can add (a missing field adds 0), with a little slack for rounding."""
    order = np.argsort(-(table.max(axis=1) - table.min(axis=1)), kind="stable").astype(np.int64)
    best = np.maximum(table.max(axis=1), 0.0)[order]
    rest = np.concatenate([np.cumsum(best[::-1])[::-1], [0.0]]) + 1e-9
    return order, rest


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def popcounts(bits, offsets) -> np.ndarray:
    """Per-field popcounts of every filter: ``(n, F) int32``."""
    bits = _bits(bits, "bits")
    o = _offsets(offsets, bits.shape[1])
    out = np.empty((bits.shape[0], o.shape[0] - 1), np.int32)
    _popcounts_kernel(bits, o, out)
    return out


def _pairs(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib):
    bits_a, pc_a, bits_b, pc_b, o = _common(bits_a, pc_a, bits_b, pc_b, offsets)
    ia = np.ascontiguousarray(np.asarray(ia, dtype=np.int64))
    ib = np.ascontiguousarray(np.asarray(ib, dtype=np.int64))
    if ia.shape != ib.shape or ia.ndim != 1:
        raise ValueError("ia and ib must be 1-D arrays of equal length")
    if ia.size and (ia.min() < 0 or ia.max() >= bits_a.shape[0] or ib.min() < 0 or ib.max() >= bits_b.shape[0]):
        raise IndexError("pair index out of range")
    return bits_a, pc_a, bits_b, pc_b, o, ia, ib


def field_dice(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib) -> np.ndarray:
    """Per-field Dice coefficients of explicit pairs ``(ia[p], ib[p])``: ``(P, F) float32``.

    NaN where the field is missing (popcount 0) on either side.
    """
    bits_a, pc_a, bits_b, pc_b, o, ia, ib = _pairs(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib)
    out = np.empty((ia.shape[0], o.shape[0] - 1), np.float32)
    _field_dice_kernel(bits_a, pc_a, bits_b, pc_b, o, ia, ib, out)
    return out


def field_bins(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib, nbins: int) -> np.ndarray:
    """Per-field Dice bins of explicit pairs: ``(P, F) int8``, -1 where the field is missing on either
    side; binned exactly as the score kernels bin (see the module docstring)."""
    if not 0 < nbins <= 127:
        raise ValueError("nbins must be in 1..127")
    bits_a, pc_a, bits_b, pc_b, o, ia, ib = _pairs(bits_a, pc_a, bits_b, pc_b, offsets, ia, ib)
    out = np.empty((ia.shape[0], o.shape[0] - 1), np.int8)
    _field_bins_kernel(bits_a, pc_a, bits_b, pc_b, o, ia, ib, int(nbins), out)
    return out


def _within(result, delta: float):
    """Drop the pairs of each A row that score more than ``delta`` below the row's best."""
    ia, ib, score = result
    if not np.isfinite(delta) or ia.size == 0:
        return result
    starts = np.flatnonzero(np.r_[True, ia[1:] != ia[:-1]])
    best = np.repeat(score[starts], np.diff(np.r_[starts, ia.size]))  # rows are sorted by -score
    keep = score >= best - delta
    return ia[keep], ib[keep], score[keep]


def _scan_order(bits_a, bits_b) -> tuple[np.ndarray, np.ndarray]:
    """B sorted by the min-wise hash of the whole filter (``perm_b``), and where each A row's hash
    falls in that order (``start``): a row's scan begins among the B rows most like it. Only speed
    depends on this order, never the result."""
    rank = np.random.default_rng(_SCAN_SEED).permutation(bits_a.shape[1] * 64).astype(np.int64)
    key_a = np.empty(bits_a.shape[0], np.int64)
    key_b = np.empty(bits_b.shape[0], np.int64)
    _minhash(bits_a, rank, key_a)
    _minhash(bits_b, rank, key_b)
    perm_b = np.argsort(key_b, kind="stable").astype(np.int64)
    start = np.searchsorted(key_b[perm_b], key_a).astype(np.int64)
    return perm_b, np.where(start >= bits_b.shape[0], 0, start)


def score_all(bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k, delta: float = np.inf):
    """Score every pair (i, j); keep ``logodds >= floor`` and ``>= best(i) - delta``, where best(i)
    is A row i's highest score, and at most ``top_k`` best per A row.

    Returns ``(ia int64, ib int64, logodds float64)`` sorted by (ia, -logodds, ib).
    ``top_k <= 0`` means unlimited.
    """
    bits_a, pc_a, bits_b, pc_b, o = _common(bits_a, pc_a, bits_b, pc_b, offsets)
    t = _table(table, o.shape[0] - 1)
    order, rest = _visit_order(t)
    prior, floor, delta = float(prior), float(floor), float(delta)
    perm_b, start = _scan_order(bits_a, bits_b)
    sorted_b = np.ascontiguousarray(bits_b[perm_b])
    sorted_pc_b = np.ascontiguousarray(pc_b[perm_b])
    dummy = np.zeros(1, np.int64)

    def run(rows, base, cap, out_s, out_j, counts, heap):
        _score_rows(bits_a, pc_a, sorted_b, sorted_pc_b, o, t, prior, floor, delta, order, rest, False, dummy,
                    dummy, perm_b, start, heap, rows, base, cap, out_s, out_j, counts)

    return _within(_run_pairs(run, bits_a.shape[0], int(top_k), bits_b.shape[0]), delta)


def score_candidates(bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k,
                     cand_ptr, cand_idx, delta: float = np.inf):
    """As :func:`score_all`, but A row i is compared only with B rows
    ``cand_idx[cand_ptr[i]:cand_ptr[i+1]]`` (duplicates are ignored)."""
    bits_a, pc_a, bits_b, pc_b, o = _common(bits_a, pc_a, bits_b, pc_b, offsets)
    t = _table(table, o.shape[0] - 1)
    order, rest = _visit_order(t)
    cp = np.ascontiguousarray(np.asarray(cand_ptr, dtype=np.int64))
    ci = np.ascontiguousarray(np.asarray(cand_idx, dtype=np.int64))
    if cp.ndim != 1 or cp.shape[0] != bits_a.shape[0] + 1 or cp[0] != 0 or np.any(np.diff(cp) < 0) \
            or cp[-1] > ci.shape[0]:
        raise ValueError("cand_ptr must be a CSR row pointer of length n_a + 1")
    if ci.size and (ci.min() < 0 or ci.max() >= bits_b.shape[0]):
        raise IndexError("candidate index out of range")
    if not _csr_is_clean(cp, ci, bits_b.shape[0]):
        cp, ci = _csr_clean(cp, ci)
    prior, floor, delta = float(prior), float(floor), float(delta)
    dummy = np.zeros(1, np.int64)

    def run(rows, base, cap, out_s, out_j, counts, heap):
        _score_rows(bits_a, pc_a, bits_b, pc_b, o, t, prior, floor, delta, order, rest, True, cp, ci,
                    dummy, dummy, heap, rows, base, cap, out_s, out_j, counts)

    max_row = int(np.diff(cp).max()) if cp.shape[0] > 1 else 0
    return _within(_run_pairs(run, bits_a.shape[0], int(top_k), max_row), delta)


def dice_all(bits_a, bits_b, threshold, top_k: int = 0):
    """Record-level Dice of all pairs (one filter of W words per record).

    Returns ``(ia int64, ib int64, dice float64)`` for pairs with ``dice >= threshold``, sorted by
    (ia, -dice, ib); at most ``top_k`` per A row when ``top_k > 0``.  Pairs of two empty filters
    are skipped.
    """
    bits_a = _bits(bits_a, "bits_a")
    bits_b = _bits(bits_b, "bits_b")
    if bits_a.shape[1] != bits_b.shape[1]:
        raise ValueError("bits_a and bits_b must have the same number of words")
    o = np.array([0, bits_a.shape[1]], np.int64)
    pc_a = popcounts(bits_a, o)[:, 0].copy()
    pc_b = popcounts(bits_b, o)[:, 0].copy()
    perm_b = np.argsort(pc_b, kind="stable").astype(np.int64)
    sorted_bits_b = np.ascontiguousarray(bits_b[perm_b])
    sorted_pc_b = np.ascontiguousarray(pc_b[perm_b])
    threshold = float(threshold)
    minint = _min_inter(bits_a.shape[1], threshold)
    # dice <= 2 min(pa, pb) / (pa + pb) >= t  =>  t/(2-t) <= pb/pa <= (2-t)/t
    lo_num = threshold / (2.0 - threshold) if 0.0 < threshold < 2.0 else 0.0

    def run(rows, base, cap, out_s, out_j, counts, heap):
        _dice_rows(bits_a, pc_a, sorted_bits_b, sorted_pc_b, perm_b, minint, lo_num, heap,
                   rows, base, cap, out_s, out_j, counts)

    return _run_pairs(run, bits_a.shape[0], int(top_k), bits_b.shape[0])
