"""Near-duplicate groups from bit fingerprints (one or more 64-bit words), without comparing
all pairs.

Split a 64-bit word into `B` blocks. Two words at most `d` bits apart differ in at most `d`
blocks, so they agree exactly on at least `k = B - d` blocks (pigeonhole). For every choice of
`k` blocks, fingerprints are bucketed by those bits and only bucket mates are compared: a
handful of sorts and vectorised XOR/popcounts instead of n² comparisons. `k` is chosen to
minimise the expected work for the number of fingerprints. A fingerprint of `W` words at most
`D` bits apart has a word at most `D // W` bits apart (pigeonhole again), so each word is
searched that way and the candidates are checked on all their bits. Identical fingerprints
are collapsed first; groups are single-linkage (connected components of the "at most D bits
apart" graph), so the result is exactly that of comparing every pair.

When that exact search would cost more than `EXACT_LIMIT` comparisons (wide fingerprints, a
large threshold and many pages: 100,000 pages at 90%), candidates come from locality-sensitive
hashing instead (`_banded_pairs`): a pair exactly at the threshold is missed with probability
at most 1%, closer pairs far less often, and a group is lost only if every link to it is.
That is well inside the MinHash estimate's own noise (about ±6 bits at 90%).

The crawler's fingerprint is 256 one-bit MinHashes of a text's 3-word shingles
(`crawl/textsig.py`). Texts sharing a share `s` of their words (the rest changed at random
places) share about `c = s**3` of their shingles, a Jaccard similarity `J = c / (2 - c)`, and
differ in each bit with probability `(1 - J) / 2`: `max_distance` and `similarity` convert
between that share of words, in percent, and bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

BITS = 64  # bits of one word
MINHASH_BITS = 256  # bits of the crawler's fingerprint
SHINGLE = 3
PAIR_BATCH = 2_000_000  # candidate pairs compared at once (bounds memory)
EXACT_LIMIT = 50_000_000  # expected comparisons above which wide fingerprints use LSH bands
LSH_BAND = 16  # bits of one band
LSH_MISS = 0.01  # chance that a pair exactly at the threshold shares no band
LSH_SEED = 20_260_226
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


def max_distance(similarity_percent: float) -> int:
    """Differing bits of 256 allowed for a share of common words: 90% → at most 54 bits."""
    shared = (similarity_percent / 100) ** SHINGLE
    jaccard = shared / (2 - shared)
    return int(MINHASH_BITS * (1 - jaccard) / 2 + 1e-9)


def similarity(distance: int) -> float:
    """The share of common words, in percent, that `distance` differing bits of 256 suggest."""
    jaccard = max(0.0, 1 - 2 * distance / MINHASH_BITS)
    shared = 2 * jaccard / (1 + jaccard)
    return round(100 * float(shared ** (1 / SHINGLE)), 1)


@dataclass(frozen=True)
class Group:
    members: list[int]  # indices into the fingerprints given
    closest: dict[int, int]  # member → bits to its closest other member
    nearest: dict[int, int]  # member → that closest other member (ties: the lowest index)


def near_duplicate_groups(
    fingerprints: Sequence[int] | Sequence[Sequence[int]], distance: int
) -> list[Group]:
    """Groups (of two or more) of fingerprints linked by distances of at most `distance` bits.

    A fingerprint is one unsigned 64-bit number or a sequence of them (all of one length)."""
    if not len(fingerprints):
        return []
    prints = np.array(fingerprints, dtype=np.uint64)
    if prints.ndim == 1:
        prints = prints[:, None]
    unique, inverse, counts = np.unique(prints, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    a, b, bits = _close_pairs(unique, distance)
    size = len(unique)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    closest = np.where(counts > 1, 0, BITS * prints.shape[1] + 1).astype(np.int64)
    np.minimum.at(closest, a, bits)
    np.minimum.at(closest, b, bits)
    copies: dict[int, list[int]] = {}  # unique fingerprint → the indices holding it
    for index, u in enumerate(inverse.tolist()):
        copies.setdefault(u, []).append(index)
    nearest_print = _nearest(a, b, bits, np.array([copies[u][0] for u in range(size)]))

    def nearest(member: int) -> int:
        same = copies[int(inverse[member])]
        if len(same) > 1:  # an identical fingerprint is as close as it gets
            return same[0] if same[0] != member else same[1]
        return copies[int(nearest_print[inverse[member]])][0]

    by_label: dict[int, list[int]] = {}
    for index, label in enumerate(labels[inverse].tolist()):
        by_label.setdefault(label, []).append(index)
    return [
        Group(
            members,
            {m: int(closest[inverse[m]]) for m in members},
            {m: nearest(m) for m in members},
        )
        for members in by_label.values()
        if len(members) > 1
    ]


def _nearest(a: I64, b: I64, bits: I64, first_index: I64) -> I64:
    """Per unique fingerprint, the closest other one linked to it (-1: none); ties go to the
    one whose first index is lowest."""
    ends, others = np.concatenate([a, b]), np.concatenate([b, a])
    apart = np.concatenate([bits, bits])
    nearest = np.full(len(first_index), -1, dtype=np.int64)
    if not len(ends):
        return nearest
    order = np.lexsort((first_index[others], apart, ends))
    ends, others = ends[order], others[order]
    first = np.r_[True, ends[1:] != ends[:-1]]
    nearest[ends[first]] = others[first]
    return nearest


def _close_pairs(prints: U64, distance: int) -> tuple[I64, I64, I64]:
    """Pairs (a, b, bits) of distinct rows of `prints` (n × words) at most `distance` apart."""
    words = prints.shape[1]
    if words == 1:
        return _close_word_pairs(prints[:, 0], distance) if distance > 0 else _no_pairs()
    if words * _exact_cost(len(prints), distance // words) > EXACT_LIMIT:
        return _banded_pairs(prints, distance)
    candidates = [_close_word_pairs(prints[:, w], distance // words)[:2]
                  for w in range(words)]  # fmt: skip
    a = np.concatenate([pair[0] for pair in candidates])
    b = np.concatenate([pair[1] for pair in candidates])
    pairs = np.unique(np.minimum(a, b) * len(prints) + np.maximum(a, b))
    a, b = pairs // len(prints), pairs % len(prints)
    bits = _distances(prints, a, b)
    near = bits <= distance
    return a[near], b[near], bits[near]


def _banded_pairs(prints: U64, distance: int) -> tuple[I64, I64, I64]:
    """Locality-sensitive hashing for many wide fingerprints: candidates share all bits of one
    of several random `LSH_BAND`-bit bands; enough bands that a pair exactly `distance` bits
    apart is missed with probability at most `LSH_MISS` (closer pairs far less often). Bands
    come from a fixed seed, so the result is the same on every run."""
    count, width = len(prints), BITS * prints.shape[1]
    bits = np.unpackbits(prints.astype(">u8").view(np.uint8).reshape(count, -1), axis=1)
    shared = (1 - distance / width) ** LSH_BAND
    bands = 1 if shared >= 1 else math.ceil(math.log(LSH_MISS) / math.log1p(-shared))
    weights = np.left_shift(1, np.arange(LSH_BAND, dtype=np.int64))
    rng = np.random.default_rng(LSH_SEED)
    found: list[I64] = []
    for _ in range(bands):
        keys = bits[:, rng.choice(width, LSH_BAND, replace=False)].astype(np.int64) @ weights
        order = np.argsort(keys, kind="stable")
        for left, right in _bucket_pairs(keys[order].astype(np.uint64)):
            a, b = order[left], order[right]
            near = _distances(prints, a, b) <= distance
            found.append(np.minimum(a, b)[near] * count + np.maximum(a, b)[near])
    pairs = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    a, b = pairs // count, pairs % count
    return a, b, _distances(prints, a, b)


def _distances(prints: U64, a: I64, b: I64) -> I64:
    bits = np.zeros(len(a), dtype=np.int64)
    for w in range(prints.shape[1]):
        bits += np.bitwise_count(prints[a, w] ^ prints[b, w]).astype(np.int64)
    return bits


def _no_pairs() -> tuple[I64, I64, I64]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty


def _close_word_pairs(prints: U64, distance: int) -> tuple[I64, I64, I64]:
    """Pairs of positions whose 64-bit words are at most `distance` bits apart."""
    found: list[tuple[I64, I64, I64]] = []
    blocks = _blocks(len(prints), distance)
    for chosen in combinations(blocks, len(blocks) - distance):
        keys = np.zeros(len(prints), dtype=np.uint64)
        for shift, width in chosen:
            mask = np.uint64((1 << width) - 1)
            keys = (keys << np.uint64(width)) | ((prints >> np.uint64(shift)) & mask)
        order = np.argsort(keys, kind="stable")
        for left, right in _bucket_pairs(keys[order]):
            a, b = order[left], order[right]
            bits = np.bitwise_count(prints[a] ^ prints[b]).astype(np.int64)
            near = bits <= distance
            found.append((a[near], b[near], bits[near]))
    if not found:
        return _no_pairs()
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]


def _block_cost(count: int, distance: int, k: int) -> float:
    """Expected work of the exact search with `k` agreeing blocks of `distance + k`."""
    blocks = distance + k
    key_bits = BITS * k / blocks
    return math.comb(blocks, k) * (count + count * count / 2**key_bits)


def _exact_cost(count: int, distance: int) -> float:
    return min(_block_cost(count, distance, k) for k in range(1, 6) if distance + k <= BITS)


def _blocks(count: int, distance: int) -> list[tuple[int, int]]:
    """(shift, width) of the blocks, their number chosen to minimise the expected comparisons."""
    ks = [k for k in range(1, 6) if distance + k <= BITS]
    k = min(ks, key=lambda k: _block_cost(count, distance, k))
    edges = [round(i * BITS / (distance + k)) for i in range(distance + k + 1)]
    return [(lo, hi - lo) for lo, hi in pairwise(edges)]


def _bucket_pairs(sorted_keys: U64) -> Iterator[tuple[I64, I64]]:
    """Every pair of positions (i < j) with equal keys, in batches of about PAIR_BATCH."""
    boundaries = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
    starts, lengths = boundaries[:-1], np.diff(boundaries)
    starts, lengths = starts[lengths > 1], lengths[lengths > 1]
    if not len(starts):
        return
    # one row per position that has partners after it in its bucket
    per_run = lengths - 1
    first_row = np.repeat(starts - (np.cumsum(per_run) - per_run), per_run)
    rows = np.arange(int(per_run.sum())) + first_row
    ends = np.repeat(starts + lengths, per_run)
    partners = ends - rows - 1
    cut = np.searchsorted(np.cumsum(partners), np.arange(PAIR_BATCH, partners.sum(), PAIR_BATCH))
    for chunk_rows, chunk_partners in zip(
        np.split(rows, cut), np.split(partners, cut), strict=True
    ):
        total = int(chunk_partners.sum())
        left = np.repeat(chunk_rows, chunk_partners)
        offsets = np.arange(total) - np.repeat(np.cumsum(chunk_partners) - chunk_partners,
                                               chunk_partners)  # fmt: skip
        yield left, left + 1 + offsets
