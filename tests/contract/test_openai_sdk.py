"""openai (the official SDK) against the OpenAI-compatible fake: chat completions as marketloop
sends them (strict json_schema, max_completion_tokens) and their neighbours (streaming, tools,
`n`, `stop`, models), with the SDK's error classes and retries."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jsonschema
import openai
import pytest
from pydantic import BaseModel, ConfigDict
from tests.contract.contract import Served
from tests.contract.services import openai_sdk

from marketloop.fakes.openai import FakeOpenAI

PROMPT = [{"role": "user", "content": 'Write about "crm software" <script>"\'& [/b]'}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "lookup_keyword",
        "description": "Look up a keyword's search volume",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "keyword": {"type": "string"},
                "country": {"type": "string", "enum": ["us", "gb"]},
            },
            "required": ["keyword", "country"],
            "additionalProperties": False,
        },
    },
}


class Title(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    words: int


@pytest.fixture
def sdk(openai_fake: Served) -> Iterator[openai.OpenAI]:
    client = openai_sdk(openai_fake, openai_fake.token)
    yield client
    client.close()


def test_completion_and_structured_parse(sdk: openai.OpenAI) -> None:
    answer = sdk.chat.completions.create(
        model="gpt-4o-mini", messages=PROMPT, max_completion_tokens=500
    )
    assert answer.object == "chat.completion" and answer.choices[0].finish_reason in {
        "stop",
        "length",
    }
    assert answer.usage and answer.usage.total_tokens > 0
    parsed = sdk.chat.completions.parse(model="gpt-4o-mini", messages=PROMPT, response_format=Title)
    assert isinstance(parsed.choices[0].message.parsed, Title)


def test_streaming_yields_chunks_that_add_up_to_the_completion(sdk: openai.OpenAI) -> None:
    whole = sdk.chat.completions.create(model="m", messages=PROMPT).choices[0].message.content
    stream = sdk.chat.completions.create(
        model="m", messages=PROMPT, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert len(chunks) > 3 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage and chunks[-1].usage.completion_tokens > 0


def test_stream_helper_builds_the_final_parsed_completion(sdk: openai.OpenAI) -> None:
    with sdk.chat.completions.stream(model="m", messages=PROMPT, response_format=Title) as stream:
        final = stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Title)


async def test_async_streaming(openai_fake: Served) -> None:
    client = openai.AsyncOpenAI(base_url=openai_fake.url + "/v1", api_key=openai_fake.token)
    stream = await client.chat.completions.create(model="m", messages=PROMPT, stream=True)
    pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
    await client.close()
    assert "".join(pieces).startswith("#")


def test_tool_calls_then_a_text_answer(sdk: openai.OpenAI) -> None:
    called = sdk.chat.completions.create(
        model="m", messages=PROMPT, tools=[WEATHER], tool_choice="required"
    )
    choice = called.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.function.name == "lookup_keyword"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])
    follow_up = [
        *PROMPT,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"volume": 1200}'},
    ]
    answered = sdk.chat.completions.create(model="m", messages=follow_up, tools=[WEATHER])
    assert answered.choices[0].finish_reason == "stop" and answered.choices[0].message.content
    none = sdk.chat.completions.create(
        model="m", messages=PROMPT, tools=[WEATHER], tool_choice="none"
    )
    assert none.choices[0].message.tool_calls is None


def test_tool_calls_stream_as_argument_pieces(sdk: openai.OpenAI) -> None:
    named = {"type": "function", "function": {"name": "lookup_keyword"}}
    chunks = list(
        sdk.chat.completions.create(
            model="m", messages=PROMPT, tools=[WEATHER], tool_choice=named, stream=True
        )
    )
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].id and calls[0].function.name == "lookup_keyword"
    arguments = "".join(tc.function.arguments or "" for tc in calls)
    assert set(json.loads(arguments)) == {"keyword", "country"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_n_choices_and_stop(sdk: openai.OpenAI) -> None:
    answer = sdk.chat.completions.create(model="m", messages=PROMPT, n=3)
    assert [c.index for c in answer.choices] == [0, 1, 2]
    full = answer.choices[0].message.content or ""
    assert "\n\n" in full
    cut = sdk.chat.completions.create(model="m", messages=PROMPT, stop=["\n\n"])
    assert cut.choices[0].message.content == full.split("\n\n")[0]


@pytest.mark.parametrize(
    ("kwargs", "param", "code"),
    [
        ({"logprobs": True}, "logprobs", "unsupported_parameter"),
        ({"extra_body": {"frobnicate": 1}}, None, None),
        ({"tool_choice": "required"}, "tool_choice", None),
        ({"n": 0}, "n", "invalid_value"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "https://x"}}],
                    }
                ]
            },
            "messages[0].content[0].type",
            "unsupported_parameter",
        ),
        (
            {"tools": [{"type": "custom", "custom": {"name": "x"}}]},
            "tools[0].type",
            "unsupported_parameter",
        ),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "tool_choice",
            "invalid_value",
        ),
        (
            {"messages": [*PROMPT, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]},
            "messages.[1].role",
            None,
        ),
    ],
)
def test_what_the_fake_does_not_do_is_a_400(
    sdk: openai.OpenAI, kwargs: dict[str, object], param: str | None, code: str | None
) -> None:
    call = {"model": "m", "messages": PROMPT} | kwargs
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(**call)  # type: ignore[call-overload]
    assert caught.value.status_code == 400
    assert (caught.value.param, caught.value.code) == (param, code)
    if "extra_body" in kwargs:
        assert caught.value.message.endswith("Unrecognized request argument supplied: frobnicate")


def test_rate_limits_retried_then_surfaced(openai_fake: Served, sdk: openai.OpenAI) -> None:
    fake: FakeOpenAI = openai_fake.fake
    fake.knobs.retry_after = 0.01
    fake.knobs.rate_limits = 3  # more than the two retries
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model="m", messages=PROMPT)
    assert fake.calls == 3 and caught.value.code == "rate_limit_exceeded"
    fake.knobs.server_errors = 1
    assert sdk.chat.completions.create(model="m", messages=PROMPT).choices  # 500: retried
    fake.knobs.insufficient_quota = True
    with pytest.raises(openai.RateLimitError) as quota:
        sdk.chat.completions.create(model="m", messages=PROMPT)
    assert quota.value.code == "insufficient_quota"


def test_models(openai_fake: Served, sdk: openai.OpenAI) -> None:
    assert {m.id for m in sdk.models.list()} >= {"gpt-4o-mini"}
    assert sdk.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    openai_fake.fake.knobs.models = frozenset({"gpt-4o"})
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.models.retrieve("gpt-nope")
    assert caught.value.code == "model_not_found"
