"""The word-level guard on lexical clusters: no competitor swaps, no intent mixing."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from marketloop.keywords.config import KeywordsSettings
from marketloop.keywords.guard import distinctive_words, near, substituted
from marketloop.keywords.leader import leader_clusters
from marketloop.keywords.lexical import lexical_clusters, tfidf_vectors
from marketloop.keywords.model import KeywordRecord
from marketloop.keywords.pipeline import cluster_keywords, join_guard
from marketloop.sample.keywords import generate

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="module")
def clusters() -> dict[str, list[str]]:
    """A CRM vendor's keyword export (tests/keywords/cases/crm_keywords.csv), clustered."""
    with (CASES / "crm_keywords.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    records = [KeywordRecord(keyword=r["keyword"], volume=int(r["volume"])) for r in rows]
    found = cluster_keywords(records, KeywordsSettings(mode="lexical"))
    return {k: c.keywords for c in found for k in c.keywords}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hubspot alternatives", "salesforce alternatives"),  # one competitor for another
        ("email marketing tips", "email marketing software"),  # informational vs commercial
        ("crm pricing", "crm software"),
    ],
)
def test_competitors_and_intents_stay_apart(clusters: dict[str, list[str]], a: str, b: str) -> None:
    assert b not in clusters[a]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("crm software", "best crm software"),
        ("crm software", "free crm software"),
        ("what is crm", "what is a crm"),
        ("hubspot vs salesforce", "salesforce vs hubspot"),
        ("crm software for small business", "crm for small business"),
        ("lead scoring", "what is lead scoring"),  # a bare head has no intent evidence
        ("acme login", "acme crm login"),
    ],
)
def test_variants_of_one_topic_still_cluster(
    clusters: dict[str, list[str]], a: str, b: str
) -> None:
    assert b in clusters[a]


@pytest.mark.parametrize(
    ("a", "b", "swapped"),
    [
        ("hubspot alternatives", "salesforce alternatives", True),
        ("hubspot crm", "pipedrive crm", True),
        ("lead socring tools", "lead scoring", False),  # a typo is no substitution
        ("best crm software", "crm", False),  # modifiers only
        ("crm for small business", "crm software", False),  # a refinement adds words
        ("crm softwares", "crm software", False),
    ],
)
def test_substitution_of_distinctive_words(a: str, b: str, swapped: bool) -> None:
    assert substituted(distinctive_words(a), distinctive_words(b)) is swapped


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [("scoring", "socring", True), ("scoring", "scorng", True), ("scoring", "scorring", True),
     ("tool", "tools", True), ("hubspot", "hubspt", True), ("crm", "cms", False),
     ("zoho", "wix", False), ("salesforce", "hubspot", False)],
)  # fmt: skip
def test_near_spellings(a: str, b: str, close: bool) -> None:
    assert near(a, b) is close


def test_guarded_blocks_give_the_same_answer_as_one_block() -> None:
    sample = generate(300, seed=3)
    keywords = [r.keyword for r in sample.records]
    vectors, volumes = tfidf_vectors(keywords), np.array([r.volume for r in sample.records])
    guard = join_guard(keywords, KeywordsSettings())
    one = leader_clusters(vectors, volumes, threshold=0.6, block=10_000, guard=guard)
    many = leader_clusters(vectors, volumes, threshold=0.6, block=7, guard=guard)
    assert one.tolist() == many.tolist()


def test_guarded_lexical_still_recovers_planted_topics() -> None:
    sample = generate(2000, seed=7)
    keywords = [r.keyword for r in sample.records]
    volumes = np.array([r.volume for r in sample.records])
    guard = join_guard(keywords, KeywordsSettings())
    labels = lexical_clusters(keywords, volumes, threshold=0.65, guard=guard)
    assert adjusted_rand_score(sample.labels, labels) >= 0.9
