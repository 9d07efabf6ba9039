"""Signatures of a page's main text (pure): word count, exact hash, SimHash, MinHash.

- `word_count`: whitespace-separated tokens (`text.split()`) with a letter or digit in them, as
  editors and SEO tools count: "e-mail", "don't" and "3.5" are one word each, and a lone
  "–" or "|" between spaces is none.

- `content_hash`: xxh3-128 of the lower-cased words joined by one space, so markup, whitespace
  and case changes do not make two copies of a text differ (`duplicate_content`).
- `minhash`: 256 one-bit MinHashes (b-bit MinHash, Li & König) of the distinct 3-word shingles,
  by one-permutation hashing (one hash per shingle, see `minhash`), packed into four unsigned
  64-bit numbers. Two texts whose shingle sets have Jaccard
  similarity `J` agree on each bit with probability `(1 + J) / 2`, so the Hamming distance of
  their 256 bits estimates `J`; the auditor's `near_duplicate` turns that into the share of
  words the texts have in common (`audit/simhash.py`). 256 bits tell a 5 %-edited copy (about
  32 bits apart) from a 30 %-edited one (about 100) reliably, where one 64-bit SimHash cannot.
- `simhash`: Charikar's SimHash over the same shingles (kept for datasets and warehouses that
  read it; the auditor uses `minhash`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import xxhash

WORD = re.compile(r"\w+")
WORD_TOKEN = re.compile(r"\S*\w\S*")  # a whitespace-separated token with a letter or digit
SHINGLE = 3
MINHASH_BITS = 256
_WORD_CACHE = 200_000
_WORDS: dict[str, int] = {}


class TextSignature(NamedTuple):
    word_count: int
    content_hash: str | None  # None for a text without words
    simhash: int | None
    minhash: list[int] | None  # MINHASH_BITS bits as unsigned 64-bit numbers


def signature(text: str) -> TextSignature:
    count = len(WORD_TOKEN.findall(text))
    words = WORD.findall(text.lower())
    if not words:
        return TextSignature(count, None, None, None)
    joined = " ".join(words)
    shingles = shingle_hashes(words)
    return TextSignature(
        count,
        xxhash.xxh3_128_hexdigest(joined.encode()),
        simhash(shingles),
        minhash(shingles),
    )


def shingle_hashes(words: list[str]) -> np.ndarray:
    """The distinct hashes of the `SHINGLE`-word shingles of `words` (one per word if fewer).

    Each word is hashed once (xxh64, cached); a shingle's hash mixes its words' hashes, so the
    per-shingle work is a few vectorised integer operations.
    """
    hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    if len(hashes) >= SHINGLE:
        hashes = hashes[:-2] ^ _rotate(hashes[1:-1], 21) ^ _rotate(hashes[2:], 42)
    unique: np.ndarray = np.unique(_mix(hashes))
    return unique


def minhash(shingles: np.ndarray) -> list[int]:
    """`MINHASH_BITS` one-bit MinHashes of `shingles`, packed big-endian.

    One-permutation hashing (Li, Owen & Zhang 2012) with optimal densification (Shrivastava
    2017): each shingle is hashed once, its top 8 bits choose one of 256 bins and the minimum
    per bin is kept; an empty bin takes the minimum of the first filled bin in a fixed sequence
    of its own. Two texts agree on a bin's minimum with probability equal to their Jaccard
    similarity, as with 256 independent MinHashes, at the cost of one hash per shingle. The bit
    kept is the lowest bit of the bin's minimum re-mixed with the bin's own salt."""
    hashes = _mix(shingles ^ _OPH_SEED)
    bins = (hashes >> np.uint64(64 - _BIN_BITS)).astype(np.intp)
    order = np.lexsort((hashes, bins))
    sorted_bins = bins[order]
    first = np.r_[True, sorted_bins[1:] != sorted_bins[:-1]]
    minima = np.zeros(MINHASH_BITS, dtype=np.uint64)
    filled = np.zeros(MINHASH_BITS, dtype=bool)
    minima[sorted_bins[first]] = hashes[order][first]
    filled[sorted_bins[first]] = True
    empty = np.flatnonzero(~filled)
    attempt = 0
    while len(empty):  # at least one bin is filled: every page has a shingle
        step = np.uint64((attempt * int(_GOLDEN)) % 2**64)  # wraps like uint64, no warning
        probe = _mix(_BIN_SALTS[empty] + step)
        donors = (probe >> np.uint64(64 - _BIN_BITS)).astype(np.intp)
        found = filled[donors]
        minima[empty[found]] = minima[donors[found]]
        empty, attempt = empty[~found], attempt + 1
    bits = (_mix(minima ^ _BIN_SALTS) & np.uint64(1)).astype(np.uint8)
    packed = np.packbits(bits).view(">u8")
    return [int(v) for v in packed]


def simhash(shingles: np.ndarray) -> int:
    """64-bit SimHash of distinct shingle hashes (unsigned), each weighted once."""
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


#: one-permutation MinHash: 2**8 = MINHASH_BITS bins, a salt per bin, one seed for all shingles
_BIN_BITS = 8
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_OPH_SEED = np.uint64(0xD6E8FEB86659FD93)
_BIN_SALTS = _mix(np.arange(1, MINHASH_BITS + 1, dtype=np.uint64) * _GOLDEN)
