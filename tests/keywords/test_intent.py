import csv
from pathlib import Path

import pytest

from marketloop.keywords.intent import IntentGuess, RuleClassifier, cluster_intent, decide

CASES = list(
    csv.DictReader((Path(__file__).parent / "cases" / "intent.csv").read_text().splitlines())
)
classifier = RuleClassifier(brand_terms=["Loopmetrics"])


@pytest.mark.parametrize("case", CASES, ids=[c["keyword"] for c in CASES])
def test_rules_table(case: dict[str, str]) -> None:
    assert classifier.guess(case["keyword"]).intent == case["intent"]


def test_serp_hints_decide_a_bare_topic() -> None:
    reviews = [f"https://www.g2.com/categories/crm-{i}" for i in range(6)] + [
        "https://www.capterra.com/crm-software/"
    ] * 4
    guides = [f"https://blog.example{i}.com/blog/crm" for i in range(10)]
    assert classifier.guess("crm", reviews).intent == "commercial"
    assert classifier.guess("crm", guides).intent == "informational"


def test_a_remembered_guess_does_not_hide_serp_hints() -> None:
    fresh = RuleClassifier()
    reviews = ["https://www.g2.com/categories/crm"] * 10
    assert fresh.guess("crm").evidence is False  # remembered without a SERP
    assert fresh.guess("crm", reviews).intent == "commercial"
    assert fresh.guess("crm") is fresh.guess("crm")


def test_confidence_grows_with_evidence_and_agreement() -> None:
    weak = classifier.guess("lead scoring")  # no modifier at all
    strong = classifier.guess("how to do lead scoring guide")
    mixed = classifier.guess("best lead scoring guide")  # commercial and informational
    assert weak.confidence < mixed.confidence < strong.confidence
    assert 0 <= weak.confidence <= 1 and strong.confidence == 1.0


def test_decide_without_evidence_defaults_to_informational() -> None:
    assert decide({}) == IntentGuess("informational", 0.3, evidence=False)


def test_cluster_intent_is_volume_weighted() -> None:
    guesses = [IntentGuess("commercial", 0.9), IntentGuess("informational", 0.9)]
    assert cluster_intent(guesses, [1000, 10]).intent == "commercial"
    assert cluster_intent(guesses, [10, 1000]).intent == "informational"
    split = cluster_intent(guesses, [500, 500])
    assert split.confidence == pytest.approx(0.45)  # half the weight × 0.9


def test_members_without_evidence_do_not_outvote_evidence() -> None:
    """A bare head ("crm", 50,000 searches, no modifier) next to its commercial variants."""
    bare = decide({})
    best = IntentGuess("commercial", 0.67)
    tools = IntentGuess("commercial", 0.33)
    guess = cluster_intent([bare, best, tools], [50_000, 3_000, 1_000])
    assert guess.intent == "commercial"
    assert guess.confidence == pytest.approx((0.67 * 3000 + 0.33 * 1000) / 4000, abs=0.001)


def test_a_cluster_with_no_evidence_at_all_keeps_the_default() -> None:
    guess = cluster_intent([decide({}), decide({})], [100, 10])
    assert (guess.intent, guess.confidence) == ("informational", 0.3)


def test_pipeline_cluster_intent_ignores_bare_members() -> None:
    from marketloop.keywords.config import KeywordsSettings
    from marketloop.keywords.model import KeywordRecord
    from marketloop.keywords.pipeline import cluster_keywords

    records = [
        KeywordRecord(keyword="crm software", volume=40_000),  # commercial (software)
        KeywordRecord(keyword="best crm software", volume=1_000),
        KeywordRecord(keyword="crm softwares", volume=300_000),  # no evidence: a typo
    ]
    (found,) = cluster_keywords(records, KeywordsSettings(mode="lexical", threshold=0.5))
    assert found.intent == "commercial"
