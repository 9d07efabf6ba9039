"""Near-duplicate grouping by bands must equal brute-force single linkage over all pairs."""

from __future__ import annotations

import random

import pytest

from marketloop.audit.simhash import max_distance, near_duplicate_groups, similarity


def brute_force(prints: list[int], distance: int) -> set[frozenset[int]]:
    parent = list(range(len(prints)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(prints)):
        for j in range(i + 1, len(prints)):
            if (prints[i] ^ prints[j]).bit_count() <= distance:
                parent[find(j)] = find(i)
    groups: dict[int, set[int]] = {}
    for i in range(len(prints)):
        groups.setdefault(find(i), set()).add(i)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def planted(seed: int, bases: int = 40, copies: int = 4, noise: int = 8) -> list[int]:
    """Random fingerprints plus near copies of some of them (flipping up to `noise` bits)."""
    rng = random.Random(seed)
    prints = [rng.getrandbits(64) for _ in range(bases)]
    for base in prints[: bases // 2]:
        for _ in range(copies):
            flipped = base
            for bit in rng.sample(range(64), rng.randint(0, noise)):
                flipped ^= 1 << bit
            prints.append(flipped)
    rng.shuffle(prints)
    return prints


@pytest.mark.parametrize(("seed", "distance"), [(1, 6), (2, 6), (3, 3), (4, 0), (5, 12)])
def test_bands_find_exactly_the_brute_force_groups(seed: int, distance: int) -> None:
    prints = planted(seed)
    found = {frozenset(g.members) for g in near_duplicate_groups(prints, distance)}
    assert found == brute_force(prints, distance)


def test_closest_is_the_distance_to_the_nearest_other_member() -> None:
    base = 0x0F0F_0F0F_0F0F_0F0F
    prints = [base, base ^ 0b111, base ^ 0b111, base ^ (0b11111 << 30), 0xFFFF_0000_FFFF_0000]
    (group,) = near_duplicate_groups(prints, 6)
    assert group.members == [0, 1, 2, 3]
    assert group.closest == {0: 3, 1: 0, 2: 0, 3: 5}
    assert group.nearest == {0: 1, 1: 2, 2: 1, 3: 0}  # 0: 1 and 2 tie at 3 bits, 1 is lower


def test_nearest_is_a_closest_member_on_random_groups() -> None:
    prints = planted(7)
    for group in near_duplicate_groups(prints, 6):
        for member in group.members:
            other = group.nearest[member]
            assert other != member and other in group.members
            assert (prints[member] ^ prints[other]).bit_count() == group.closest[member]


def test_similarity_thresholds_map_to_bits() -> None:
    assert max_distance(90) == 6  # 90% of 64 bits: at most 6 differ
    assert max_distance(100) == 0
    assert similarity(6) == 90.6
    assert near_duplicate_groups([], 6) == []
