"""Near-duplicate groups from 64-bit SimHash fingerprints, without comparing all pairs.

Two fingerprints within `d` differing bits agree exactly on at least one of `d + 1` bands
(pigeonhole), so only fingerprints sharing a band value are compared. Groups are single-linkage:
a page joins a group when it is within `d` bits of any member. Identical fingerprints are
collapsed first, so a thousand copies of one page cost one comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

BITS = 64
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def max_distance(similarity_percent: float) -> int:
    """Differing bits allowed for a similarity: 90% of 64 bits → at most 6 bits differ."""
    return int(BITS * (100 - similarity_percent) / 100 + 1e-9)


def similarity(distance: int) -> float:
    return round(100 * (BITS - distance) / BITS, 1)


@dataclass(frozen=True)
class Group:
    members: list[int]  # indices into the fingerprints given
    closest: dict[int, int]  # member → bits to its closest other member


def near_duplicate_groups(fingerprints: Sequence[int], distance: int) -> list[Group]:
    """Groups (of two or more) of fingerprints linked by distances of at most `distance` bits."""
    if not fingerprints:
        return []
    prints = np.array(fingerprints, dtype=np.uint64)
    unique, inverse, counts = np.unique(prints, return_inverse=True, return_counts=True)
    parent = np.arange(len(unique), dtype=np.int64)
    closest = np.where(counts > 1, 0, BITS + 1).astype(np.int64)
    for shift, width in _bands(distance):
        keys = (unique >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1], True])
        for lo, hi in pairwise(starts.tolist()):
            if hi - lo > 1:
                _link_bucket(unique, order[lo:hi], distance, parent, closest)
    roots = _roots(parent, np.arange(len(unique), dtype=np.int64))
    by_root: dict[int, list[int]] = {}
    for index, unique_index in enumerate(inverse.tolist()):
        by_root.setdefault(int(roots[unique_index]), []).append(index)
    return [
        Group(members, {m: int(closest[inverse[m]]) for m in members})
        for members in by_root.values()
        if len(members) > 1
    ]


def _bands(distance: int) -> list[tuple[int, int]]:
    """(shift, width) of `distance + 1` bands covering the 64 bits."""
    count = min(BITS, distance + 1)
    edges = [round(i * BITS / count) for i in range(count + 1)]
    return [(lo, hi - lo) for lo, hi in pairwise(edges)]


def _link_bucket(prints: U64, bucket: I64, distance: int, parent: I64, closest: I64) -> None:
    values = prints[bucket]
    for j in range(len(bucket) - 1):
        bits = np.bitwise_count(values[j] ^ values[j + 1 :]).astype(np.int64)
        near = np.flatnonzero(bits <= distance)
        if not len(near):
            continue
        others = bucket[j + 1 :][near]
        np.minimum.at(closest, others, bits[near])
        closest[bucket[j]] = min(int(closest[bucket[j]]), int(bits[near].min()))
        root = int(_roots(parent, np.array([bucket[j]]))[0])
        for other_root in np.unique(_roots(parent, others)).tolist():
            parent[other_root] = root
        parent[root] = root


def _roots(parent: I64, nodes: I64) -> I64:
    while True:
        up = parent[nodes]
        if np.array_equal(up, nodes):
            return nodes
        parent[nodes] = parent[up]  # path halving
        nodes = up
