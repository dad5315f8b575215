"""Keyed hashing of tokens into packed Bloom filters.

Each token is hashed once with keyed BLAKE2b (the key is the filter column's HKDF-derived key); the
digest is cut into ``hashes`` independent 32-bit positions. There is no double hashing (whose
structure the published Bloom-filter attacks exploit) and no unkeyed hash anywhere.
Filters are packed little-endian into uint64 words: bit ``p`` is bit ``p % 64`` of word ``p // 64``.
"""

from __future__ import annotations

import hashlib
import struct
from functools import reduce
from operator import or_
from typing import Sequence

import numpy as np

# Entries remembered per column (then forgotten at once): tokens repeat across records (n-grams,
# name parts) far more than whole values do, and a row costs far more memory than a token.
_TOKEN_CACHE = 1 << 16
_ROW_CACHE = 1 << 14


class FilterHasher:
    """Maps token sets to filter rows for one column; remembers the bits of recent tokens and rows.

    A token's bits are kept as one Python integer (bit ``p`` set for each position ``p``); a row is the
    OR of its tokens' integers, written out little-endian, which is exactly the packed layout above.
    """

    def __init__(self, key: bytes, bits: int, hashes: int) -> None:
        if bits % 64 or not 1 <= hashes <= 16:
            raise ValueError("bits must be a multiple of 64 and hashes between 1 and 16")
        self.key = key
        self.bits = bits
        self.hashes = hashes
        self._unpack = struct.Struct(f"<{hashes}I").unpack
        self._cache: dict[str, int] = {}  # token -> its bits as an integer
        self._rows: dict[frozenset[str], bytes] = {}  # token set -> packed row

    def _digest_positions(self, token: str) -> list[int]:
        digest = hashlib.blake2b(token.encode("utf-8"), key=self.key, digest_size=4 * self.hashes).digest()
        bits = self.bits
        return [word % bits for word in self._unpack(digest)]

    def positions(self, token: str) -> np.ndarray:
        """The ``hashes`` bit positions of one token (int64; repeats possible)."""
        return np.array(self._digest_positions(token), dtype=np.int64)

    def _token_bits(self, token: str) -> int:
        found = self._cache.get(token)
        if found is None:
            found = 0
            for position in self._digest_positions(token):
                found |= 1 << position
            if len(self._cache) >= _TOKEN_CACHE:
                self._cache.clear()
            self._cache[token] = found
        return found

    def _row(self, tokens: frozenset[str]) -> bytes:
        """The packed filter of one token set (remembered: many values repeat)."""
        found = self._rows.get(tokens)
        if found is None:
            try:  # most tokens were met before: OR their cached bits without a call per token
                value = reduce(or_, map(self._cache.__getitem__, tokens), 0)
            except KeyError:
                value = reduce(or_, map(self._token_bits, tokens), 0)
            found = value.to_bytes(self.bits // 8, "little")
            if len(self._rows) >= _ROW_CACHE:
                self._rows.clear()
            self._rows[tokens] = found
        return found

    def encode(self, token_sets: Sequence[frozenset[str] | None]) -> np.ndarray:
        """(n, bits // 64) uint64 filters; an empty or None token set gives an all-zero row (missing)."""
        empty = bytes(self.bits // 8)
        row = self._row
        packed = bytearray(b"".join([row(tokens) if tokens else empty for tokens in token_sets]))
        filters = np.frombuffer(packed, dtype="<u8").reshape(len(token_sets), self.bits // 64)
        return filters.astype(np.uint64, copy=False)
