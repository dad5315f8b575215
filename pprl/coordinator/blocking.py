"""Keyed candidate generation for large inputs: locality-sensitive hashing over the Bloom filters.

Only the filters are hashed - they are already keyed (HMAC-like BLAKE2b under the shared secret), so
blocking leaks nothing that linking the filters does not; no raw value, name prefix or unkeyed hash of
a value is ever used.

Method (``"lsh-minhash"``): bit sampling over the set bits of selected filter columns. One *hash* of a
column is a pseudo-random order of that column's bit positions; its value for a filter is the rank of
the first position, in that order, whose bit is set (min-wise bit sampling: two filters agree on it
with probability equal to the Jaccard similarity of their set bits, so similar filters collide
often, and sparse or dense filters are treated alike - plain Hamming bit sampling degenerates on
sparse filters, where most sampled bits are 0 in every record). A *band* combines several hashes of
one or more columns (e.g. two name hashes + one year hash + one month/day hash) into one 64-bit key;
records of A and B whose keys are equal in a band meet. A band is skipped for a record with any of
its columns missing. Bands come in *families* (which columns, how many hashes each), each repeated
with fresh hashes. Without a budget (``budget=0``) the union over all bands is the candidate set, and
a bucket holding more than ``max_bucket`` records on either side is dropped (a frequent name/date
combination must not explode); the other bands still reach its pairs through rarer keys.

Ranking (the default, ``budget`` > 0): instead of every pair met in some band, each A row keeps the
``budget`` B rows met that score best on a *signature* - up to 8 one-byte min-hashes of each filter
column (48 bytes a record for the missing-persons schema, same keyed bit orders as the bands, in
their own seed domain) - compared by :func:`_pre_score`: per column the share of equal min-hashes (a
Jaccard estimate) as Dice through the prior ramp of :func:`pprl.coordinator.scoring.prior_table`,
times the schema weight. Candidates per record are then fixed whatever n, where the union of the
bands grows with it. Buckets over ``max_bucket`` B rows are skipped (A's side costs nothing: each A
row's work is the B rows it meets). B rows are renumbered internally in the
order of the band with the largest buckets, and each block's A rows visited in that band's order, so
that rows of the same bucket are scored together.

Determinism: every bit order is drawn from ``numpy.random.default_rng`` seeded with
``SHA-256("pprl-blocking-v1" | seed | schema fingerprint | family | band | column)`` (signatures:
with ``"signature"`` before the family); the same seed and schema give the same candidates on every
machine (and both sides' filters use the same positions, which is what makes keys comparable). Ties
in the ranking go to the B row first in that internal order, which depends only on the keys.

Output: CSR over the rows of A - ``cand_ptr`` (int64, ``n_a + 1``) and ``cand_idx`` (int64, sorted
and unique per row) - as :func:`pprl.coordinator.similarity.score_candidates` takes it;
:func:`iter_candidates` yields it per block of A rows (B's band keys are sorted once, with an index of their top bits: each
A row looks a key up in the slot its top bits name, about 8 B keys, since band keys are hash values
spread evenly), so that a linkage streams blocks into scoring and never holds all pairs of a 1M x 1M
input.

Pair completeness (:func:`pair_completeness`): the share of the pairs that the exhaustive linkage
matches at its threshold which the candidates contain. The default families were chosen so that it
is >= 0.99 on the synthetic missing-persons data up to 100k records a side. Not at 1M x 1M: there the
buckets of common names outgrow the cap and the budget cuts among namesakes. But the linkage keeps
only the best ``link.KEEP_CANDIDATES`` candidates per A row by prior score, and the budget loses
(almost) nothing the linkage would have kept (figures and the commands that measure them:
``docs/design.md``, Measurements).
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from numba import njit, prange

from pprl.coordinator.similarity import _popc, _prefetch
from pprl.encoded import EncodedData

__all__ = ["Family", "default_families", "candidates", "iter_candidates", "pair_completeness", "METHOD"]

METHOD = "lsh-minhash"
#: Without a budget: records per side beyond which a bucket is dropped.
MAX_BUCKET = 1000
#: With a budget: B records beyond which a bucket is skipped (A's size costs nothing there).
RANKED_MAX_BUCKET = 300
#: Bits set in more than this share of all records are skipped by min-wise hashes (1.0: none; masking
#: frequent bits did not improve completeness per candidate on the synthetic data).
MAX_SHARE = 1.0
#: A hash count meaning "the whole column" (records agree only on an identical filter).
EXACT = 0
#: How many B rows ahead the ranking kernel asks for the signature it will need.
_AHEAD = 8


@dataclass(frozen=True)
class Family:
    """``bands`` bands, each keyed by ``hashes[column]`` min-wise hashes of each named column."""

    hashes: tuple[tuple[str, int], ...]
    bands: int

    @classmethod
    def of(cls, hashes: Mapping[str, int], bands: int) -> "Family":
        return cls(tuple(hashes.items()), int(bands))


def default_families(data: EncodedData) -> list[Family]:
    """Band families for a schema, from its text fields (by weight: the main identifier, then e.g. the
    father's and mother's names), their ``.given`` columns (the person's own given names, without the
    family name that relatives share), its date columns (``year``, ``month_day``) when present.

    For the missing-persons schema (``0`` = the whole column must be equal; ``G`` = ``name.given``,
    ``FG`` / ``MG`` = father's / mother's ``.given``, ``F`` = ``father_name``):

    ================================  =====  ========================================================
    hashes per band                   bands  catches
    ================================  =====  ========================================================
    year 0 + month_day 0              1      the same full birth date
    G 2 + year 0                      4      same given name and year, whatever the surname
    G 1 + month_day 0                 3      same day/month, year estimated
    name 2 + month_day 0              7      year off or estimated
    name 2 + year 0                   10     same year, day/month missing or swapped
    G 2 + name 2                      9      dates off or missing
    G 2 + FG 2                        11     child + father's given name (no surname, no date)
    G 2 + MG 2                        10     child + mother's given name
    FG 2 + MG 2                       3      both parents, child's name written differently
    name 5                            12     dates off or missing, name well preserved
    name 2 + F 2                      6      name and father's full name
    ================================  =====  ========================================================

    Tuned with :mod:`pprl.tools.synth` data against the exhaustive linkage's one-to-one matches at
    20k x 20k (``docs/design.md``, Measurements). Year bands use the exact year column: the year filter's window tokens
    make a min-wise hash of it collide for years one apart only about half the time, which the
    date-free bands (name + given name, parents, name alone) make up for at lower cost. A missing
    column skips its families; a schema with none of these falls back to bands of its main field.
    """
    fields = {f["name"]: f for f in data.header.get("schema", {}).get("fields", [])}
    columns = data.columns
    names = {c.name for c in columns}

    def weight(c) -> float:
        return float(fields.get(c.field, {}).get("weight", 1.0))

    def kind(c) -> str:
        return fields.get(c.field, {}).get("type", "string")

    text = [c for c in columns if kind(c) not in ("date", "category", "number") and c.bits >= 256
            and c.name == c.field]
    if not text:
        text = sorted(columns, key=lambda c: -c.bits)[:1]
    ranked = [c.name for c in sorted(text, key=lambda c: (-weight(c), columns.index(c)))]
    main = ranked[0]
    parents = ranked[1:3]  # the next two text fields (father's, mother's name)

    def given(name: str) -> str | None:
        return f"{name}.given" if f"{name}.given" in names else None

    dates = [c for c in columns if kind(c) == "date"]
    year = next((c.name for c in dates if c.name.endswith(".year")), dates[0].name if dates else None)
    day = next((c.name for c in dates if c.name != year), None)
    g = given(main)
    pg = [given(p) or p for p in parents]
    families: list[Family] = []
    if year and day:
        families.append(Family.of({year: EXACT, day: EXACT}, 1))
    if g and year:
        families.append(Family.of({g: 2, year: EXACT}, 4))
    if g and day:
        families.append(Family.of({g: 1, day: EXACT}, 3))
    if day:
        families.append(Family.of({main: 2, day: EXACT}, 7))
    if year:
        families.append(Family.of({main: 2, year: EXACT}, 10))
    if g:
        families.append(Family.of({g: 2, main: 2}, 9))
    for parent, bands in zip(pg, (11, 10)):
        families.append(Family.of({g or main: 2, parent: 2}, bands))
    if len(pg) == 2:
        families.append(Family.of({pg[0]: 2, pg[1]: 2}, 3))
    families.append(Family.of({main: 5}, 12))
    if parents:
        families.append(Family.of({main: 2, parents[0]: 2}, 6))
    if not (year or day or g or parents):
        families.append(Family.of({main: 3}, 16))
    return families


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _mix(h, v):
    """splitmix64-style combination of a running key with one value."""
    x = (h ^ np.uint64(v)) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return x


@njit(cache=True, parallel=True)
def _band_keys(bits, mask, hash_word, hash_len, hash_start, perm, band_start, out):
    """out[i, b] = key of band b for row i (0 = a column of the band is missing).

    Hash h scans ``perm[hash_start[h] : hash_start[h] + hash_len[h]]`` (bit positions within the
    column starting at word ``hash_word[h]``) for the first set bit; its rank is the hash value.
    Band b uses hashes ``band_start[b] : band_start[b + 1]``.
    """
    n = bits.shape[0]
    nb = band_start.shape[0] - 1
    for i in prange(n):
        for b in range(nb):
            key = np.uint64(0x243F6A8885A308D3) + np.uint64(b)
            ok = True
            for h in range(band_start[b], band_start[b + 1]):
                w0 = hash_word[h]
                s0 = hash_start[h]
                length = hash_len[h]
                if length < 0:  # the whole column: its filter must be equal
                    seen = np.uint64(0)
                    for w in range(w0, w0 - length):
                        key = _mix(key, bits[i, w])
                        seen |= bits[i, w]
                    if seen == 0:
                        ok = False
                        break
                    continue
                rank = -1
                for t in range(length):
                    p = perm[s0 + t]
                    if ((bits[i, w0 + (p >> 6)] & mask[w0 + (p >> 6)]) >> np.uint64(p & 63)) & np.uint64(1):
                        rank = t
                        break
                if rank < 0:
                    ok = False
                    break
                key = _mix(key, rank + 1)
            if ok:
                if key == 0:
                    key = np.uint64(1)
                out[i, b] = key
            else:
                out[i, b] = 0


@njit(cache=True, parallel=True)
def _dedupe_rows(ptr, idx):
    """Sort each row and count its distinct entries (in place)."""
    n = ptr.shape[0] - 1
    counts = np.zeros(n, np.int64)
    for r in prange(n):
        lo = ptr[r]
        hi = ptr[r + 1]
        if hi - lo == 0:
            continue
        seg = np.sort(idx[lo:hi])
        k = 0
        prev = -1
        for t in range(seg.shape[0]):
            if seg[t] != prev:
                idx[lo + k] = seg[t]
                k += 1
                prev = seg[t]
        counts[r] = k
    return counts


@njit(cache=True, parallel=True)
def _compact(ptr, idx, counts, new_ptr, out):
    for r in prange(ptr.shape[0] - 1):
        a = ptr[r]
        b = new_ptr[r]
        for t in range(counts[r]):
            out[b + t] = idx[a + t]


@njit(cache=True)
def _drop_big(keys, cap):
    """Zero the keys (in place, per band column) held by more than ``cap`` rows."""
    for band in range(keys.shape[1]):
        col = keys[:, band].copy()
        order = np.argsort(col)
        n = col.shape[0]
        i = 0
        while i < n:
            j = i
            while j < n and col[order[j]] == col[order[i]]:
                j += 1
            if j - i > cap:
                for t in range(i, j):
                    keys[order[t], band] = 0
            i = j


@njit(cache=True, parallel=True)
def _prefix_index(kb_sorted, shift, out):
    """out[band, t] = the first position in ``kb_sorted[band]`` whose key's top bits (key >> shift)
    are >= t. Band keys are hash values, spread evenly: a key's range is found within its slot."""
    slots = out.shape[1]
    for band in prange(kb_sorted.shape[0]):
        keys = kb_sorted[band]
        p = 0
        for t in range(slots):
            while p < keys.shape[0] and (keys[p] >> shift) < np.uint64(t):
                p += 1
            out[band, t] = p


