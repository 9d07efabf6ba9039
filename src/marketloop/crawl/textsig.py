"""Signatures of a page's main text (pure): word count, exact hash, 64-bit SimHash.

- `content_hash`: xxh3-128 of the lower-cased words joined by one space, so markup, whitespace
  and case changes do not make two copies of a text differ (`duplicate_content`).
- `simhash`: Charikar's SimHash over 3-word shingles, each distinct shingle weighted once. Two
  texts that share most shingles differ in few of the 64 bits: `similarity = 1 - hamming / 64`,
  so the auditor's `near_duplicate` (>= 90 %) is a Hamming distance of at most 6. SimHash is a
  sketch: texts 96 % alike usually differ in 2-6 bits but sometimes in more.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import xxhash

WORD = re.compile(r"\w+")
SHINGLE = 3
NEAR_DUPLICATE_MAX_DISTANCE = 6  # bits of 64: >= 90 % similar
_WORD_CACHE = 200_000
_WORDS: dict[str, int] = {}


class TextSignature(NamedTuple):
    word_count: int
    content_hash: str | None  # None for a text without words
    simhash: int | None


def signature(text: str) -> TextSignature:
    words = WORD.findall(text.lower())
    if not words:
        return TextSignature(0, None, None)
    joined = " ".join(words)
    return TextSignature(len(words), xxhash.xxh3_128_hexdigest(joined.encode()), simhash(words))


def simhash(words: list[str]) -> int:
    """64-bit SimHash of the distinct `SHINGLE`-word shingles of `words` (unsigned).

    Each word is hashed once (xxh64, cached); a shingle's hash mixes its words' hashes, so the
    per-shingle work is a few vectorised integer operations.
    """
    hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    if len(hashes) >= SHINGLE:
        hashes = hashes[:-2] ^ _rotate(hashes[1:-1], 21) ^ _rotate(hashes[2:], 42)
    shingles = np.unique(_mix(hashes))
    bits = np.unpackbits(shingles.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def _word_hash(word: str) -> int:
    value = _WORDS.get(word)
    if value is None:
        if len(_WORDS) >= _WORD_CACHE:
            _WORDS.clear()
        value = _WORDS[word] = xxhash.xxh64_intdigest(word.encode())
    return value


def _rotate(values: np.ndarray, bits: int) -> np.ndarray:
    return (values << np.uint64(bits)) | (values >> np.uint64(64 - bits))


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of combined word hashes."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = values ^ (values >> np.uint64(31))
    return mixed


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def similarity(a: int, b: int) -> float:
    return 1.0 - hamming(a, b) / 64
