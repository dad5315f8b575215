"""Tests of pprl.agency.bloom: keyed hashing of token sets into packed filters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pprl.agency.bloom import FilterHasher

KEY = b"k" * 32
tokens = st.frozensets(st.text(min_size=1, max_size=6), max_size=20)


def _bits_set(row: np.ndarray) -> set[int]:
    dense = np.unpackbits(row.astype("<u8").view(np.uint8), bitorder="little")
    return set(np.flatnonzero(dense).tolist())


@settings(max_examples=50, deadline=None)
@given(st.lists(tokens, max_size=8), st.sampled_from([64, 128, 1024]), st.integers(1, 16))
def test_deterministic_and_shaped(sets, bits, hashes):
    one = FilterHasher(KEY, bits, hashes).encode(sets)
    two = FilterHasher(KEY, bits, hashes).encode(sets)
    assert one.dtype == np.uint64 and one.shape == (len(sets), bits // 64)
    assert np.array_equal(one, two)
    hasher = FilterHasher(KEY, bits, hashes)
    for row, token_set in zip(one, sets):
        expected = {int(p) for t in token_set for p in hasher.positions(t)}
        assert _bits_set(row) == expected
        assert 1 <= len(expected) <= hashes * len(token_set) or not token_set


@settings(max_examples=30, deadline=None)
@given(tokens.filter(bool))
def test_order_and_cache_do_not_matter(token_set):
    hasher = FilterHasher(KEY, 256, 5)
    ordered = hasher.encode([frozenset(sorted(token_set))])
    reversed_ = FilterHasher(KEY, 256, 5).encode([frozenset(sorted(token_set, reverse=True))])
    again = hasher.encode([frozenset(token_set)])
    assert np.array_equal(ordered, reversed_) and np.array_equal(ordered, again)


def test_missing_is_an_all_zero_row_and_present_is_not():
    hasher = FilterHasher(KEY, 128, 4)
    rows = hasher.encode([None, frozenset(), frozenset({"a"}), frozenset({"a", "b"})])
    assert not rows[0].any() and not rows[1].any()
    assert rows[2].any() and rows[3].any()
    assert _bits_set(rows[2]) <= _bits_set(rows[3])


def test_empty_input():
    assert FilterHasher(KEY, 128, 4).encode([]).shape == (0, 2)


def test_key_changes_positions():
    token_set = [frozenset(f"t{i}" for i in range(20))]
    one = FilterHasher(KEY, 1024, 6).encode(token_set)
    two = FilterHasher(b"j" * 32, 1024, 6).encode(token_set)
    assert not np.array_equal(one, two)


def test_positions_in_range_and_little_endian_layout():
    hasher = FilterHasher(KEY, 128, 16)
    for token in ("a", "b", "zz", "Магомедова"):
        positions = hasher.positions(token)
        assert len(positions) == 16
        assert ((positions >= 0) & (positions < 128)).all()
        row = hasher.encode([frozenset({token})])[0]
        for p in positions.tolist():
            assert (int(row[p // 64]) >> (p % 64)) & 1


def test_similar_sets_share_bits():
    hasher = FilterHasher(KEY, 1024, 5)
    a, b, c = hasher.encode([frozenset({"_a", "ab", "bc", "c_"}), frozenset({"_a", "ab", "bd", "d_"}),
                             frozenset({"_x", "xy", "yz", "z_"})])
    def dice(x, y):
        x, y = _bits_set(x), _bits_set(y)
        return 2 * len(x & y) / (len(x) + len(y))
    assert dice(a, b) > dice(a, c)


@pytest.mark.parametrize("bits, hashes", [(100, 4), (128, 0), (128, 17)])
def test_bad_parameters(bits, hashes):
    with pytest.raises(ValueError):
        FilterHasher(KEY, bits, hashes)