@njit(cache=True, parallel=True)
def _block_count(ka, kb_sorted, prefix, shift, lo_out, hi_out, counts):
    """For each A row of the block and band, the range of B rows with its key (lo/hi into kb_sorted),
    searched within the key's slot of the prefix index (a cache miss or two, not a search of all B)."""
    n, nb = ka.shape
    for r in prange(n):
        total = 0
        for band in range(nb):
            key = ka[r, band]
            if key == 0:
                lo_out[r, band] = 0
                hi_out[r, band] = 0
                continue
            slot = np.int64(key >> shift)
            first = prefix[band, slot]
            keys = kb_sorted[band, first:prefix[band, slot + 1]]
            lo = first + np.searchsorted(keys, key, side="left")
            hi = first + np.searchsorted(keys, key, side="right")
            lo_out[r, band] = lo
            hi_out[r, band] = hi
            total += hi - lo
        counts[r] = total


@njit(cache=True, parallel=True)
def _block_fill(lo, hi, ob, ptr, idx):
    n, nb = lo.shape
    for r in prange(n):
        k = ptr[r]
        for band in range(nb):
            for t in range(lo[r, band], hi[r, band]):
                idx[k] = ob[band, t]
                k += 1


@njit(cache=True, inline="always")
def _pre_score(sig_a, i, sig_b, j, col_word, col_bytes, col_high, table, offset):
    """Quantised prior-like score of a pair from its min-hash signatures (>= 1): per column, the
    number of equal min-hashes looked up in ``table`` (the prior ramp of the Jaccard estimate as
    Dice); a column missing on either side adds nothing. Signatures hold up to 8 one-byte min-hashes
    of a column per 64-bit word; equal bytes are counted without branching."""
    s = offset
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    for c in range(col_word.shape[0]):
        w = col_word[c]
        va = sig_a[i, w] & col_bytes[c]
        vb = sig_b[j, w] & col_bytes[c]
        if va == 0 or vb == 0:
            continue
        x = va ^ vb
        y = ~(((x & low7) + low7) | x | low7)
        s += table[c, _popc(y & col_high[c])]
    return s


