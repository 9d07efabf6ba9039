"""The pure core of `tune dataset`: eval filter, scrubbing, dedup, split by cluster, costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketloop.content.brief import Brief
from marketloop.content.config import LlmSettings, Price
from marketloop.content.tune.dataset import (
    Approved,
    build,
    count_tokens,
    diff_lines,
    training_costs,
    validation_clusters,
)
from marketloop.content.tune.local import fit
from marketloop.content.tune.scrub import scrub

from .conftest import HOSTILE, brief, draft

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def render(b: Brief) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You write drafts."},
        {"role": "user", "content": f"Brief {b.slug} for {b.cluster}; owner {b.owner}"},
    ]


def approved(
    slug: str, cluster: str, text: str, score: float = 1.0, days: int = 0, **kw: str
) -> Approved:
    return Approved(brief(slug, cluster), text, score, NOW + timedelta(days=days), **kw)


@pytest.mark.parametrize(
    ("text", "expected", "found"),
    [
        ("mail ada@example.com now", "mail [email] now", {"email": 1}),
        ("call +44 20 7946 0958 or (555) 123-4567", "call [phone] or [phone]", {"phone": 2}),
        ("key sk-abcdefghijklmnopqrstu here", "key sk-[secret] here", {"secret": 1}),
        ("token ghp_0123456789abcdefghijABCDEF", "token [secret]", {"secret": 1}),
        (
            "on 2026-12-06 we had 1,200 visits, v1.2.3",
            "on 2026-12-06 we had 1,200 visits, v1.2.3",
            {},
        ),
        (HOSTILE, HOSTILE, {}),
    ],
)
def test_scrub(text: str, expected: str, found: dict[str, int]) -> None:
    assert scrub(text) == (expected, found)


def test_build_keeps_approved_text_scrubbed_and_split_by_cluster() -> None:
    items = [
        approved(f"{c}-{i}", c, draft(f"{c} {i}", f"Mail sales@acme.test {HOSTILE}"))
        for c in ("crm software", "email automation", "lead scoring", "seo audit", "ad budgets")
        for i in range(3)
    ]
    dataset = build(items, render, validation_share=0.3)
    assert len(dataset.examples) == 15 and not dataset.dropped
    train = {e.cluster for e in dataset.split("train")}
    valid = {e.cluster for e in dataset.split("validation")}
    assert train and valid and not train & valid  # no cluster on both sides
    first = dataset.examples[0]
    assert [m["role"] for m in first.messages] == ["system", "user", "assistant"]
    assert (
        "sales@acme.test" not in str(first.messages) and "[email]" in first.messages[2]["content"]
    )
    assert "ada@example.com" not in first.messages[1]["content"]  # the owner, in the prompt
    assert first.scrubbed == {"email": 2}
    assert HOSTILE.strip() in first.messages[2]["content"]  # kept as data, never interpreted
    assert first.tokens == count_tokens(first.messages)
    assert dataset.tokens() == dataset.tokens("train") + dataset.tokens("validation")


def test_build_drops_low_scores_and_duplicates_keeping_the_latest() -> None:
    same = draft("CRM", "Same answer.")
    items = [
        approved("old", "crm", same, days=0),
        approved("new", "crm software", "  " + same.upper() + "\n", days=1),  # same answer
        approved("weak", "seo", draft("SEO"), score=0.5),
        approved("fine", "seo", draft("SEO 2"), score=0.8),
    ]
    dataset = build(items, render, min_score=0.8)
    assert [e.slug for e in dataset.examples] == ["fine", "new"]
    assert {d["slug"]: d["reason"] for d in dataset.dropped} == {
        "old": "duplicate",
        "weak": "eval score 0.50",
    }


def test_edited_text_is_the_target_with_its_diff_size() -> None:
    original = "# CRM\n\nLine one.\n\nLine two.\n"
    edited = "# CRM\n\nLine one, better.\n\nLine two.\n\nA new line.\n"
    dataset = build([approved("crm", "crm", original, edited=edited)], render)
    example = dataset.examples[0]
    assert example.edited and example.messages[-1]["content"] == edited.strip()
    assert example.diff_lines == diff_lines(original, edited) == 4  # 1 removed, 3 added ('' too)


def test_validation_clusters() -> None:
    assert validation_clusters({"only"}, 0.5) == set()
    assert len(validation_clusters({"a", "b"}, 0.0)) == 0
    chosen = validation_clusters({"a", "b"}, 0.01)
    assert len(chosen) == 1  # at least one
    assert len(validation_clusters({"a", "b", "c"}, 0.99)) == 2  # never all
    many = {f"cluster {i}" for i in range(400)}
    assert 60 < len(validation_clusters(many, 0.2)) < 100
    # stable: a new cluster never moves the others to the other side
    assert validation_clusters(many | {"new one"}, 0.2) - {"new one"} == validation_clusters(
        many, 0.2
    )


def test_training_costs_per_model_and_unknown_prices() -> None:
    dataset = build([approved("a", "a", "x" * 400)], render)
    llm = LlmSettings(training_prices={"my-model": 10.0})
    rows = training_costs(
        dataset, llm.training_price_of, ["gpt-4o-mini-2024-07-18", "my-model", "nope"], 3
    )
    tokens = dataset.tokens("train") * 3
    assert rows[0] == {
        "provider": "openai",
        "model": "gpt-4o-mini-2024-07-18",
        "trained_tokens": tokens,
        "usd": round(tokens * 3.0 / 1e6, 4),
    }
    assert rows[1]["usd"] == round(tokens * 10 / 1e6, 4)
    assert rows[2]["usd"] is None
    assert rows[3]["provider"] == "local"


def test_prices_are_per_exact_model_id() -> None:
    llm = LlmSettings(prices={"ft:gpt-4o-mini-2024-07-18:acme::abc": Price(input=0.3, output=1.2)})
    assert llm.price_of("gpt-5-pro") == Price(input=15.0, output=120.0)
    assert llm.price_of("gpt-5") == Price(input=1.25, output=10.0)
    assert llm.price_of("gpt-4o-mini-2024-07-18") == llm.price_of("gpt-4o-mini")
    assert llm.price_of("gpt-5-turbo") is None  # no longer priced as gpt-5 by prefix
    assert llm.price_of("ft:gpt-4o-mini-2024-07-18:org::x") is None
    assert llm.price_of("ft:gpt-4o-mini-2024-07-18:acme::abc") == Price(input=0.3, output=1.2)


@pytest.mark.parametrize(
    ("head", "tail", "window", "expected"),
    [
        (3, 2, 10, (3, 2)),  # fits
        (20, 2, 10, (8, 2)),  # prompt cut from its start
        (2, 20, 10, (2, 8)),  # the answer fills what the prompt leaves
        (20, 20, 10, (5, 5)),  # the answer keeps half the window
    ],
)
def test_fit_keeps_the_answer(head: int, tail: int, window: int, expected: tuple[int, int]) -> None:
    prompt, answer = fit(list(range(head)), list(range(100, 100 + tail)), window)
    assert (len(prompt), len(answer)) == expected
    assert not prompt or prompt[-1] == head - 1  # the prompt's end survives
    assert answer[0] == 100  # the answer's start survives


def test_an_editors_approval_beats_an_eval_pass_and_provenance_is_kept() -> None:
    run = {"kind": "eval", "run": "ev-1", "case": "crm", "variant": "draft@v2", "model": "m"}
    text = draft("CRM", "The same answer.")
    items = [
        approved("crm", "crm", text, days=0),  # published, older
        Approved(brief("crm-eval", "crm"), text, 1.0, NOW + timedelta(days=5), source=run),
        Approved(brief("seo", "seo"), draft("SEO"), 1.0, NOW, source=run | {"case": "seo"}),
        Approved(brief("weak", "seo"), draft("W"), 0.5, NOW, source=run | {"case": "weak"}),
    ]
    dataset = build(items, render)
    assert {e.slug: e.source for e in dataset.examples} == {
        "crm": {"kind": "published"},
        "seo": run | {"case": "seo"},
    }
    assert dataset.examples[0].meta()["source"] == {"kind": "published"}
    assert dataset.dropped == [
        {
            "slug": "crm-eval",
            "reason": "duplicate",
            "duplicate_of": {"slug": "crm", "kind": "published"},
            "source": run,
        },
        {"slug": "weak", "reason": "eval score 0.50", "source": run | {"case": "weak"}},
    ]
