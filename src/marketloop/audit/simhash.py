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
hashing instead (`_banded_pairs`, `band_plan`): bands widen with the number of fingerprints
so buckets stay small, and their number is capped, so the work grows linearly (times a log).
A pair exactly at the threshold is missed with probability about 1% up to about 250,000
pages and about 6% at 1,000,000; pairs a few bits closer far less often, and a group is lost
only if every link to it is. That is inside the MinHash estimate's own noise (about ±6 bits
at 90%).

The crawler's fingerprint is 256 one-bit MinHashes of a text's 3-word shingles
(`crawl/textsig.py`). Texts sharing a share `s` of their words (the rest changed at random
places) share about `c = s**3` of their shingles, a Jaccard similarity `J = c / (2 - c)`, and
differ in each bit with probability `(1 - J) / 2`: `max_distance` and `similarity` convert
between that share of words, in percent, and bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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
LSH_BAND = 16  # fewest bits of one band
LSH_BUCKET = 4  # random fingerprints expected per bucket of a band (sets its width)
LSH_BUCKET_CAP = 32  # partners compared per member of a bigger bucket
LSH_MISS = 0.01  # chance that a pair exactly at the threshold shares no band (uncapped)
LSH_MAX_BANDS = 200  # bands at most: bounds the work per fingerprint
LSH_SEED = 20_260_226
LSH_THREADS = 2  # threads searching the bands
LSH_PAIR_BATCH = 500_000  # candidate pairs compared at once per thread (beside DuckDB's cap)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection mod 2**64
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
    fingerprints: Sequence[int] | Sequence[Sequence[int]] | U64, distance: int
) -> list[Group]:
    """Groups (of two or more) of fingerprints linked by distances of at most `distance` bits.

    A fingerprint is one unsigned 64-bit number or a sequence of them (all of one length);
    an array of n × words unsigned 64-bit integers is taken as it is."""
    if not len(fingerprints):
        return []
    prints = np.array(fingerprints, dtype=np.uint64)
    if prints.ndim == 1:
        prints = prints[:, None]
    unique, first, inverse, counts = np.unique(
        prints, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    a, b, bits = _close_pairs(unique, distance)
    size = len(unique)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    closest = np.where(counts > 1, 0, BITS * prints.shape[1] + 1).astype(np.int64)
    np.minimum.at(closest, a, bits)
    np.minimum.at(closest, b, bits)
    nearest_print = _nearest(a, b, bits, first)
    point_labels = labels[inverse]
    in_groups = np.flatnonzero(np.bincount(point_labels)[point_labels] > 1)
    copies: dict[int, list[int]] = {}  # unique fingerprint → the indices holding it
    by_label: dict[int, list[int]] = {}
    for index in in_groups.tolist():  # only fingerprints in groups: few, even at 1M pages
        copies.setdefault(int(inverse[index]), []).append(index)
        by_label.setdefault(int(point_labels[index]), []).append(index)

    def nearest(member: int) -> int:
        same = copies[int(inverse[member])]
        if len(same) > 1:  # an identical fingerprint is as close as it gets
            return same[0] if same[0] != member else same[1]
        return int(first[nearest_print[inverse[member]]])

    return [
        Group(
            members,
            {m: int(closest[inverse[m]]) for m in members},
            {m: nearest(m) for m in members},
        )
        for members in by_label.values()
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
    of several random bands (`band_plan`). Bands come from a fixed seed, so the result is the
    same on every run. A bucket holding more than `LSH_BUCKET_CAP` fingerprints (a family of
    near-copies: random ones fill a bucket with about `LSH_BUCKET`) compares each member with
    its next `LSH_BUCKET_CAP` (in index order) only, so the pairs per band stay linear in the
    pages; chains of such links still join the family into one group. The bands are searched
    by `LSH_THREADS` threads (numpy's sorts, gathers and popcounts release the GIL)."""
    count, width = len(prints), BITS * prints.shape[1]
    band, bands = band_plan(count, distance, width)
    rng = np.random.default_rng(LSH_SEED)
    chosen = [rng.choice(width, band, replace=False) for _ in range(bands)]
    threads = max(1, min(LSH_THREADS, bands))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lsh") as pool:
        parts = pool.map(
            lambda share: _band_pairs(prints, chosen[share::threads], distance), range(threads)
        )
        found = [pairs for part in parts for pairs in part]
    pairs = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
    a, b = pairs // count, pairs % count
    return a, b, _distances(prints, a, b)


def _band_pairs(prints: U64, bands: list[I64], distance: int) -> list[I64]:
    """Per band (positions of its bits): the pairs of bucket mates at most `distance` apart,
    each as `a * count + b` (a < b)."""
    count = len(prints)
    found: list[I64] = []
    for positions in bands:
        order, keys = _bucket_order(_band_keys(prints, positions))
        ranked = np.take(prints, order, axis=0)  # bucket mates side by side: sequential reads
        for left, right in _bucket_pairs(keys, LSH_BUCKET_CAP, LSH_PAIR_BATCH):
            near = _distances(ranked, left, right) <= distance
            a, b = order[left[near]], order[right[near]]
            found.append(np.minimum(a, b) * count + np.maximum(a, b))
    return found


def _bucket_order(keys: U64) -> tuple[I64, U64]:
    """The positions of `keys` in key order, equal keys in position order, and the keys in
    that order. One sort of the keys' high bits packed with the positions: a plain sort of
    64-bit integers is about twice as fast as an argsort, and two keys that agree only on the
    high bits kept are bucket mates (a candidate more, compared like the others)."""
    index_bits = max(1, (len(keys) - 1).bit_length())
    if index_bits > 40:  # too few key bits would be left beside the positions
        order = np.argsort(keys, kind="stable").astype(np.int64)
        return order, keys[order]
    low = np.uint64((1 << index_bits) - 1)
    packed = (keys & ~low) | np.arange(len(keys), dtype=np.uint64)
    packed.sort()
    return (packed & low).astype(np.int64), packed & ~low


def band_plan(count: int, distance: int, width: int = MINHASH_BITS) -> tuple[int, int]:
    """(bits per band, bands) for `count` fingerprints of `width` bits.

    A band is wide enough that random fingerprints share a bucket with about `LSH_BUCKET`
    others (at least `LSH_BAND` bits), and there are enough bands that a pair exactly
    `distance` bits apart is missed with probability `LSH_MISS`, but at most `LSH_MAX_BANDS`
    (which binds from the start at 90%: about 1.04% missed),
    so the work grows with the pages times the log of the pages. Past about 250,000
    fingerprints the band widens and the cap binds: at 1,000,000 a pair exactly at the
    threshold (54 bits, 90%) is missed with probability about 6%, one 14 bits closer (about
    3 points more similar) less than 0.1%, a family of copies only if every link is missed."""
    band = max(LSH_BAND, math.ceil(math.log2(max(count, 2) / LSH_BUCKET)))
    band = min(band, width)
    shared = (1 - distance / width) ** band
    if shared >= 1:
        return band, 1
    if shared <= 0:
        return band, LSH_MAX_BANDS
    return band, min(LSH_MAX_BANDS, math.ceil(math.log(LSH_MISS) / math.log1p(-shared)))


def _band_keys(prints: U64, positions: I64) -> U64:
    """A 64-bit key per fingerprint from the bits at `positions` (a multiply-xor hash of the
    masked words: equal bits give equal keys; a rare collision only adds a candidate)."""
    masks = np.zeros(prints.shape[1], dtype=np.uint64)
    for position in positions.tolist():
        masks[position // BITS] |= np.uint64(1) << np.uint64(position % BITS)
    keys = np.zeros(len(prints), dtype=np.uint64)
    for word, mask in enumerate(masks):
        if mask:
            keys ^= prints[:, word] & mask
            keys *= _MIX
    return keys


def _distances(prints: U64, a: I64, b: I64) -> I64:
    bits = np.zeros(len(a), dtype=np.uint16)  # at most 64 per word: no conversion per word
    for w in range(prints.shape[1]):
        bits += np.bitwise_count(prints[a, w] ^ prints[b, w])
    return bits.astype(np.int64)


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


def _bucket_pairs(
    sorted_keys: U64, cap: int | None = None, batch: int = PAIR_BATCH
) -> Iterator[tuple[I64, I64]]:
    """Every pair of positions (i < j) with equal keys, in batches of about `batch`; with
    a `cap`, each position is paired with at most its next `cap` bucket mates."""
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
    if cap is not None:
        partners = np.minimum(partners, cap)
    cut = np.searchsorted(np.cumsum(partners), np.arange(batch, partners.sum(), batch))
    for chunk_rows, chunk_partners in zip(
        np.split(rows, cut), np.split(partners, cut), strict=True
    ):
        total = int(chunk_partners.sum())
        left = np.repeat(chunk_rows, chunk_partners)
        offsets = np.arange(total) - np.repeat(np.cumsum(chunk_partners) - chunk_partners,
                                               chunk_partners)  # fmt: skip
        yield left, left + 1 + offsets