@njit(cache=True, parallel=True)
def _block_ranked(lo, hi, ob, place, n_b, budget, cap, chunks, rows, sig_a, sig_b, col_word, col_bytes, col_high, table,
                  offset, top, out, counts):
    """Per A row: the B rows met in any band whose B bucket holds at most ``cap`` rows, ranked by
    :func:`_pre_score` of their signatures; the ``budget`` best (ties: lower B row first) are
    written, sorted by row, to ``out[r * budget:]``; ``counts[r]`` says how many. Rows are cut into
    ``chunks`` runs of ``rows`` (rows in this order: rows sharing buckets next to each other reuse
    the cache), each with its own dense score array over B."""
    n, nb = lo.shape
    per = (n + chunks - 1) // chunks
    for c in prange(chunks):
        r0 = c * per
        r1 = min(n, r0 + per)
        if r0 >= r1:
            continue
        longest = 0
        for q in range(r0, r1):
            r = rows[q]
            total = 0
            for band in range(nb):
                size = hi[r, band] - lo[r, band]
                if size <= cap:
                    total += size
            longest = max(longest, total)
        acc = np.zeros(n_b, np.int32)
        touched = np.empty(max(longest, 1), np.int64)
        hist = np.zeros(top, np.int64)
        chosen = np.empty(budget, np.int64)
        tied = np.empty(max(longest, 1), np.int64)
        for q in range(r0, r1):
            r = rows[q]
            m = 0
            for band in range(nb):
                size = hi[r, band] - lo[r, band]
                if size == 0 or size > cap:
                    continue
                end = hi[r, band]
                for t in range(lo[r, band], end):
                    if t + _AHEAD < end:  # B rows of a bucket are scattered: fetch a few ahead
                        ahead = ob[band, t + _AHEAD]
                        _prefetch(sig_b, ahead)
                        _prefetch(acc, ahead)
                    j = ob[band, t]
                    if acc[j] == 0:
                        touched[m] = j
                        m += 1
                        acc[j] = min(max(_pre_score(sig_a, r, sig_b, j, col_word, col_bytes, col_high, table, offset), 1), top - 1)
            k = 0
            if m <= budget:
                for t in range(m):
                    chosen[k] = touched[t]
                    k += 1
            else:
                best = 0
                for t in range(m):
                    v = acc[touched[t]]
                    hist[v] += 1
                    if v > best:
                        best = v
                kth = best
                seen = 0
                while True:  # the budget-th best score
                    seen += hist[kth]
                    if seen >= budget:
                        break
                    kth -= 1
                for t in range(m):
                    hist[acc[touched[t]]] = 0
                q = 0
                for t in range(m):
                    j = touched[t]
                    if acc[j] > kth:
                        chosen[k] = j
                        k += 1
                    elif acc[j] == kth:
                        tied[q] = j
                        q += 1
                ties = np.sort(tied[:q])
                for t in range(budget - k):
                    chosen[k] = ties[t]
                    k += 1
            for t in range(m):
                acc[touched[t]] = 0
            for t in range(k):
                chosen[t] = place[chosen[t]]
            sel = np.sort(chosen[:k])
            base = r * budget
            for t in range(k):
                out[base + t] = sel[t]
            counts[r] = k


