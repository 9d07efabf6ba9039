"""Search intent: what a person typing the keyword wants (informational, navigational,
commercial, transactional), from modifier rules plus hints in the URLs Google ranks for it.

The rules are data (`RULES`, `SERP_HINTS`), each with a weight; a keyword's intent is the one
with the highest total, its confidence that total's share of all evidence, shrunk when there is
little evidence. An LLM (or any other) classifier can replace the rules through the
`IntentClassifier` protocol; the offline rules are the default, `llm_intent.py` the LLM adapter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from marketloop.keywords.model import Intent, IntentSource

INTENTS: tuple[Intent, ...] = ("informational", "navigational", "commercial", "transactional")
DEFAULT: Intent = "informational"  # a bare topic with no modifier reads as a question


@dataclass(frozen=True)
class Rule:
    phrase: str  # a word or phrase, matched on word boundaries in the lower-cased keyword
    intent: Intent
    weight: float
    with_brand: bool = False  # counts only when a brand term is in the keyword too


@dataclass(frozen=True)
class Hint:
    pattern: str  # a regex searched in a result URL
    intent: Intent


def _words(intent: Intent, weight: float, *phrases: str, with_brand: bool = False) -> list[Rule]:
    return [Rule(p, intent, weight, with_brand) for p in phrases]


# Phrases are matched longest first, so "best way to" counts as itself and not as "best".
RULES: list[Rule] = [
    *_words("informational", 3.0, "best way to", "best ways to", "best time to", "top of funnel"),
    *_words("informational", 3.0, "top of the funnel", "top-of-funnel"),
    *_words("informational", 2.0, "how", "what", "why", "when", "where", "who", "which"),
    *_words("informational", 1.5, "guide", "tutorial", "example", "examples", "ideas", "tips"),
    *_words("informational", 1.5, "meaning", "definition", "learn", "checklist", "strategy"),
    *_words("informational", 1.5, "template", "templates"),
    *_words("informational", 1.0, "best practices", "course", "metrics", "is", "does", "can"),
    *_words("commercial", 2.0, "best", "top", "vs", "versus", "review", "reviews", "compare"),
    *_words("commercial", 2.0, "comparison", "alternative", "alternatives", "competitors"),
    *_words("commercial", 1.0, "software", "tool", "tools", "platform", "platforms", "apps"),
    *_words("commercial", 1.0, "solution", "solutions", "rated"),
    *_words("transactional", 2.5, "buy", "price", "prices", "pricing", "cost", "discount"),
    *_words("transactional", 2.5, "coupon", "deal", "deals", "cheap", "order", "purchase"),
    *_words("transactional", 2.5, "near me", "quote", "free trial", "sign up"),
    *_words("transactional", 2.0, "demo", "subscription", "download"),
    *_words("transactional", 1.0, "free", "trial"),
    # "plan" alone is a verb as often as a price list ("plan a wedding"): only next to pricing
    *_words("transactional", 2.5, "pricing plans", "pricing plan", "price plans", "paid plans"),
    *_words("transactional", 2.5, "plans and pricing", "plan pricing", "paid plan", "free plan"),
    *_words("navigational", 3.0, "login", "log in", "sign in", "signin", "my account"),
    # "api rate limit" is a question about APIs; "acme api" is a way to a place on acme's site
    *_words(
        "navigational",
        1.5,
        "api",
        "docs",
        "documentation",
        "support",
        "contact",
        "status",
        with_brand=True,
    ),
]
SERP_HINTS: list[Hint] = [
    Hint(r"/(blog|wiki|guides?|learn|academy|resources|how-to|what-is)(/|$)", "informational"),
    Hint(r"wikipedia\.org|quora\.com|reddit\.com|youtube\.com", "informational"),
    Hint(r"g2\.com|capterra\.com|trustradius\.com|getapp\.com", "commercial"),
    Hint(r"/(reviews?|compare|vs)(/|$)", "commercial"),
    Hint(r"/(best|top|alternatives?)[-/]|-vs-|-alternatives", "commercial"),
    Hint(r"/(pricing|plans|buy|shop|cart|checkout|signup|trial)(/|$)", "transactional"),
    Hint(r"/(products?|store)(/|$)", "transactional"),
    Hint(r"/(login|signin|sign-in|account|app|dashboard|docs|support)(/|$)", "navigational"),
]
_HINTS = [(re.compile(h.pattern), h.intent) for h in SERP_HINTS]
SERP_WEIGHT = 2.0  # the whole SERP counts as much as one strong modifier


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent
    confidence: float
    source: IntentSource = "rules"
    evidence: bool = True  # False: nothing matched, the intent is only the default


# what the rules say when nothing matched: this one instance, so `guess is NO_EVIDENCE` tells
# it apart from real evidence that happens to score the same
NO_EVIDENCE = IntentGuess(DEFAULT, 0.3, evidence=False)


class IntentClassifier(Protocol):
    """Anything that labels keywords with an intent (the rules below, or an LLM adapter)."""

    def classify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]: ...


class RuleClassifier:
    """The offline default: modifier rules, brand names and SERP URL patterns.

    All phrases are one regex alternation (longest first), so a keyword is scanned once and
    "free trial" counts as itself, not also as "free" and "trial". Guesses without a SERP are
    remembered: the lexical join guard and the cluster labels ask for the same keywords.
    """

    def __init__(self, brand_terms: Iterable[str] = ()) -> None:
        brands = [" ".join(b.lower().split()) for b in brand_terms if b.strip()]
        rules = [*RULES, *(Rule(b, "navigational", 3.0) for b in brands)]
        self._rules = {rule.phrase: rule for rule in rules}
        self._brands = frozenset(brands)
        alternation = "|".join(re.escape(p) for p in sorted(self._rules, key=len, reverse=True))
        self._pattern = re.compile(rf"\b(?:{alternation})\b")
        self._known: dict[str, IntentGuess] = {}  # keyword -> guess from its words alone

    def classify(
        self, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
    ) -> list[IntentGuess]:
        return [self.guess(k, (serps or {}).get(k, [])) for k in keywords]

    def guess(self, keyword: str, serp: Sequence[str] = ()) -> IntentGuess:
        if serp:
            return self._guess(keyword, serp)
        known = self._known.get(keyword)
        if known is None:
            known = self._known[keyword] = self._guess(keyword, ())
        return known

    def _guess(self, keyword: str, serp: Sequence[str]) -> IntentGuess:
        scores: dict[Intent, float] = defaultdict(float)
        found = set(self._pattern.findall(" ".join(keyword.lower().split())))
        branded = not self._brands.isdisjoint(found)
        for phrase in found:
            rule = self._rules[phrase]
            if branded or not rule.with_brand:
                scores[rule.intent] += rule.weight
        hints = [h for h in map(url_hint, serp) if h is not None]
        for intent in hints:
            scores[intent] += SERP_WEIGHT / len(serp)
        return decide(scores)


@lru_cache(maxsize=200_000)  # result URLs repeat across keywords
def url_hint(url: str) -> Intent | None:
    """The intent a result URL suggests (its first matching hint), if any."""
    lowered = url.lower()
    return next((intent for pattern, intent in _HINTS if pattern.search(lowered)), None)


def decide(scores: dict[Intent, float]) -> IntentGuess:
    """The best-scoring intent; confidence = its share of the evidence × how much there is."""
    total = sum(scores.values())
    if total <= 0:
        return NO_EVIDENCE
    intent = max(INTENTS, key=lambda i: scores.get(i, 0.0))
    strength = min(1.0, total / 3.0)  # one strong modifier is enough evidence
    return IntentGuess(intent, round(scores[intent] / total * strength, 3))


def cluster_intent(guesses: Sequence[IntentGuess], volumes: Sequence[int]) -> IntentGuess:
    """A cluster's intent: its members' intents weighted by volume × confidence.

    Members with no evidence (the default label) are left out when any member has evidence,
    so a bare high-volume head term cannot outvote the modifiers of the rest. Confidence = the
    winning intent's share of that weight × the counted members' mean confidence.
    """
    if any(g.evidence for g in guesses):
        kept = [(g, v) for g, v in zip(guesses, volumes, strict=True) if g.evidence]
        guesses, volumes = [g for g, _ in kept], [v for _, v in kept]
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
