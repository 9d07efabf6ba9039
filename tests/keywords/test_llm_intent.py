"""`--intent llm`: the LLM intent classifier against the fake OpenAI server (batches, answers
that miss keywords, 429s, the cache, the missing-config message) and its pure parts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketloop.cli import app
from marketloop.config import Settings, load_settings
from marketloop.content.errors import LlmAuthError
from marketloop.errors import ConfigError
from marketloop.fakes.openai import FakeOpenAI
from marketloop.keywords.intent import INTENTS, NO_EVIDENCE, IntentGuess, RuleClassifier
from marketloop.keywords.intent_request import IntentAnswer, IntentLabel, reconcile
from marketloop.keywords.llm_intent import LlmIntentClassifier, combine
from marketloop.keywords.model import Cluster

from .conftest import Answer

KEYWORDS = ["best crm software", "crm pricing", "how to do lead scoring"]
rules = RuleClassifier()


def settings(**keywords: Any) -> Settings:
    return load_settings(overrides={"keywords": keywords})


def sure(answer: Answer) -> None:
    for label in answer["labels"]:
        label["confidence"] = 0.9


def enums(fake: FakeOpenAI) -> list[list[str]]:
    """The keywords each request allowed in its answer's schema."""
    schemas = [r["response_format"]["json_schema"]["schema"] for r in fake.requests]
    return [s["$defs"]["IntentLabel"]["properties"]["keyword"]["enum"] for s in schemas]


def test_every_keyword_comes_back_with_the_models_label(
    llm_env: FakeOpenAI, edit_answers: Callable[[Callable[[Answer], None]], None]
) -> None:
    edit_answers(sure)
    keywords = [f"topic {i:03d}" for i in range(120)]
    classifier = LlmIntentClassifier(settings(intent_batch_size=50))
    guesses = classifier.classify(keywords)
    assert sorted(len(batch) for batch in enums(llm_env)) == [20, 50, 50]
    assert sorted(k for batch in enums(llm_env) for k in batch) == keywords  # each once
    # the fake answers the i-th keyword of a batch with the i-th intent of the enum, cycled
    assert guesses == [IntentGuess(INTENTS[i % 50 % 4], 0.9, "llm") for i in range(120)]
    assert "labelled 120 keyword(s) in 3 batch(es): 3 call(s)" in classifier.notes()[0]


def test_a_keyword_missing_from_the_answer_gets_the_rules_label(
    llm_env: FakeOpenAI, edit_answers: Callable[[Callable[[Answer], None]], None]
) -> None:
    def drop_last(answer: Answer) -> None:
        sure(answer)
        answer["labels"].pop()

    edit_answers(drop_last)
    classifier = LlmIntentClassifier(settings())
    *answered, missed = classifier.classify(KEYWORDS)  # batches are sorted: the last is missed
    by_rules = rules.guess(KEYWORDS[-1])
    assert missed == IntentGuess(by_rules.intent, by_rules.confidence, "fallback")
    assert [g.source for g in answered] == ["llm", "llm"]
    assert len(llm_env.requests) == 1  # no re-ask: the rules answer for one keyword
    assert any("1 keyword(s) missing" in note for note in classifier.notes())


def test_a_refused_batch_falls_back_to_the_rules(llm_env: FakeOpenAI) -> None:
    llm_env.knobs.refusals = 1
    classifier = LlmIntentClassifier(settings(intent_batch_size=2))
    guesses = classifier.classify(KEYWORDS)
    fell_back = {k for k, g in zip(KEYWORDS, guesses, strict=True) if g.source == "fallback"}
    assert fell_back in ({"best crm software", "crm pricing"}, {"how to do lead scoring"})
    assert any("used instead" in n and "refused" in n for n in classifier.notes())
    assert len(llm_env.requests) == 2  # a refusal is not asked again


def test_a_429_is_waited_out(
    llm_env: FakeOpenAI, edit_answers: Callable[[Callable[[Answer], None]], None]
) -> None:
    edit_answers(sure)
    llm_env.knobs.rate_limits, llm_env.knobs.retry_after = 1, 0.05
    classifier = LlmIntentClassifier(settings())
    guesses = classifier.classify(KEYWORDS)
    assert {g.source for g in guesses} == {"llm"}
    assert llm_env.calls == 2
    assert classifier.report.ledger is not None
    assert classifier.report.ledger.records[0].retries == 1


def test_a_rerun_is_served_from_the_cache(llm_env: FakeOpenAI) -> None:
    first = LlmIntentClassifier(settings()).classify(KEYWORDS)
    assert llm_env.calls == 1
    again = LlmIntentClassifier(settings())
    assert again.classify(KEYWORDS[::-1]) == first[::-1]  # batches are sorted: same request
    assert llm_env.calls == 1  # no request reached the fake
    assert "0 call(s), 1 from the cache" in again.notes()[0]


