"""Guardrails and readability: tables of drafts and what each check finds."""

from __future__ import annotations

import pytest

from marketloop.content.brief import Brief
from marketloop.content.config import DEFAULT_BANNED_PHRASES
from marketloop.content.guardrails import (
    check_banned,
    check_claims,
    check_draft,
    check_length,
    check_links,
    check_terms,
)
from marketloop.content.readability import flesch_reading_ease, syllables

BRIEF = Brief.model_validate(
    {
        "slug": "crm-software",
        "cluster": "crm software",
        "title_options": ["CRM software"],
        "meta_description": "x" * 80,
        "h1": "CRM software",
        "outline": [{"level": 2, "heading": "Intro"}],
        "primary_terms": [{"term": "crm software", "min_count": 2, "max_count": 3}],
        "secondary_terms": [{"term": "sales pipeline", "min_count": 1}],
        "intent": "commercial",
        "audience": "buyers",
        "word_count_min": 100,
        "word_count_max": 120,
        "internal_links": [
            {"anchor": "pricing", "url": "https://acme.test/pricing"},
            {"anchor": "tips", "url": "https://acme.test/blog/crm-tips"},
        ],
        "call_to_action": "Book a demo",
    }
)


@pytest.mark.parametrize(
    ("draft", "passed", "finding"),
    [
        ("CRM software and CRM-software help your sales pipeline.", True, None),
        ("CRM software helps your sales pipeline.", False, '"crm software" 1× (at least 2)'),
        ("crm software, crm software, crm software, crm software.", False, "(at most 3)"),
        ("Our CRM softwares and CRM software. No pipeline.", False, '"sales pipeline" 0×'),
        ("[CRM software](https://x.test) and `code` CRM software, sales pipeline", True, None),
    ],
)
def test_terms(draft: str, passed: bool, finding: str | None) -> None:
    check = check_terms(draft, BRIEF)
    assert check.passed is passed
    if finding:
        assert any(finding in f for f in check.findings)


@pytest.mark.parametrize(("words", "passed"), [(99, False), (100, True), (120, True), (121, False)])
def test_length_counts_visible_words(words: int, passed: bool) -> None:
    draft = " ".join(["word"] * (words - 1)) + " [link](https://acme.test/a-b-c-d-e)"
    assert check_length(draft, BRIEF).passed is passed


@pytest.mark.parametrize(
    ("draft", "found"),
    [
        ("In today's fast-paced world, teams need CRM.", ["in today's fast-paced world"]),
        ("In today’s fast-paced world, teams need CRM.", ["in today's fast-paced world"]),
        ("Let us delve into it. This is a game-changer.", ["delve", "game-changer"]),
        ("A plain, useful sentence about delivery.", []),
    ],
)
def test_banned_phrases(draft: str, found: list[str]) -> None:
    check = check_banned(draft, DEFAULT_BANNED_PHRASES)
    assert [f.split('"')[1] for f in check.findings] == found
    assert check.passed is (not found)


@pytest.mark.parametrize(
    ("draft", "flagged"),
    [
        ("Studies show 73% of teams grow.", ["Studies show", "73%"]),
        ("We are the #1 CRM and the best choice.", ["#1", "the best"]),
        ("Results guaranteed, 3x faster onboarding.", ["guaranteed", "3x faster"]),
        ("73% of teams grow ([Gartner](https://gartner.test/report)).", []),
        ("According to Forrester, 40% of buyers compare three tools.", []),
        ("Pick the tool that fits your process.", []),
    ],
)
def test_unsupported_claims(draft: str, flagged: list[str]) -> None:
    check = check_claims(draft, window=80)
    assert [f.split('"')[1] for f in check.findings] == flagged


@pytest.mark.parametrize(
    ("draft", "flagged"),
    [
        ("The best CRM software for small teams is the one they use.", []),
        ("Compare the best-crm-software lists with care.", []),
        ("Choose CRM software carefully: ours is the best.", ["the best"]),
        ("The best CRM for you is the #1 pick.", ["The best", "#1"]),  # not the term
    ],
)
def test_claim_words_inside_a_required_term_are_the_query(draft: str, flagged: list[str]) -> None:
    exempt = ["crm software", "best crm software"]
    check = check_claims(draft, window=20, exempt=exempt)
    assert [f.split('"')[1] for f in check.findings] == flagged