@njit(cache=True, parallel=True)
def _contains(ptr, idx, ia, ib, out):
    for p in prange(ia.shape[0]):
        i = ia[p]
        lo = ptr[i]
        hi = ptr[i + 1]
        k = np.searchsorted(idx[lo:hi], ib[p])
        out[p] = k < hi - lo and idx[lo + k] == ib[p]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def _rng(seed: int, fingerprint: str, *parts: object) -> np.random.Generator:
    text = "|".join(["pprl-blocking-v1", str(seed), fingerprint, *map(str, parts)])
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "little"))


def _plan(data: EncodedData, families: Sequence[Family], seed: int, tag: str = ""):
    """Flattened hash tables for :func:`_band_keys`: per hash its column word, length and bit order."""
    by_name = {c.name: (i, c) for i, c in enumerate(data.columns)}
    offsets = data.offsets
    fingerprint = data.header.get("schema_fingerprint", "")
    words, lengths, starts, perms, band_start = [], [], [], [], [0]
    total = 0
    for f, family in enumerate(families):
        for band in range(family.bands):
            for name, count in family.hashes:
                if name not in by_name:
                    raise ValueError(f"blocking: no filter column {name!r}")
                index, column = by_name[name]
                if count == EXACT:
                    words.append(offsets[index])
                    lengths.append(-column.words)
                    starts.append(total)
                    continue
                for h in range(count):
                    parts = (tag, f, band, name, h) if tag else (f, band, name, h)
                    order = _rng(seed, fingerprint, *parts).permutation(column.bits).astype(np.int32)
                    words.append(offsets[index])
                    lengths.append(column.bits)
                    starts.append(total)
                    perms.append(order)
                    total += column.bits
            band_start.append(len(words))
    as64 = lambda v: np.asarray(v, np.int64)  # noqa: E731
    perm = np.concatenate(perms) if perms else np.zeros(0, np.int32)
    return as64(words), as64(lengths), as64(starts), perm, as64(band_start)


@njit(cache=True, parallel=True)
def _bit_counts(bits, out):
    """out[w * 64 + k] += records with bit k of word w set (one thread per word)."""
    for w in prange(bits.shape[1]):
        for i in range(bits.shape[0]):
            x = bits[i, w]
            while x:
                k = 0
                y = x & (~x + np.uint64(1))
                while (y >> np.uint64(k)) != np.uint64(1):
                    k += 1
                out[w * 64 + k] += 1
                x ^= y


def informative_bits(a: EncodedData, b: EncodedData, max_share: float) -> np.ndarray:
    """(W,) uint64 mask of the bits set in at most ``max_share`` of the records of A and B together.

    Only columns of 256 bits or more are masked. Bits that nearly every filter has (tokens every name shares) make min-wise hashes collide for
    unrelated records; hashing skips them. The mask depends only on bit frequencies, which the
    coordinator sees anyway.
    """
    width = a.bits.shape[1]
    counts = np.zeros(width * 64, np.int64)
    for data in (a, b):
        if len(data.ids):
            _bit_counts(np.ascontiguousarray(data.bits, dtype=np.uint64), counts)
    keep = counts <= max_share * max(len(a.ids) + len(b.ids), 1)
    offsets = a.offsets
    for index, column in enumerate(a.columns):
        if column.bits < 256:  # small columns (dates, categories) are hashed in full
            keep[offsets[index] * 64:offsets[index + 1] * 64] = True
    return np.packbits(keep, bitorder="little").view("<u8").astype(np.uint64)


