"""Search intent: what a person typing the keyword wants (informational, navigational,
commercial, transactional), from modifier rules plus hints in the URLs Google ranks for it.

The rules are data (`RULES`, `SERP_HINTS`), each with a weight; a keyword's intent is the one
with the highest total, its confidence that total's share of all evidence, shrunk when there is
little evidence. An LLM (or any other) classifier can replace the rules through the
`IntentClassifier` protocol; the offline rules are the default.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from marketloop.keywords.model import Intent

INTENTS: tuple[Intent, ...] = ("informational", "navigational", "commercial", "transactional")
DEFAULT: Intent = "informational"  # a bare topic with no modifier reads as a question


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regex matched against the normalised keyword, on word boundaries
    intent: Intent
    weight: float


def _words(intent: Intent, weight: float, *words: str) -> list[Rule]:
    return [Rule(rf"\b{w}\b", intent, weight) for w in words]


RULES: list[Rule] = [
    *_words("informational", 2.0, "how", "what", "why", "when", "where", "who", "which"),
    *_words("informational", 1.5, "guide", "tutorial", "examples?", "ideas", "tips", "meaning"),
    *_words("informational", 1.5, "definition", "learn", "checklist", "strategy", "template"),
    *_words("informational", 1.0, "best practices", "course", "metrics", "is", "does", "can"),
    *_words("commercial", 2.0, "best", "top", "vs", "versus", "reviews?", "compare"),
    *_words("commercial", 2.0, "comparison", "alternatives?", "competitors", "rated"),
    *_words("commercial", 1.0, "software", "tools?", "platforms?", "apps", "solutions?"),
    *_words("transactional", 2.5, "buy", "price", "pricing", "cost", "discount", "coupon"),
    *_words("transactional", 2.5, "deal", "cheap", "order", "purchase", "near me", "quote"),
    *_words("transactional", 2.0, "free trial", "demo", "subscription", "sign up", "download"),
    *_words("transactional", 1.0, "free", "trial", "plans?"),
    *_words("navigational", 3.0, "login", "log in", "sign in", "signin", "my account"),
    *_words("navigational", 1.5, "api", "docs", "documentation", "support", "contact", "status"),
]
SERP_HINTS: list[Rule] = [
    Rule(r"/(blog|wiki|guides?|learn|academy|resources|how-to|what-is)(/|$)", "informational", 1),
    Rule(r"wikipedia\.org|quora\.com|reddit\.com|youtube\.com", "informational", 1),
    Rule(r"g2\.com|capterra\.com|trustradius\.com|getapp\.com", "commercial", 1),
    Rule(r"/(reviews?|compare|vs)(/|$)", "commercial", 1),
    Rule(r"/(best|top|alternatives?)[-/]|-vs-|-alternatives", "commercial", 1),
    Rule(r"/(pricing|plans|buy|shop|cart|checkout|signup|trial)(/|$)", "transactional", 1),
    Rule(r"/(products?|store)(/|$)", "transactional", 1),
    Rule(r"/(login|signin|sign-in|account|app|dashboard|docs|support)(/|$)", "navigational", 1),
]  # fmt: skip
SERP_WEIGHT = 2.0  # the whole SERP counts as much as one strong modifier


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent
    confidence: float


class IntentClassifier(Protocol):
    """Anything that labels keywords with an intent (the rules below, or an LLM adapter)."""

    def classify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]: ...


class RuleClassifier:
    """The offline default: modifier rules, brand names and SERP URL patterns."""

    def __init__(self, brand_terms: Iterable[str] = ()) -> None:
        brands = [re.escape(b.lower().strip()) for b in brand_terms if b.strip()]
        brand_rules = [Rule(rf"\b{b}\b", "navigational", 3.0) for b in brands]
        self._rules = [(re.compile(r.pattern), r) for r in [*RULES, *brand_rules]]
        self._hints = [(re.compile(r.pattern), r) for r in SERP_HINTS]

    def classify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]:
        return [self.guess(k, (serps or {}).get(k, [])) for k in keywords]

    def guess(self, keyword: str, serp: Sequence[str] = ()) -> IntentGuess:
        scores: dict[Intent, float] = defaultdict(float)
        text = keyword.lower()
        for pattern, rule in self._rules:
            if pattern.search(text):
                scores[rule.intent] += rule.weight
        for intent, share in self._serp_shares(serp).items():
            scores[intent] += SERP_WEIGHT * share
        return decide(scores)

    def _serp_shares(self, serp: Sequence[str]) -> dict[Intent, float]:
        hits: dict[Intent, float] = defaultdict(float)
        for url in serp:
            for pattern, rule in self._hints:
                if pattern.search(url.lower()):
                    hits[rule.intent] += 1
                    break
        return {intent: count / len(serp) for intent, count in hits.items()} if serp else {}


def decide(scores: dict[Intent, float]) -> IntentGuess:
    """The best-scoring intent; confidence = its share of the evidence × how much there is."""
    total = sum(scores.values())
    if total <= 0:
        return IntentGuess(DEFAULT, 0.3)
    intent = max(INTENTS, key=lambda i: scores.get(i, 0.0))
    strength = min(1.0, total / 3.0)  # one strong modifier is enough evidence
    return IntentGuess(intent, round(scores[intent] / total * strength, 3))


def cluster_intent(guesses: Sequence[IntentGuess], volumes: Sequence[int]) -> IntentGuess:
    """A cluster's intent: its members' intents weighted by volume × confidence.

    Confidence = the winning intent's share of that weight × the members' mean confidence.
    """
    scores: dict[Intent, float] = defaultdict(float)
    weights = [max(volume, 1) for volume in volumes]
    for guess, weight in zip(guesses, weights, strict=True):
        scores[guess.intent] += weight * max(guess.confidence, 0.05)
    total = sum(scores.values())
    if not total:
        return IntentGuess(DEFAULT, 0.0)
    intent = max(INTENTS, key=lambda i: scores.get(i, 0.0))
    mean = sum(g.confidence * w for g, w in zip(guesses, weights, strict=True)) / sum(weights)
    return IntentGuess(intent, round(scores[intent] / total * mean, 3))
