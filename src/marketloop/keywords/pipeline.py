"""From keyword records to named clusters with intent and opportunity (the pure core of
`marketloop keywords cluster`): choose the mode, cluster, then describe each cluster."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from marketloop.errors import KeywordsError
from marketloop.keywords.config import KeywordsSettings, Mode
from marketloop.keywords.guard import JoinGuard
from marketloop.keywords.intent import (
    DEFAULT,
    IntentClassifier,
    IntentGuess,
    RuleClassifier,
    cluster_intent,
)
from marketloop.keywords.leader import Guard
from marketloop.keywords.lexical import lexical_clusters
from marketloop.keywords.model import Cluster, KeywordRecord
from marketloop.keywords.opportunity import normalise, raw_opportunity
from marketloop.keywords.reader import normalise as normalise_keyword
from marketloop.keywords.semantic import semantic_clusters
from marketloop.keywords.serp import serp_clusters

OnProgress = Callable[[int, int], None]


def resolve_mode(mode: Mode, serps: Mapping[str, Sequence[str]] | None) -> Mode:
    if mode == "auto":
        return "serp" if serps else "lexical"
    if mode == "serp" and not serps:
        raise KeywordsError(
            "serp mode needs SERP snapshots",
            hint="pass --serp FILE (columns keyword, position, url), or use --mode lexical",
        )
    return mode


def cluster_keywords(
    records: Sequence[KeywordRecord],
    settings: KeywordsSettings,
    *,
    serps: Mapping[str, Sequence[str]] | None = None,
    classifier: IntentClassifier | None = None,
    on_progress: OnProgress | None = None,
) -> list[Cluster]:
    """Clusters, highest opportunity first; every record lands in exactly one cluster."""
    mode = resolve_mode(settings.mode, serps)
    # one rule classifier for the join guard and the labels, so each keyword is read once
    rules = classifier if isinstance(classifier, RuleClassifier) else None
    rules = rules or RuleClassifier(settings.brand_terms)
    labels = cluster_labels(records, settings, mode, serps or {}, on_progress, rules=rules)
    classifier = classifier or rules
    guesses = classifier.classify([normalise_keyword(r.keyword) for r in records], _lists(serps))
    records = [r.model_copy(update=_labelled(g)) for r, g in zip(records, guesses, strict=True)]
    return describe(records, labels, settings, guesses)


def cluster_labels(
    records: Sequence[KeywordRecord],
    settings: KeywordsSettings,
    mode: Mode,
    serps: Mapping[str, Sequence[str]],
    on_progress: OnProgress | None = None,
    *,
    rules: RuleClassifier | None = None,
) -> NDArray[np.int64]:
    keywords = [normalise_keyword(r.keyword) for r in records]
    volumes = np.array([r.volume for r in records], dtype=np.int64)
    if mode == "serp":
        return serp_clusters(
            keywords,
            volumes,
            serps,
            min_shared=settings.min_shared,
            strictness=settings.strictness,
            on_progress=on_progress,
        )
    guard = join_guard(keywords, settings, rules)
    if mode == "semantic":
        return semantic_clusters(
            keywords,
            volumes,
            model_name=settings.semantic_model,
            threshold=settings.similarity_threshold("semantic"),
            refine_rounds=settings.refine_rounds,
            on_progress=on_progress,
            guard=guard,
        )
    return lexical_clusters(
        keywords,
        volumes,
        threshold=settings.similarity_threshold("lexical"),
        refine_rounds=settings.refine_rounds,
        on_progress=on_progress,
        guard=guard,
    )


def join_guard(
    keywords: Sequence[str], settings: KeywordsSettings, rules: RuleClassifier | None = None
) -> Guard:
    """The word-level check on top of n-gram similarity (keywords/guard.py), from rule intents
    (`rules`, default: the rules with the settings' brand terms)."""
    rules = rules or RuleClassifier(settings.brand_terms)
    guesses = rules.classify(keywords)
    return JoinGuard(keywords, guesses).allowed


def describe(
    records: Sequence[KeywordRecord],
    labels: NDArray[np.int64],
    settings: KeywordsSettings,
    guesses: Sequence[IntentGuess] | None = None,
) -> list[Cluster]:
    """Name (highest-volume keyword), intent, volume and 0-10 opportunity of each cluster.

    `guesses` are the members' intent labels (default: read back from the records)."""
    groups: dict[int, list[tuple[KeywordRecord, IntentGuess]]] = defaultdict(list)
    labelled = guesses if guesses is not None else [_guess(r) for r in records]
    for record, guess, label in zip(records, labelled, labels.tolist(), strict=True):
        groups[label].append((record, guess))
    clusters, raw = [], []
    for pairs in groups.values():
        pairs.sort(key=lambda p: (-p[0].volume, p[0].keyword))
        members = [m for m, _ in pairs]
        guess = cluster_intent([g for _, g in pairs], [m.volume for m in members])
        clusters.append(
            Cluster(
                cluster=members[0].keyword,
                keywords=[m.keyword for m in members],
                members=members,
                intent=guess.intent,
                intent_confidence=guess.confidence,
                volume=sum(m.volume for m in members),
            )
        )
        raw.append(sum(_raw(m, settings) for m in members))
    for cluster, score in zip(clusters, normalise(raw, settings.opportunity_scale), strict=True):
        cluster.opportunity = score
    return sorted(clusters, key=lambda c: (-c.opportunity, -c.volume, c.cluster))


def _raw(record: KeywordRecord, settings: KeywordsSettings) -> float:
    return raw_opportunity(
        record,
        curve=settings.ctr_curve,
        target=settings.target_position,
        default_difficulty=settings.default_difficulty,
        min_difficulty=settings.min_difficulty,
    )


def _labelled(guess: IntentGuess) -> dict[str, object]:
    return {
        "intent": guess.intent,
        "intent_confidence": guess.confidence,
        "intent_source": guess.source,
    }


def _guess(record: KeywordRecord) -> IntentGuess:
    return IntentGuess(record.intent or DEFAULT, record.intent_confidence or 0.0)


def _lists(serps: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]] | None:
    return {k: list(v) for k, v in serps.items()} if serps else None
