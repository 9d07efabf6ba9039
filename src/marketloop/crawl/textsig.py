"""Signatures of a page's main text (pure): word count, exact hash, 64-bit SimHash.

- `content_hash`: xxh3-128 of the lower-cased words joined by one space, so markup, whitespace
  and case changes do not make two copies of a text differ (`duplicate_content`).
- `simhash`: Charikar's SimHash over 3-word shingles, each weighted once. Two texts that share
  most shingles differ in few of the 64 bits; `similarity = 1 - hamming(a, b) / 64`, and the
  auditor's `near_duplicate` (>= 90 %) is a Hamming distance of at most 6.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import xxhash

WORD = re.compile(r"\w+")
SHINGLE = 3
NEAR_DUPLICATE_MAX_DISTANCE = 6  # bits of 64: >= 90 % similar


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
    """64-bit SimHash of the distinct `SHINGLE`-word shingles of `words` (unsigned)."""
    if len(words) < SHINGLE:
        shingles = {" ".join(words)}
    else:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    digests = b"".join(xxhash.xxh64_digest(s.encode()) for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def similarity(a: int, b: int) -> float:
    return 1.0 - hamming(a, b) / 64
