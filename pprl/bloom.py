"""Keyed hashing of tokens into packed Bloom filters.

Each token is hashed once with keyed BLAKE2b (the key is the filter column's HKDF-derived key); the
digest is cut into ``hashes`` independent 32-bit positions. There is no double hashing (whose
structure the published Bloom-filter attacks exploit) and no unkeyed hash anywhere.
Filters are packed little-endian into uint64 words: bit ``p`` is bit ``p % 64`` of word ``p // 64``.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

import numpy as np

_CACHE_LIMIT = 1 << 18


class FilterHasher:
    """Maps token sets to filter rows for one column; remembers the positions of recent tokens."""

    def __init__(self, key: bytes, bits: int, hashes: int) -> None:
        if bits % 64 or not 1 <= hashes <= 16:
            raise ValueError("bits must be a multiple of 64 and hashes between 1 and 16")
        self.key = key
        self.bits = bits
        self.hashes = hashes
        self._cache: dict[str, np.ndarray] = {}

    def positions(self, token: str) -> np.ndarray:
        found = self._cache.get(token)
        if found is None:
            digest = hashlib.blake2b(token.encode("utf-8"), key=self.key, digest_size=4 * self.hashes).digest()
            found = np.frombuffer(digest, dtype="<u4") % self.bits
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = found
        return found

    def encode(self, token_sets: Sequence[Iterable[str] | None]) -> np.ndarray:
        """(n, bits // 64) uint64 filters; an empty or None token set gives an all-zero row (missing)."""
        rows: list[int] = []
        chunks: list[np.ndarray] = []
        for row, tokens in enumerate(token_sets):
            for token in tokens or ():
                positions = self.positions(token)
                chunks.append(positions)
                rows.extend([row] * len(positions))
        dense = np.zeros((len(token_sets), self.bits), dtype=bool)
        if chunks:
            dense[np.asarray(rows, dtype=np.int64), np.concatenate(chunks).astype(np.int64)] = True
        return np.packbits(dense, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)
