"""Which keyword may join which cluster leader, beyond character n-gram similarity.

Character n-grams see "hubspot alternatives" and "salesforce alternatives" as close (they
share the modifier), and "email marketing tips" as close to "email marketing software". Two
word-level checks stop such joins in the lexical and semantic modes:

- **intent**: both keywords have rule evidence (`intent.RuleClassifier`), their intents differ,
  and one of them is sure of it (confidence ≥ `min_confidence`, default 0.5);
- **distinctive words**: the words left after modifiers (intent words such as "best",
  "pricing", "software", and stopwords) differ on both sides — a substitution, like one brand
  for another — with no word of one side a near spelling (typo, plural) of the other's.
  A refinement ("crm" → "crm for small business") only adds words, so it may join.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from marketloop.keywords.intent import INTENTS, NO_EVIDENCE, RULES, IntentGuess
from marketloop.keywords.mapping import STOPWORDS

MODIFIERS = frozenset(w for rule in RULES for w in rule.phrase.split()) | STOPWORDS
_WORD = re.compile(r"[a-z0-9]+")


class JoinGuard:
    """`allowed(rows, leaders)`: which (keyword row, leader row) pairs may be clustered."""

    def __init__(
        self, keywords: Sequence[str], guesses: Sequence[IntentGuess], min_confidence: float = 0.5
    ) -> None:
        self.intent = np.array([INTENTS.index(g.intent) for g in guesses], dtype=np.int8)
        self.confidence = np.array([g.confidence for g in guesses], dtype=np.float32)
        self.evidence = np.array([g is not NO_EVIDENCE for g in guesses], dtype=bool)
        # each distinct set of distinctive words once, by number; substitution between two
        # sets is worked out once per pair of numbers (it is symmetric)
        numbers: dict[frozenset[str], int] = {}
        self.head = np.array(
            [numbers.setdefault(distinctive_words(k), len(numbers)) for k in keywords],
            dtype=np.int64,
        )
        self.heads = list(numbers)
        self.min_confidence = min_confidence
        self._substituted: dict[tuple[int, int], bool] = {}

    def allowed(self, rows: NDArray[np.int64], leaders: NDArray[np.int64]) -> NDArray[np.bool_]:
        sure = np.maximum(self.confidence[rows], self.confidence[leaders]) >= self.min_confidence
        conflict = (
            self.evidence[rows]
            & self.evidence[leaders]
            & (self.intent[rows] != self.intent[leaders])
            & sure
        )
        ok: NDArray[np.bool_] = ~conflict
        a, b = self.head[rows], self.head[leaders]
        check = np.flatnonzero(ok & (a != b))
        low, high = np.minimum(a[check], b[check]), np.maximum(a[check], b[check])
        pairs = zip(low.tolist(), high.tolist(), strict=True)
        ok[check] = [not self._swap(x, y) for x, y in pairs]
        return ok

    def _swap(self, a: int, b: int) -> bool:
        known = self._substituted.get((a, b))
        if known is None:
            known = self._substituted[(a, b)] = substituted(self.heads[a], self.heads[b])
        return known


def distinctive_words(keyword: str) -> frozenset[str]:
    """The keyword's words that are not modifiers: 'best hubspot alternatives' -> {hubspot}."""
    return frozenset(w for w in _WORD.findall(keyword.lower()) if w not in MODIFIERS)


def substituted(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both sides hold a word the other lacks, and no such pair is a near spelling."""
    only_a, only_b = a - b, b - a
    if not only_a or not only_b:
        return False
    unmatched_a = [w for w in only_a if not any(near(w, v) for v in only_b)]
    unmatched_b = [v for v in only_b if not any(near(v, w) for w in only_a)]
    return bool(unmatched_a) and bool(unmatched_b)


def near(a: str, b: str) -> bool:
    """One edit apart (or a swap of neighbours), or a plural: 'socring' ~ 'scoring'."""
    if a.rstrip("s") == b.rstrip("s"):
        return True
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4:
        return False
    return _one_edit(a, b)


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swap = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) <= 1 or (swap and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]
