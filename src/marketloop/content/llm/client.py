"""One client for every OpenAI-compatible endpoint (OpenAI, Azure, Ollama, vLLM, llama.cpp):
the `openai` SDK's `AsyncOpenAI` with its own retries turned off, and ours on top:

- 429: wait what `Retry-After` (or `retry-after-ms`, `x-ratelimit-reset-requests`) says, up to
  `[llm] max_retry_after` (a longer ask is cut, with a warning), and make every other call wait
  too; `insufficient_quota` is not retried (it will not heal);
- 5xx, timeouts, dropped connections: exponential backoff, at most `[llm] retries` times;
- 401/403, unknown model, rejected request: a clear error at once;
- at most `[llm] concurrency` calls in flight; identical requests answered from the cache.

    client = LlmClient(settings.llm, ledger, cache)
    completion = await client.complete(ChatRequest(model=..., messages=[...]))
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import openai
from openai import AsyncOpenAI

from marketloop.config import require_secret
from marketloop.content.config import LlmSettings
from marketloop.content.errors import LlmAuthError, LlmError, LlmUnavailable, QuotaExhausted
from marketloop.content.llm.cache import CachedAnswer, ResponseCache, cache_key
from marketloop.content.llm.ledger import Ledger
from marketloop.content.llm.retry import backoff, retry_after
from marketloop.observe.logging import get_logger

OPENAI_URL = "https://api.openai.com/v1"
log = get_logger(__name__)
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class ChatRequest:
    """What is sent (`body()`), plus what the ledger needs to know about it."""

    model: str
    messages: list[dict[str, str]]
    response_format: dict[str, Any] | None = None
    temperature: float = 0.2
    max_tokens: int | None = None
    purpose: str = "brief"
    label: str = ""
    prompt_version: str | None = None

    def body(self) -> dict[str, Any]:
        """Exactly the JSON body of the chat completions request."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": self.messages,
            "temperature": self.temperature,
        }
        if self.response_format is not None:
            body["response_format"] = self.response_format
        if self.max_tokens is not None:
            body["max_completion_tokens"] = self.max_tokens
        return body

    def followed_by(self, answer: str, correction: str) -> ChatRequest:
        """The re-ask: the same conversation, the model's answer, and what was wrong with it."""
        messages = [
            *self.messages,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": correction},
        ]
        return replace(self, messages=messages, purpose="reask")


@dataclass(frozen=True)
class Completion:
    content: str | None
    refusal: str | None
    finish_reason: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    cache_hit: bool
    key: str
    retries: int = 0


class LlmClient:
    def __init__(
        self,
        settings: LlmSettings,
        ledger: Ledger,
        cache: ResponseCache | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.cache = cache if settings.cache else None
        self._sleep = sleep
        self._base_url = settings.base_url or OPENAI_URL
        self._sdk = AsyncOpenAI(
            api_key=endpoint_key(settings),
            base_url=self._base_url,
            max_retries=0,  # retries are ours: Retry-After shared by every call, quota not retried
            timeout=settings.timeout,
        )
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._resume_at = 0.0

    async def complete(self, request: ChatRequest) -> Completion:
        """The answer to `request`, from the cache or the endpoint (with retries)."""
        key = cache_key(request.body())
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return Completion(
                hit.content, None, "stop", hit.model, hit.prompt_tokens,
                hit.completion_tokens, 0.0, True, key,
            )  # fmt: skip
        try:
            return await self._call(request, key)
        except LlmError:
            self.account(request, None, "error")
            raise

    def account(self, request: ChatRequest, completion: Completion | None, status: str) -> None:
        """Record one call (or cache hit) in the ledger."""
        self.ledger.record(
            purpose=request.purpose,
            label=request.label,
            model=completion.model if completion else request.model,
            prompt_version=request.prompt_version,
            prompt_tokens=completion.prompt_tokens if completion else 0,
            completion_tokens=completion.completion_tokens if completion else 0,
            latency_ms=completion.latency_ms if completion else 0.0,
            cache_hit=completion.cache_hit if completion else False,
            retries=completion.retries if completion else 0,
            status=status,
        )

    def remember(self, completion: Completion) -> None:
        """Keep a validated answer for identical requests."""
        if self.cache is not None and not completion.cache_hit and completion.content:
            answer = CachedAnswer(
                completion.content,
                completion.model,
                completion.prompt_tokens,
                completion.completion_tokens,
            )
            self.cache.put(completion.key, answer)

    async def aclose(self) -> None:
        await self._sdk.close()

    async def _call(self, request: ChatRequest, key: str) -> Completion:
        attempts = self.settings.retries + 1
        last = ""
        for attempt in range(attempts):
            await self._wait_for_resume()
            try:
                async with self._limit:
                    started = time.perf_counter()
                    response = await self._sdk.chat.completions.create(**request.body())
                    latency = (time.perf_counter() - started) * 1000
                return _completion(response, latency, key, attempt)
            except openai.RateLimitError as exc:
                self._rate_limited(exc, request, attempt)
                last = f"429 {exc.code or 'rate_limit_exceeded'}"
            except (openai.InternalServerError, openai.APIConnectionError) as exc:
                last = _describe(exc)
                if attempt + 1 < attempts:
                    await self._sleep(self._backoff(attempt))
            except openai.APIStatusError as exc:
                raise self._terminal(exc, request) from None
        raise LlmUnavailable(
            f"{self._where(request)}: no answer after {attempts} attempts (last: {last})",
            hint="try again later, or raise MARKETLOOP_LLM_RETRIES or _TIMEOUT, "
            "or lower MARKETLOOP_LLM_CONCURRENCY",
        )

    def _rate_limited(self, exc: openai.RateLimitError, request: ChatRequest, attempt: int) -> None:
        if exc.code == "insufficient_quota" or exc.type == "insufficient_quota":
            raise QuotaExhausted(
                f"{self._where(request)}: the account has no quota left (insufficient_quota)",
                hint="check the plan and billing of the API key's account, or use another key",
            ) from None
        wait = self._retry_wait(retry_after(exc.response.headers), request, attempt)
        loop = asyncio.get_running_loop()
        self._resume_at = max(self._resume_at, loop.time() + wait)

    def _retry_wait(self, asked: float | None, request: ChatRequest, attempt: int) -> float:
        """The server's Retry-After up to `max_retry_after`; backoff when it gave none."""
        if asked is None:
            return self._backoff(attempt)
        longest = self.settings.max_retry_after
        if asked > longest:
            log.warning(
                "llm.retry_after_cut", where=self._where(request), asked=asked, waiting=longest,
                hint="raise MARKETLOOP_LLM_MAX_RETRY_AFTER to wait as long as the server asks",
            )  # fmt: skip
        return min(asked, longest)

    async def _wait_for_resume(self) -> None:
        delay = self._resume_at - asyncio.get_running_loop().time()
        if delay > 0:
            await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return backoff(attempt, self.settings.backoff, self.settings.max_backoff)

    def _terminal(self, exc: openai.APIStatusError, request: ChatRequest) -> LlmError:
        where = self._where(request)
        if exc.status_code in (401, 403):
            return LlmAuthError(
                f"{where}: the endpoint rejected the API key ({exc.code or exc.status_code})",
                hint="set a valid key in MARKETLOOP_LLM_API_KEY (or api_key under llm in the TOML)",
            )
        if exc.status_code == 404:
            return LlmError(
                f"{where}: model {request.model!r} not found ({exc.code or 404})",
                hint="check --model (or MARKETLOOP_LLM_MODEL) against the endpoint's models",
            )
        param = f" (param {exc.param})" if exc.param else ""
        return LlmError(
            f"{where}: the endpoint rejected the request: {exc.status_code} {_message(exc)}{param}",
            hint="run with --show-prompt to see exactly what is sent",
        )

    def _where(self, request: ChatRequest) -> str:
        label = f" for {request.label}" if request.label else ""
        return f"LLM {request.purpose}{label} ({request.model} at {self._base_url})"


def _completion(response: Any, latency_ms: float, key: str, retries: int) -> Completion:
    choice = response.choices[0]
    usage = response.usage
    return Completion(
        content=choice.message.content,
        refusal=getattr(choice.message, "refusal", None),
        finish_reason=choice.finish_reason or "stop",
        model=response.model or "",
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        latency_ms=latency_ms,
        cache_hit=False,
        key=key,
        retries=retries,
    )


def endpoint_key(settings: LlmSettings) -> str:
    """The key; a local endpoint (a custom base_url) may run without one."""
    if settings.api_key is None and settings.base_url:
        return "no-key"
    return require_secret(settings.api_key, section="llm", field="api_key")


def _describe(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"{exc.status_code} {_message(exc)}"
    return "connection failed"


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return exc.message