def test_without_an_llm_the_message_names_what_to_set(cli: CliRunner, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        LlmIntentClassifier(settings(intent="llm"))
    assert "MARKETLOOP_LLM_API_KEY" in str(info.value.hint)
    assert "MARKETLOOP_LLM_BASE_URL" in str(info.value.hint)
    file = tmp_path / "keywords.csv"
    file.write_text("keyword\ncrm pricing\n")
    result = cli.invoke(app, ["keywords", "cluster", str(file), "--intent", "llm"])
    assert result.exit_code != 0 and isinstance(result.exception, ConfigError)
    assert "intent llm needs an LLM" in str(result.exception)
    shown = cli.invoke(app, ["keywords", "cluster", str(file), "--intent", "llm", "--show-prompt"])
    assert shown.exit_code == 0, shown.output  # showing what would be sent needs no key


def test_cli_intent_llm_and_show_prompt(
    llm_env: FakeOpenAI, cli: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "keywords.csv"
    file.write_text("keyword,volume\n" + "".join(f"{k},100\n" for k in KEYWORDS))
    shown = cli.invoke(app, ["keywords", "cluster", str(file), "--show-prompt"])
    assert shown.exit_code == 0, shown.output
    (batch,) = json.loads(shown.stdout)
    assert batch["request"]["response_format"]["json_schema"]["strict"] is True
    assert '"crm pricing"' in batch["request"]["messages"][-1]["content"]
    assert llm_env.calls == 0  # nothing was sent
    result = cli.invoke(app, ["keywords", "cluster", str(file), "--format", "json"])
    assert result.exit_code == 0, result.output
    members = [m for c in json.loads(result.stdout) for m in Cluster(**c).members]
    assert len(members) == 3 and all(m.intent_source for m in members)
    assert "intent: gpt-4o-mini (intent@v1) labelled 3 keyword(s)" in result.stderr
    rules_only = cli.invoke(app, ["keywords", "cluster", str(file), "--intent", "rules"])
    assert rules_only.exit_code == 0 and llm_env.calls == 1


def test_own_prompt_version_from_the_content_prompts_dir(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    own = tmp_path / "prompts" / "intent"
    own.mkdir(parents=True)
    (own / "v9.jinja").write_text("{% block user %}Label {{ items | length }}.{% endblock %}")
    chosen = load_settings(
        overrides={
            "keywords": {"intent_prompt": "intent@v9"},
            "content": {"prompts_dir": own.parent},
        }
    )
    LlmIntentClassifier(chosen).classify(KEYWORDS)
    assert llm_env.requests[0]["messages"] == [{"role": "user", "content": "Label 3."}]
    with pytest.raises(ConfigError, match="no prompt template intent@v8") as info:
        LlmIntentClassifier(settings(intent_prompt="intent@v8"))
    assert "intent@v1" in str(info.value.hint)


NONE = NO_EVIDENCE


@pytest.mark.parametrize(
    ("model", "by_rules", "expected"),
    [
        (("commercial", 0.8), ("informational", 0.9), ("commercial", 0.8, "llm")),  # sure
        (("commercial", 0.4), NONE, ("commercial", 0.4, "llm")),  # the rules saw nothing
        (("commercial", 0.4), ("commercial", 0.5), ("commercial", 0.5, "llm+rules")),
        (("commercial", 0.5), ("informational", 0.3), ("commercial", 0.312, "llm+rules")),
        (("commercial", 0.3), ("transactional", 0.9), ("transactional", 0.675, "llm+rules")),
        (("commercial", 0.4), ("transactional", 0.4), ("commercial", 0.2, "llm+rules")),
    ],
)
def test_combine_rule(model: Any, by_rules: Any, expected: tuple[Any, ...]) -> None:
    rules_guess = by_rules if isinstance(by_rules, IntentGuess) else IntentGuess(*by_rules)
    assert combine(IntentGuess(*model, "llm"), rules_guess, sure=0.6) == IntentGuess(*expected)


def test_reconcile_drops_contradictions_and_strangers() -> None:
    labels = [
        ("crm pricing", "transactional"),
        ("CRM  Pricing", "transactional"),  # twice, agreeing (and spelled loosely): kept
        ("best crm software", "commercial"),
        ("best crm software", "informational"),  # contradicts itself: the rules decide
        ("crm login", "navigational"),  # not in the batch
    ]
    answer = IntentAnswer(
        labels=[IntentLabel(keyword=k, intent=i, confidence=0.9) for k, i in labels]
    )
    found, unknown = reconcile(KEYWORDS, answer)
    assert found == {"crm pricing": IntentGuess("transactional", 0.9, "llm")}
    assert unknown == 1


def test_a_rejected_key_stops_the_run(llm_env: FakeOpenAI) -> None:
    llm_env.knobs.api_key = "sk-other"
    with pytest.raises(LlmAuthError, match=r"LLM intent for keywords 1–3 of 3 .*rejected"):
        LlmIntentClassifier(settings()).classify(KEYWORDS)
