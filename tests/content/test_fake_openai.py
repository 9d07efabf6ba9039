"""The fake OpenAI server behaves like the documented API (shapes, errors, limits)."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from marketloop.content.llm.schema import response_format, strict_schema
from marketloop.content.writer import BriefProse
from marketloop.fakes.openai import FakeOpenAI
from marketloop.fakes.openai_validate import strict_problem
from marketloop.fakes.server import LocalServer

MESSAGES = [{"role": "user", "content": 'Write about "crm software" and "free crm"'}]


@pytest.fixture
def post(fake_openai: FakeOpenAI, _fake_server: tuple[FakeOpenAI, LocalServer]) -> Any:
    url = _fake_server[1].url + "/v1/chat/completions"

    def send(body: dict[str, Any], key: str | None = "sk-fake") -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.post(url, json=body, headers=headers, timeout=10)

    return send


def test_completion_shape_usage_and_model_echo(post: Any) -> None:
    response = post({"model": "gpt-4o-mini-2024-07-18", "messages": MESSAGES})
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini-2024-07-18"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and message["refusal"] is None
    assert message["content"].startswith("# Crm software")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert response.headers["x-ratelimit-limit-requests"] == "10000"


def test_json_schema_answers_are_valid_and_filled_from_the_prompt(post: Any) -> None:
    fmt = response_format(BriefProse)
    response = post({"model": "m", "messages": MESSAGES, "response_format": fmt})
    value = __import__("json").loads(response.json()["choices"][0]["message"]["content"])
    jsonschema.validate(value, fmt["json_schema"]["schema"])
    prose = BriefProse.model_validate(value)  # lengths from descriptions are honoured too
    assert prose.title_options[0].startswith("Crm software")
    assert "free crm" in prose.title_options[1].lower()


@pytest.mark.parametrize(
    ("key", "code", "text"),
    [(None, None, "You didn't provide an API key"), ("sk-wrong-key", "invalid_api_key", "sk-")],
)
def test_auth_failures(post: Any, key: str | None, code: str | None, text: str) -> None:
    response = post({"model": "m", "messages": MESSAGES}, key=key)
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code and error["type"] == "invalid_request_error"
    assert text in error["message"] and "sk-wrong-key" not in error["message"]


@pytest.mark.parametrize(
    ("body", "param", "text"),
    [
        ({"messages": MESSAGES}, None, "you must provide a model parameter"),
        ({"model": "m"}, "messages", "Missing required parameter"),
        ({"model": "m", "messages": []}, "messages", "too short"),
        ({"model": "m", "messages": [{"role": "bot", "content": "x"}]}, "messages[0].role", "bot"),
        ({"model": "m", "messages": MESSAGES, "temperature": 3}, "temperature", "between 0 and 2"),
        (
            {"model": "m", "messages": MESSAGES, "response_format": {"type": "yaml"}},
            "response_format.type",
            "Supported values",
        ),
        (
            {"model": "m", "messages": MESSAGES, "response_format": {"type": "json_object"}},
            "messages",
            "must contain the word 'json'",
        ),
        (
            {
                "model": "m",
                "messages": MESSAGES,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "x",
                        "strict": True,
                        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
                    },
                },
            },
            "response_format",
            "'additionalProperties' is required to be supplied and to be false",
        ),
    ],
)
def test_invalid_requests_are_rejected_like_the_api(
    post: Any, body: dict[str, Any], param: str | None, text: str
) -> None:
    response = post(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and text in error["message"]


def test_rate_limit_answers_with_retry_after_and_headers(
    post: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.knobs.rate_limits, fake_openai.knobs.retry_after = 1, 2.5
    limited = post({"model": "gpt-4o", "messages": MESSAGES})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3" and limited.headers["retry-after-ms"] == "2500"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert post({"model": "gpt-4o", "messages": MESSAGES}).status_code == 200  # one only


def test_requests_per_minute_is_a_real_window(post: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.knobs.requests_per_minute = 2
    codes = [post({"model": "m", "messages": MESSAGES}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    ("knob", "status", "kind", "code"),
    [
        ("insufficient_quota", 429, "insufficient_quota", "insufficient_quota"),
        ("server_errors", 500, "server_error", None),
    ],
)
def test_quota_and_server_errors(
    post: Any, fake_openai: FakeOpenAI, knob: str, status: int, kind: str, code: str | None
) -> None:
    setattr(fake_openai.knobs, knob, 1 if knob == "server_errors" else True)
    error = post({"model": "m", "messages": MESSAGES})
    assert error.status_code == status
    assert error.json()["error"]["type"] == kind and error.json()["error"]["code"] == code


def test_refusal_and_length_limit(post: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.knobs.refusals = 1
    refused = post({"model": "m", "messages": MESSAGES}).json()["choices"][0]
    assert refused["message"]["content"] is None and refused["message"]["refusal"]
    cut = post({"model": "m", "messages": MESSAGES, "max_completion_tokens": 5}).json()
    assert cut["choices"][0]["finish_reason"] == "length"
    assert len(cut["choices"][0]["message"]["content"]) == 20


def test_unknown_model_is_404(post: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.knobs.models = frozenset({"gpt-4o"})
    response = post({"model": "gpt-9", "messages": MESSAGES})
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"


def test_brief_prose_schema_is_strict_valid() -> None:
    schema = strict_schema(BriefProse)
    assert strict_problem(schema) is None
    jsonschema.Draft202012Validator.check_schema(schema)
    nested = schema["$defs"]["OutlineItem"]
    assert nested["additionalProperties"] is False
    assert nested["required"] == ["level", "heading", "notes"]
    assert "minLength" not in str(schema) and "default" not in str(schema)


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "array"}, "must be a JSON Schema of 'type: \"object\"'"),
        (
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": [],
             "additionalProperties": False},
            "Missing 'a'",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}},
             "required": ["a"], "additionalProperties": False},
            "'minLength' is not permitted",
        ),
    ],
)  # fmt: skip
def test_strict_rules(schema: dict[str, Any], problem: str) -> None:
    assert problem in (strict_problem(schema) or "")