def test_check_draft_exempts_the_briefs_terms() -> None:
    data = BRIEF.model_dump()
    brief = Brief.model_validate(
        {**data, "primary_terms": [{"term": "best crm software", "min_count": 1}]}
    )
    (claims,) = [
        c for c in check_draft("The best CRM software.", brief, banned=[]) if c.name == "claims"
    ]
    assert claims.passed


def test_claim_source_must_be_near() -> None:
    far = "73% of teams grow. " + "Filler words here. " * 20 + "[source](https://x.test)"
    assert not check_claims(far, window=60).passed
    assert check_claims(far, window=1000).passed


@pytest.mark.parametrize(
    ("draft", "known", "passed", "detail"),
    [
        ("See [pricing](https://acme.test/pricing).", None, True, "1/1 internal links valid"),
        ("See [old](https://acme.test/old).", None, False, "0/1 internal links valid"),
        ("See [old](https://acme.test/old).", {"https://acme.test/old"}, True, "1/1"),
        ("See [G](https://google.test/x).", None, True, "0/0 internal links valid"),
        ("See [rel](/pricing).", None, True, "1/1"),
        ("See [rel](pricing/).", None, True, "1/1"),
        ("See [p](https://acme.test/pricing/).", None, True, "1/1"),
        ("See [p](https://acme.test/pricing#plans).", None, True, "1/1"),
        ("See [p](http://www.acme.test/pricing).", None, True, "1/1"),
        ("See [p](#plans) and [mail](mailto:hi@acme.test).", None, True, "0/0"),
        ("See [nope](https://www.acme.test/nope).", None, False, "0/1"),
        ("See [nope](/nope).", None, False, "0/1"),
        ("See [nope](/pricing/extra).", None, False, "0/1"),
        ("See [p](/pricing?plan=pro).", None, False, "0/1"),
        ("See [x](https://acme.test/old/#top).", {"https://www.acme.test/old"}, True, "1/1"),
    ],
)
def test_links_against_the_crawl(
    draft: str, known: set[str] | None, passed: bool, detail: str
) -> None:
    check = check_links(draft, BRIEF, known)
    assert check.passed is passed and detail in check.detail


def test_unused_brief_links_are_reported_not_failed() -> None:
    check = check_links("See [pricing](https://acme.test/pricing).", BRIEF, None)
    assert check.passed and "not used: https://acme.test/blog/crm-tips" in check.findings


def test_links_used_in_another_form_count_as_used() -> None:
    draft = "See [pricing](/pricing/) and [tips](http://www.acme.test/blog/crm-tips#one)."
    check = check_links(draft, BRIEF, None)
    assert check.passed and "not used" not in check.detail


def test_check_draft_runs_every_guardrail() -> None:
    checks = check_draft("CRM software", BRIEF, banned=["delve"])
    assert [c.name for c in checks] == ["terms", "length", "banned_phrases", "claims", "links"]


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("the", 1),
        ("cat", 1),
        ("table", 2),
        ("simple", 2),
        ("readability", 5),
        ("beautiful", 3),
        ("used", 1),
        ("wanted", 2),
        ("boxes", 2),
        ("makes", 1),
        ("software", 2),
    ],
)
def test_syllable_heuristic(word: str, count: int) -> None:
    assert syllables(word) == count


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("The cat sat on the mat. The dog ran to the park.", 100, 121),
        (
            "Comprehensive organizational transformation necessitates interdisciplinary "
            "collaboration and sophisticated infrastructural considerations.",
            -250,
            0,
        ),
        ("Keep each step short. Check the result after a week.", 80, 121),
    ],
)
def test_flesch_reading_ease_ranges(text: str, low: float, high: float) -> None:
    assert low <= flesch_reading_ease(text) <= high


def test_flesch_matches_the_formula_on_a_known_text() -> None:
    # 2 sentences, 13 words, 14 syllables: 206.835 - 1.015*6.5 - 84.6*14/13 = 109.13
    text = "The cat sat on the mat. A happy dog ran to the park."
    assert flesch_reading_ease(text) == pytest.approx(109.1, abs=0.05)


def test_headings_count_as_sentences_and_markdown_is_ignored() -> None:
    assert flesch_reading_ease("# Big title\n\nShort text here.") == flesch_reading_ease(
        "Big title.\nShort text here."
    )
    assert flesch_reading_ease("") == 0.0
