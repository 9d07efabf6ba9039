"""Near-duplicate grouping by bands must equal brute-force single linkage over all pairs."""

from __future__ import annotations

import random
from typing import Any

import pytest

from marketloop.audit import simhash
from marketloop.audit.simhash import max_distance, near_duplicate_groups, similarity
from marketloop.crawl.textsig import signature


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
    assert max_distance(90) == 54  # of 256 MinHash bits: >= 90 % of the words in common
    assert max_distance(100) == 0
    assert similarity(54) == 90.2 and similarity(0) == 100.0 and similarity(128) == 0.0
    assert near_duplicate_groups([], 54) == []


def planted_wide(seed: int, words: int = 4, bases: int = 30, noise: int = 40) -> list[list[int]]:
    """Random multi-word fingerprints plus near copies (flipping up to `noise` bits)."""
    rng = random.Random(seed)
    total = 64 * words
    prints = [rng.getrandbits(total) for _ in range(bases)]
    prints.extend(
        base ^ sum(1 << b for b in rng.sample(range(total), rng.randint(0, noise)))
        for base in prints[: bases // 2]
        for _ in range(3)
    )
    rng.shuffle(prints)
    mask = 2**64 - 1
    return [[(p >> (64 * w)) & mask for w in reversed(range(words))] for p in prints]


@pytest.mark.parametrize(("seed", "distance"), [(1, 54), (2, 30), (3, 3), (4, 0), (5, 80)])
def test_wide_fingerprints_find_exactly_the_brute_force_groups(seed: int, distance: int) -> None:
    prints = planted_wide(seed)
    joined = [int.from_bytes(b"".join(w.to_bytes(8, "big") for w in p), "big") for p in prints]
    found = {frozenset(g.members) for g in near_duplicate_groups(prints, distance)}
    assert found == brute_force(joined, distance)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_wide_fingerprints_use_bands_and_find_the_brute_force_groups(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above EXACT_LIMIT the search is locality-sensitive hashing; copies at most 40 bits
    apart (threshold 54) are found as by comparing every pair."""
    calls = 0
    banded = simhash._banded_pairs

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return banded(*args)

    monkeypatch.setattr(simhash, "EXACT_LIMIT", 0)
    monkeypatch.setattr(simhash, "_banded_pairs", counting)
    prints = planted_wide(seed, bases=200)
    joined = [int.from_bytes(b"".join(w.to_bytes(8, "big") for w in p), "big") for p in prints]
    found = {frozenset(g.members) for g in near_duplicate_groups(prints, 54)}
    assert calls == 1
    assert found == brute_force(joined, 54)


VOCABULARY = [f"word{i}" for i in range(3000)]
ZIPF = [1 / (rank + 1) for rank in range(len(VOCABULARY))]  # common words repeat, as in prose


def edited_pairs(seed: int, share: float, pairs: int = 30) -> list[tuple[str, str]]:
    """Texts of 300-800 words and copies with `share` of their words replaced at random."""
    rng = random.Random(seed)
    out = []
    for _ in range(pairs):
        words = rng.choices(VOCABULARY, ZIPF, k=rng.randint(300, 800))
        copy = list(words)
        for i in rng.sample(range(len(words)), int(len(words) * share)):
            copy[i] = rng.choices(VOCABULARY, ZIPF)[0]
        out.append((" ".join(words), " ".join(copy)))
    return out


def flagged(pairs: list[tuple[str, str]], percent: float = 90) -> int:
    prints = [signature(text).minhash for pair in pairs for text in pair]
    groups = near_duplicate_groups(prints, max_distance(percent))  # type: ignore[arg-type]
    return sum(len(g.members) == 2 for g in groups)


@pytest.mark.parametrize("seed", [1, 2])
def test_texts_with_5_percent_of_words_changed_are_near_duplicates(seed: int) -> None:
    assert flagged(edited_pairs(seed, 0.05)) == 30


@pytest.mark.parametrize("seed", [1, 2])
def test_texts_with_30_percent_of_words_changed_are_not(seed: int) -> None:
    assert flagged(edited_pairs(seed, 0.30)) == 0


def test_similarity_estimates_the_share_of_common_words() -> None:
    for share in (0.05, 0.10, 0.20):
        estimates = sorted(
            similarity(sum((x ^ y).bit_count() for x, y in zip(pa, pb, strict=True)))
            for a, b in edited_pairs(3, share)
            if (pa := signature(a).minhash) and (pb := signature(b).minhash)
        )
        assert abs(estimates[len(estimates) // 2] - 100 * (1 - share)) <= 1.5


def test_bands_widen_with_the_pages_and_their_number_is_capped() -> None:
    """Bounded buckets: random fingerprints share a bucket with about LSH_BUCKET others, and
    the bands are capped, so the work per page stays flat from 100k to 1M pages."""
    assert simhash.band_plan(1_000, 54) == (16, 200)
    width, bands = simhash.band_plan(1_000_000, 54)
    assert width == 18 and bands == simhash.LSH_MAX_BANDS
    assert 1_000_000 / 2**width <= simhash.LSH_BUCKET
    assert simhash.band_plan(1_000_000, 0) == (18, 1)


def test_a_family_bigger_than_the_bucket_cap_is_still_one_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(simhash, "EXACT_LIMIT", 0)
    monkeypatch.setattr(simhash, "LSH_BUCKET_CAP", 2)  # every bucket of 4+ is capped
    rng = random.Random(9)
    base = [rng.getrandbits(64) for _ in range(4)]
    family = [[w ^ (1 << rng.randrange(64)) for w in base] for _ in range(40)]
    loners = [[rng.getrandbits(64) for _ in range(4)] for _ in range(40)]
    groups = near_duplicate_groups(family + loners, 54)
    assert [sorted(g.members) for g in groups] == [list(range(40))]