def band_keys(data: EncodedData, families: Sequence[Family], seed: int = 0, mask: np.ndarray | None = None,
              tag: str = "") -> np.ndarray:
    """(n, bands) uint64 band keys of every record (0 where a band's column is missing); min-wise
    hashes look only at the bits in ``mask`` (exact columns always use all bits)."""
    words, lengths, starts, perm, band_start = _plan(data, families, seed, tag)
    out = np.empty((len(data.ids), len(band_start) - 1), np.uint64)
    bits = np.ascontiguousarray(data.bits, dtype=np.uint64)
    if mask is None:
        mask = np.full(bits.shape[1], np.uint64(0xFFFFFFFFFFFFFFFF))
    if out.size:
        _band_keys(bits, mask, words, lengths, starts, perm, band_start, out)
    return out


#: Min-hashes per column in the signatures that rank candidates (at most 8; other text columns: 4;
#: columns of 64 bits or less: 1, the whole filter).
SIGNATURE = {"name": 8, "name.given": 8}
TEXT_SLOTS = 4


def _bucket_mass(sorted_keys: np.ndarray) -> float:
    """Sum of squared bucket sizes of one band's sorted keys (missing keys left out)."""
    keys = sorted_keys[sorted_keys != 0]
    if keys.size == 0:
        return 0.0
    edges = np.flatnonzero(np.diff(keys)) + 1
    sizes = np.diff(np.concatenate([[0], edges, [keys.size]]))
    return float((sizes.astype(np.float64) ** 2).sum())


def signatures(data: EncodedData, seed: int = 0) -> tuple[np.ndarray, tuple]:
    """(n, W) uint64 min-hash signatures, one byte per min-hash (0 = column missing), and the plan
    :func:`_pre_score` reads them with: per column its word, byte mask, high-bit mask, and the score
    (x16) of each count of equal min-hashes (the schema weight times the prior ramp of the Jaccard
    estimate as Dice: -1/2 at Dice <= 0.4, 0 at 0.6, 1 at 1), then the offset and size of the
    score range."""
    fields = {f["name"]: f for f in data.header.get("schema", {}).get("fields", [])}
    families, place, counts, weights = [], [], [], []
    word, used = 0, 0
    for column in data.columns:
        count = SIGNATURE.get(column.name, TEXT_SLOTS if column.bits > 64 else 1)
        count = max(1, min(8, count))
        if used + count > 8:
            word, used = word + 1, 0
        place.append((word, used))
        used += count
        counts.append(count)
        families.append(Family.of({column.name: EXACT}, 1) if count == 1 else Family.of({column.name: 1}, count))
        weights.append(float(fields.get(column.field, {}).get("weight", 1.0)))
    keys = band_keys(data, families, seed, tag="signature")
    low = (keys & np.uint64(0xFF)).astype(np.uint8)
    low[(low == 0) & (keys != 0)] = 1
    width = word + 1
    raw = np.zeros((len(data.ids), width * 8), np.uint8)
    col_word, col_bytes, col_high = [], [], []
    table = np.zeros((len(counts), 9), np.int32)
    k = 0
    for c, ((w, first), count) in enumerate(zip(place, counts)):
        raw[:, w * 8 + first:w * 8 + first + count] = low[:, k:k + count]
        k += count
        mask = sum(0xFF << (8 * (first + t)) for t in range(count))
        col_word.append(w)
        col_bytes.append(mask)
        col_high.append(mask & 0x8080808080808080)
        for eq in range(count + 1):
            jac = eq / count
            dice = 2 * jac / (1 + jac)
            ramp = float(np.interp(dice, [0.0, 0.4, 0.6, 1.0], [-0.5, -0.5, 0.0, 1.0]))
            table[c, eq] = int(round(16 * weights[c] * ramp))
    offset = int(16 * 0.5 * sum(weights)) + 1
    top = int(16 * 1.5 * sum(weights)) + 3
    sig = np.ascontiguousarray(raw.view("<u8").astype(np.uint64))
    plan = (np.asarray(col_word, np.int64), np.asarray(col_bytes, np.uint64), np.asarray(col_high, np.uint64), table,
            np.int32(offset), int(top))
    return sig, plan


_cache: list = []  # (weakref a, weakref b, params, result): blocking is asked twice per linkage
#: Candidates kept per A row (the best by signature pre-score, see :func:`_pre_score`); 0 keeps all.
BUDGET = 300
#: Rows of A whose candidates are generated (and can be scored) at a time by :func:`iter_candidates`.
BLOCK_ROWS = 50_000


class _Index:
    """Band keys of A and sorted band keys of B, buckets over the cap dropped: what blocks are cut from."""

    def __init__(self, a: EncodedData, b: EncodedData, families: Sequence[Family], seed: int, max_bucket: int,
                 max_share: float, budget: int = 0) -> None:
        mask = informative_bits(a, b, max_share) if max_share < 1.0 else None
        self.keys_a = band_keys(a, families, seed, mask)
        keys_b = band_keys(b, families, seed, mask)
        self.cap_b = int(max_bucket)
        self.budget = int(budget)
        if self.budget > 0:
            self.sig_a, self.sig_plan = signatures(a, seed)
            self.sig_b = signatures(b, seed)[0]
        if self.budget <= 0:  # ranked blocks skip B buckets over the cap themselves; A's size costs nothing
            _drop_big(self.keys_a, max_bucket)
            _drop_big(keys_b, max_bucket)
        keys_b = np.ascontiguousarray(keys_b.T)  # (bands, n_b)
        self.order_b = np.argsort(keys_b, axis=1, kind="stable").astype(np.int64)
        self.sorted_b = np.take_along_axis(keys_b, self.order_b, axis=1)
        # about 8 B keys per slot of the prefix index (8 bytes a slot and band)
        bits = max(1, min(24, (keys_b.shape[1] // 8).bit_length()))
        self.shift = np.uint64(64 - bits)
        self.prefix_b = np.empty((keys_b.shape[0], (1 << bits) + 1), np.int64)
        _prefix_index(self.sorted_b, self.shift, self.prefix_b)
        self.place_b = np.arange(keys_b.shape[1], dtype=np.int64)
        if self.budget > 0 and keys_b.shape[0]:
            # B rows renumbered in the order of the band with the largest buckets, so that the rows of
            # a bucket (namesakes, mostly) sit together in the signatures and the score array
            widest = int(np.argmax([_bucket_mass(k) for k in self.sorted_b]))
            self.place_b = self.order_b[widest].copy()
            inverse = np.empty_like(self.place_b)
            inverse[self.place_b] = np.arange(self.place_b.shape[0])
            self.order_b = np.ascontiguousarray(inverse[self.order_b])
            self.sig_b = np.ascontiguousarray(self.sig_b[self.place_b])
        del keys_b

    def block(self, start: int, stop: int, budget: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        ka = np.ascontiguousarray(self.keys_a[start:stop])
        n, bands = ka.shape
        lo = np.empty((n, bands), np.int64)
        hi = np.empty((n, bands), np.int64)
        counts = np.empty(n, np.int64)
        _block_count(ka, self.sorted_b, self.prefix_b, self.shift, lo, hi, counts)
        budget = self.budget if budget is None else budget
        if budget > 0:
            # no row meets more B rows than its bands' buckets hold: a larger budget changes nothing
            met = np.where(hi - lo <= self.cap_b, hi - lo, 0)
            budget = max(1, min(int(budget), int(met.sum(axis=1).max()) if n else 1))
            buf = np.empty(n * budget, np.int64)
            sizes = met.sum(axis=0)
            del met
            widest = int(np.argmax(sizes))  # rows with the same key in the band of the largest buckets together
            rows = np.argsort(ka[:, widest], kind="stable").astype(np.int64)
            _block_ranked(lo, hi, self.order_b, self.place_b, self.sorted_b.shape[1], budget, self.cap_b,
                          min(n, 64), rows, np.ascontiguousarray(self.sig_a[start:stop]), self.sig_b, *self.sig_plan, buf, counts)
            ptr = np.zeros(n + 1, np.int64)
            np.cumsum(counts, out=ptr[1:])
            out = np.empty(int(ptr[-1]), np.int64)
            _compact(np.arange(0, (n + 1) * budget, budget, dtype=np.int64), buf, counts, ptr, out)
            return ptr, out
        ptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        idx = np.empty(int(ptr[-1]), np.int64)
        _block_fill(lo, hi, self.order_b, ptr, idx)
        del lo, hi
        counts = _dedupe_rows(ptr, idx)
        new_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=new_ptr[1:])
        out = np.empty(int(new_ptr[-1]), np.int64)
        _compact(ptr, idx, counts, new_ptr, out)
        return new_ptr, out


def _limits(max_bucket: int | None, budget: int | None) -> tuple[int, int]:
    budget = BUDGET if budget is None else max(0, int(budget))
    if max_bucket is None:
        max_bucket = RANKED_MAX_BUCKET if budget > 0 else MAX_BUCKET
    return int(max_bucket), budget


def iter_candidates(a: EncodedData, b: EncodedData, families: Sequence[Family] | None = None, seed: int = 0,
                    max_bucket: int | None = None, max_share: float = MAX_SHARE, block_rows: int = BLOCK_ROWS,
                    budget: int | None = None):
    """The candidates of :func:`candidates`, one block of A rows at a time: yields ``(start, stop,
    cand_ptr, cand_idx)`` with ``cand_ptr`` over rows ``start:stop`` (starting at 0). Memory is the band
    keys (8 bytes per record and band; B's twice, and its prefix index about 1 byte more), the
    signatures (48 bytes per record) plus one block's pairs, whatever the size of A x B."""
    families = list(families) if families is not None else default_families(a)
    n_a = len(a.ids)
    if n_a == 0:
        return
    max_bucket, budget = _limits(max_bucket, budget)
    index = _Index(a, b, families, seed, max_bucket, max_share, budget)
    for start in range(0, n_a, max(1, int(block_rows))):
        stop = min(n_a, start + max(1, int(block_rows)))
        ptr, idx = index.block(start, stop)
        yield start, stop, ptr, idx


def candidates(a: EncodedData, b: EncodedData, families: Sequence[Family] | None = None, seed: int = 0,
               max_bucket: int | None = None, max_share: float = MAX_SHARE,
               budget: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Candidate pairs of A and B by LSH over their filters: ``(cand_ptr, cand_idx, method)``.

    ``families`` defaults to :func:`default_families` of A's schema; ``seed`` picks other bit orders;
    ``budget`` (default :data:`BUDGET`) keeps the best so many per A row by signature pre-score, 0
    keeps every pair met; ``max_bucket`` skips buckets with more B records than this (default
    :data:`RANKED_MAX_BUCKET` with a budget; without one, :data:`MAX_BUCKET`, on either side). All
    pairs at once: for large inputs use :func:`iter_candidates`, which yields the same pairs block by
    block.
    """
    families = list(families) if families is not None else default_families(a)
    max_bucket, budget = _limits(max_bucket, budget)
    params = (tuple(families), int(seed), int(max_bucket), float(max_share), budget)
    for ref_a, ref_b, cached_params, result in _cache:
        if ref_a() is a and ref_b() is b and cached_params == params:
            return result
    n_a = len(a.ids)
    ptrs, idxs = [np.zeros(1, np.int64)], []
    for start, stop, ptr, idx in iter_candidates(a, b, families, seed, max_bucket, max_share, budget=budget):
        ptrs.append(ptr[1:] + ptrs[-1][-1])
        idxs.append(idx)
    ptr = np.concatenate(ptrs) if n_a else np.zeros(1, np.int64)
    idx = np.concatenate(idxs) if idxs else np.zeros(0, np.int64)
    result = (ptr, idx, METHOD)
    _cache[:] = [(weakref.ref(a), weakref.ref(b), params, result)]
    return result


def pair_completeness(cand_ptr: np.ndarray, cand_idx: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> float:
    """Share of the pairs ``(ia[p], ib[p])`` (e.g. the exhaustive linkage's matches) that the
    candidates contain; 1.0 when there are no pairs. Rows of ``cand_idx`` must be sorted."""
    ia = np.ascontiguousarray(np.asarray(ia, np.int64))
    ib = np.ascontiguousarray(np.asarray(ib, np.int64))
    if ia.size == 0:
        return 1.0
    out = np.zeros(ia.shape[0], np.bool_)
    _contains(np.ascontiguousarray(cand_ptr, dtype=np.int64), np.ascontiguousarray(cand_idx, dtype=np.int64),
              ia, ib, out)
    return float(out.mean())
