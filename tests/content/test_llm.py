"""The LLM layer against the fake: re-ask, retries, errors, cache, ledger."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from marketloop.appdb import open_app_db
from marketloop.config import Settings, app_db_url
from marketloop.content.errors import (
    InvalidOutput,
    LlmAuthError,
    LlmError,
    LlmUnavailable,
    QuotaExhausted,
    Refusal,
)
from marketloop.content.llm.cache import ResponseCache
from marketloop.content.llm.client import ChatRequest, LlmClient
from marketloop.content.llm.ledger import Ledger, stored_totals
from marketloop.content.llm.retry import retry_after
from marketloop.content.llm.schema import response_format
from marketloop.content.llm.structured import ask_structured, ask_text
from marketloop.fakes.openai import FakeOpenAI


class Answer(BaseModel):
    headline: str
    points: list[str]


@pytest.fixture
async def clients(settings: Settings, tmp_path: Path) -> AsyncIterator[Callable[..., LlmClient]]:
    """Make clients on the fake (same workspace cache); closes them after the test."""
    made: list[LlmClient] = []

    def make(sleep: Any = None, **llm: Any) -> LlmClient:
        config = settings.llm.model_copy(update=llm)
        cache = ResponseCache(tmp_path / "cache.sqlite")
        client = LlmClient(config, Ledger(config, "run-1"), cache, sleep=sleep or asyncio.sleep)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
        if client.cache is not None:
            client.cache.close()


def request(**overrides: Any) -> ChatRequest:
    values: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": 'Summarise "crm software" as JSON'}],
        "response_format": response_format(Answer),
        "label": "crm-software",
    }
    return ChatRequest(**{**values, **overrides})


async def test_invalid_json_is_asked_again_with_the_error(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.invalid_json = 1
    client = clients()
    answer = await ask_structured(client, request(), Answer)
    assert answer.headline.startswith("Crm software")
    reask = llm_env.requests[-1]["messages"]
    assert reask[-2]["role"] == "assistant" and "not valid JSON" in reask[-1]["content"]
    assert [(r.purpose, r.status) for r in client.ledger.records] == [
        ("brief", "invalid"),
        ("reask", "ok"),
    ]


async def test_schema_violation_reask_names_the_missing_field(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.schema_violations = 1
    await ask_structured(clients(), request(), Answer)
    assert "headline: Field required" in llm_env.requests[-1]["messages"][-1]["content"]


async def test_two_invalid_answers_raise_with_the_answer_kept(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.invalid_json = 2
    client = clients()
    with pytest.raises(InvalidOutput, match=r"crm-software .*not valid twice") as info:
        await ask_structured(client, request(), Answer)
    assert info.value.raw.startswith('{"headline"') and "not valid JSON" in info.value.errors
    assert len(llm_env.requests) == 2
    assert client.cache is not None and len(client.cache) == 0  # bad answers are never cached


async def test_429_waits_for_retry_after_then_succeeds(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.rate_limits, llm_env.knobs.retry_after = 1, 0.4
    client = clients(backoff=0.0)
    started = time.monotonic()
    await ask_text(client, request(response_format=None))
    assert time.monotonic() - started >= 0.4
    assert len(llm_env.requests) == 2
    assert client.ledger.records[0].retries == 1


@pytest.mark.parametrize(
    ("asked", "max_retry_after", "waited"),
    [
        (90.0, 300.0, 90.0),  # longer than max_backoff (60): still honoured
        (500.0, 300.0, 300.0),  # cut to max_retry_after
        (500.0, 1000.0, 500.0),
    ],
)
async def test_retry_after_is_honoured_up_to_max_retry_after(
    llm_env: FakeOpenAI,
    clients: Callable[..., LlmClient],
    asked: float,
    max_retry_after: float,
    waited: float,
) -> None:
    llm_env.knobs.rate_limits, llm_env.knobs.retry_after = 1, asked
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = clients(sleep, max_backoff=60.0, max_retry_after=max_retry_after)
    await ask_text(client, request(response_format=None))
    assert len(slept) == 1 and slept[0] == pytest.approx(waited, abs=0.5)
    assert len(llm_env.requests) == 2


async def test_5xx_is_retried_with_backoff(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.server_errors = 2
    text = await ask_text(clients(), request(response_format=None))
    assert text.startswith("# ") and len(llm_env.requests) == 3


async def test_timeouts_outlast_the_retries_with_a_clear_error(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    llm_env.knobs.hangs, llm_env.knobs.hang_seconds = 5, 1.0
    client = clients(timeout=0.2, retries=1)
    with pytest.raises(LlmUnavailable, match=r"crm-software .*2 attempts \(last: timed out\)"):
        await ask_text(client, request(response_format=None))
    assert client.ledger.records[-1].status == "error"


@pytest.mark.parametrize(
    ("knob", "error", "text"),
    [
        ("insufficient_quota", QuotaExhausted, "no quota left"),
        ("refusals", Refusal, "refused: I'm sorry"),
        ("api_key", LlmAuthError, "rejected the API key"),
        ("models", LlmError, "model 'gpt-4o-mini' not found"),
    ],
)
async def test_errors_that_retrying_cannot_fix(
    llm_env: FakeOpenAI,
    clients: Callable[..., LlmClient],
    knob: str,
    error: type[Exception],
    text: str,
) -> None:
    value = {
        "insufficient_quota": True,
        "refusals": 1,
        "api_key": "sk-other",
        "models": frozenset({"gpt-4o"}),
    }[knob]
    setattr(llm_env.knobs, knob, value)
    with pytest.raises(error, match=text):
        await ask_structured(clients(), request(), Answer)
    assert llm_env.calls == 1  # not retried


async def test_second_identical_call_is_served_from_the_cache(
    llm_env: FakeOpenAI, clients: Callable[..., LlmClient]
) -> None:
    first = clients()
    await ask_structured(first, request(), Answer)
    assert first.cache is not None
    first.cache.flush()  # what the end of a run does
    again = clients()  # another run, same workspace cache
    answer = await ask_structured(again, request(), Answer)
    assert len(llm_env.requests) == 1  # no request reached the fake
    assert answer.headline.startswith("Crm software")
    hit = again.ledger.records[0]
    assert hit.cache_hit and hit.cost_usd == 0 and hit.prompt_tokens > 0
    await ask_structured(again, request(temperature=0.7), Answer)  # parameters are in the key
    assert len(llm_env.requests) == 2


async def test_ledger_prices_sums_and_persists(
    settings: Settings, clients: Callable[..., LlmClient]
) -> None:
    client = clients(cache=False)
    await ask_text(client, request(response_format=None))
    await ask_text(client, request(response_format=None, model="llama3"))
    mini, llama = client.ledger.records
    expected = (mini.prompt_tokens * 0.15 + mini.completion_tokens * 0.60) / 1_000_000
    assert mini.cost_usd == pytest.approx(expected) and llama.cost_usd == 0
    totals = client.ledger.totals()
    assert totals["calls"] == 2 and totals["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert client.ledger.unpriced == {"llama3"}
    engine = open_app_db(app_db_url(settings))
    assert client.ledger.persist(engine) == 2 and client.ledger.persist(engine) == 0
    stored = {row["model"]: row for row in stored_totals(engine, "run-1")}
    assert stored["gpt-4o-mini"]["prompt_tokens"] == mini.prompt_tokens
    assert stored["llama3"]["calls"] == 1


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"x-ratelimit-reset-requests": "6m0s"}, 360.0),
        ({"x-ratelimit-reset-requests": "20ms"}, 0.02),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds
