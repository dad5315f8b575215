"""Keyed hashing of tokens into packed Bloom filters.

Each token is hashed once with keyed BLAKE2b (the key is the filter column's HKDF-derived key); the
digest is cut into ``hashes`` independent 32-bit positions. There is no double hashing (whose
structure the published Bloom-filter attacks exploit) and no unkeyed hash anywhere.
Filters are packed little-endian into uint64 words: bit ``p`` is bit ``p % 64`` of word ``p // 64``.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

_CACHE_LIMIT = 1 << 18
_NO_POSITIONS = np.zeros(0, dtype=np.int64)


class FilterHasher:
    """Maps token sets to filter rows for one column; remembers the positions of recent tokens."""

    def __init__(self, key: bytes, bits: int, hashes: int) -> None:
        if bits % 64 or not 1 <= hashes <= 16:
            raise ValueError("bits must be a multiple of 64 and hashes between 1 and 16")
        self.key = key
        self.bits = bits
        self.hashes = hashes
        self._cache: dict[str, np.ndarray] = {}
        self._rows: dict[frozenset[str], np.ndarray] = {}

    def positions(self, token: str) -> np.ndarray:
        found = self._cache.get(token)
        if found is None:
            digest = hashlib.blake2b(token.encode("utf-8"), key=self.key, digest_size=4 * self.hashes).digest()
            found = (np.frombuffer(digest, dtype="<u4") % self.bits).astype(np.int64)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = found
        return found

    def row_positions(self, tokens: frozenset[str]) -> np.ndarray:
        """The bit positions of one token set, repeats included (remembered: many values repeat)."""
        found = self._rows.get(tokens)
        if found is None:
            found = np.concatenate([self.positions(token) for token in tokens])
            if len(self._rows) >= _CACHE_LIMIT:
                self._rows.clear()
            self._rows[tokens] = found
        return found

    def encode(self, token_sets: Sequence[frozenset[str] | None]) -> np.ndarray:
        """(n, bits // 64) uint64 filters; an empty or None token set gives an all-zero row (missing)."""
        arrays = [self.row_positions(tokens) if tokens else _NO_POSITIONS for tokens in token_sets]
        lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
        dense = np.zeros((len(token_sets), self.bits), dtype=bool)
        if lengths.sum():
            dense[np.repeat(np.arange(len(arrays)), lengths), np.concatenate(arrays)] = True
        return np.packbits(dense, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)
