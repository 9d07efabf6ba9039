"""A fake of the OpenAI chat completions API (`POST /v1/chat/completions`), faithful to the
documented behaviour: Bearer auth (401 `invalid_api_key`), request validation (400 with
`param`), `response_format` (`text`, `json_object`, strict `json_schema` checked like the real
service), `usage`, the model echoed, `x-ratelimit-*` headers on every answer, 429 with
`Retry-After`, `insufficient_quota`, 5xx, refusals (`message.refusal`), `finish_reason: length`
when `max_completion_tokens` is hit, `n` choices, `stop`, tool calls (`openai_params.py`),
`stream: true` as server-sent chunks (`openai_stream.py`). Parameters it does not implement and
unknown routes are refused with the API's errors: `{"error": {"message", "type", "param",
"code"}}`.

    fake = FakeOpenAI(latency=0.5)
    with LocalServer(fake.app()) as server:
        client = AsyncOpenAI(base_url=server.url + "/v1", api_key=fake.knobs.api_key)
    fake.knobs.rate_limits = 2      # the next two requests get 429 + Retry-After
    fake.requests                   # every request body received, in order

Tokens are estimated (4 characters a token), as a stand-in for the model's tokenizer.
What the fake writes is in `openai_output.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from marketloop.fakes import openai_output as output
from marketloop.fakes import openai_stream as stream
from marketloop.fakes.common import json_errors
from marketloop.fakes.openai_params import check_params, cut_at_stop, tool_call
from marketloop.fakes.openai_tuning import FineTuning
from marketloop.fakes.openai_validate import error, validate

REFUSAL = "I'm sorry, but I can't help with that request."


@dataclass
class Knobs:
    """Misbehaviour on demand. Counters apply to the next N requests and count down."""

    api_key: str | None = "sk-fake"  # None: any Bearer token is accepted
    models: frozenset[str] | None = None  # None: any model name exists
    latency: float = 0.0  # seconds before every answer
    requests_per_minute: int | None = None  # a real sliding-window limit (429 when exceeded)
    rate_limits: int = 0  # next N requests: 429 rate_limit_exceeded
    retry_after: float = 1.0  # seconds advertised by those 429s
    server_errors: int = 0  # next N requests: 500 server_error
    hangs: int = 0  # next N requests: no answer for `hang_seconds` (client timeouts)
    hang_seconds: float = 30.0
    invalid_json: int = 0  # next N answers: JSON cut short
    schema_violations: int = 0  # next N answers: valid JSON missing a required key
    refusals: int = 0  # next N answers: `message.refusal`
    insufficient_quota: bool = False  # every request: 429 insufficient_quota


class FakeOpenAI:
    """The fake's state: its knobs, the requests it received, its rate-limit window."""

    def __init__(self, knobs: Knobs | None = None, **settings: Any) -> None:
        self.knobs = knobs or Knobs(**settings)
        self.requests: list[dict[str, Any]] = []  # bodies of authorised requests
        self.calls = 0  # every POST to /v1/chat/completions, refused ones included
        self._window: deque[float] = deque()
        self._ids = itertools.count(1)
        self.tuning = FineTuning(self._auth)  # files and fine-tuning: openai_tuning.py

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[json_errors(lambda status, text: error(status, text, None))],
            client_max_size=32 * 1024 * 1024,
        )
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/models/{model}", self._model)
        self.tuning.register(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)  # last: what nothing else serves
        return app

    async def _unknown(self, request: web.Request) -> web.Response:
        # the API's answer to a path or method it does not serve
        return error(404, f"Invalid URL ({request.method} {request.path})", None)

    async def _model(self, request: web.Request) -> web.Response:
        if denied := self._auth(request):
            return denied
        name = request.match_info["model"]
        if self.knobs.models is not None and name not in self.knobs.models:
            msg = f"The model '{name}' does not exist"
            return error(404, msg, "model", "model_not_found")
        return web.json_response({"id": name, "object": "model", "created": 0, "owned_by": "fake"})

    async def _models(self, request: web.Request) -> web.Response:
        if denied := self._auth(request):
            return denied
        names = sorted(self.knobs.models or {"gpt-4o-mini", "gpt-4o"})
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]
        return web.json_response({"object": "list", "data": data})

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if denied := self._auth(request):
            return denied
        try:
            body = await request.json()
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.", None)
        if not isinstance(body, dict):
            return error(400, "The request body must be a JSON object.", None)
        self.requests.append(body)
        if problem := validate(body) or check_params(body):
            return problem
        return await self._answer(request, body)

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        knobs, model = self.knobs, body["model"]
        if knobs.models is not None and model not in knobs.models:
            msg = f"The model `{model}` does not exist or you do not have access to it."
            return error(404, msg, None, "model_not_found")
        if knobs.insufficient_quota:
            return error(429, QUOTA, None, "insufficient_quota", kind="insufficient_quota")
        if limited := self._rate_limited(model):
            return limited
        if _take(knobs, "server_errors"):
            return error(500, SERVER_ERROR, None, None, kind="server_error")
        completion = self._completion(body)  # decided on arrival, like the knobs
        if _take(knobs, "hangs"):
            await asyncio.sleep(knobs.hang_seconds)
        await asyncio.sleep(knobs.latency)
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await stream.send(request, completion, usage, self._limit_headers())
        return web.json_response(completion, headers=self._limit_headers())

    def _content(self, body: dict[str, Any]) -> tuple[str | None, str | None, str]:
        if _take(self.knobs, "refusals"):
            return None, REFUSAL, "stop"
        fmt = body.get("response_format") or {"type": "text"}
        messages = body["messages"]
        if fmt["type"] == "text":
            text = output.markdown(messages)
        else:
            schema = fmt.get("json_schema", {}).get("schema", {"type": "object"})
            value = output.from_schema(schema, messages)
            if _take(self.knobs, "schema_violations") and isinstance(value, dict) and value:
                value.pop(next(iter(value)))
            text = json.dumps(value, ensure_ascii=False)
            if _take(self.knobs, "invalid_json"):
                text = text[: max(1, len(text) // 2)]
        text = cut_at_stop(text, body.get("stop"))
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if limit and tokens(text) > limit:
            return text[: limit * 4], None, "length"
        return text, None, "stop"

    def _choice(self, body: dict[str, Any], index: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "annotations": []}
        call = tool_call(body, f"call_fake{next(self._ids):08d}")
        if call is not None:
            message |= {"content": None, "refusal": None, "tool_calls": [call]}
            finish = "tool_calls"
        else:
            content, refusal, finish = self._content(body)
            message |= {"content": content, "refusal": refusal}
        return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        choices = [self._choice(body, index) for index in range(body.get("n", 1))]
        prompt = sum(tokens(output.prompt_text([m])) + 4 for m in body["messages"]) + 3
        if body.get("response_format", {}).get("type") == "json_schema":
            prompt += tokens(json.dumps(body["response_format"]["json_schema"]))
        prompt += tokens(json.dumps(body.get("tools") or ""))
        completion = sum(tokens(_said(choice["message"])) for choice in choices)
        return {
            "id": f"chatcmpl-fake{next(self._ids):08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return error(401, NO_KEY, None, None)
        key = header[7:].strip()
        if self.knobs.api_key is not None and key != self.knobs.api_key:
            shown = f"{key[:3]}{'*' * 6}{key[-4:]}" if len(key) > 8 else "***"
            msg = f"Incorrect API key provided: {shown}. You can find your API key at {KEYS_URL}."
            return error(401, msg, None, "invalid_api_key")
        return None

    def _rate_limited(self, model: str) -> web.Response | None:
        knobs, now = self.knobs, time.monotonic()
        while self._window and now - self._window[0] >= 60:
            self._window.popleft()
        wait: float | None = None
        if _take(knobs, "rate_limits"):
            wait = knobs.retry_after
        elif knobs.requests_per_minute and len(self._window) >= knobs.requests_per_minute:
            wait = 60 - (now - self._window[0])
        if wait is None:
            self._window.append(now)
            return None
        rpm = knobs.requests_per_minute or 10_000
        msg = (
            f"Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
            f"Limit {rpm}, Used {rpm}, Requested 1. Please try again in {wait:.3g}s. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        headers = {
            **self._limit_headers(remaining=0, reset=wait),
            "retry-after": str(math.ceil(wait)),
            "retry-after-ms": str(int(wait * 1000)),
        }
        return error(429, msg, None, "rate_limit_exceeded", kind="requests", headers=headers)

    def _limit_headers(self, remaining: int | None = None, reset: float = 0.06) -> dict[str, str]:
        rpm = self.knobs.requests_per_minute or 10_000
        left = max(0, rpm - len(self._window)) if remaining is None else remaining
        return {
            "x-request-id": f"req_fake{len(self.requests):08d}",
            "openai-processing-ms": str(int(self.knobs.latency * 1000)),
            "x-ratelimit-limit-requests": str(rpm),
            "x-ratelimit-remaining-requests": str(left),
            "x-ratelimit-reset-requests": f"{int(reset * 1000)}ms",
            "x-ratelimit-limit-tokens": "2000000",
            "x-ratelimit-remaining-tokens": "1999000",
            "x-ratelimit-reset-tokens": "30ms",
        }


def _said(message: dict[str, Any]) -> str:
    calls = message.get("tool_calls") or []
    return message["content"] or message["refusal"] or json.dumps(calls)


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _take(knobs: Knobs, name: str) -> bool:
    left = getattr(knobs, name)
    if left > 0:
        setattr(knobs, name, left - 1)
        return True
    return False


KEYS_URL = "https://platform.openai.com/account/api-keys"
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    f"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from "
    f"{KEYS_URL}."
)
QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
