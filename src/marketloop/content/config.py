"""Settings of the create stage: the LLM connection (`[llm]`, `MARKETLOOP_LLM_*`) and the brief,
draft and eval rules (`[content]`, `MARKETLOOP_CONTENT_*`).

`[llm]` is its own section because it is a connection any stage may use (the keyword stage's
intent classifier can share it): `MARKETLOOP_LLM_API_KEY`, `MARKETLOOP_LLM_BASE_URL` (OpenAI,
Azure, Ollama, vLLM, a llama.cpp server: anything that speaks `/v1/chat/completions`),
`MARKETLOOP_LLM_MODEL`. Prices are US dollars per million tokens, per exact model id (a dated
snapshot such as `gpt-4o-mini-2024-07-18` is priced as its model; `gpt-5-pro` is not `gpt-5`);
models missing from the table, fine-tuned ones included, are costed at zero and reported as
"price unknown" until `[llm.prices]` names them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr

from marketloop.section import Section

Provider = Literal["offline", "openai"]


class Price(BaseModel):
    input: float = Field(ge=0, description="USD per 1M prompt tokens")
    output: float = Field(ge=0, description="USD per 1M completion tokens")


#: list prices (USD per 1M tokens) of common models; `[llm.prices]` adds to and overrides these
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-5": Price(input=1.25, output=10.0),
    "gpt-5-pro": Price(input=15.0, output=120.0),
    "gpt-5-mini": Price(input=0.25, output=2.0),
    "gpt-5-nano": Price(input=0.05, output=0.40),
    "gpt-4.1": Price(input=2.0, output=8.0),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, output=0.40),
    "gpt-4o": Price(input=2.50, output=10.0),
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "o3": Price(input=2.0, output=8.0),
    "o3-mini": Price(input=1.10, output=4.40),
    "o4-mini": Price(input=1.10, output=4.40),
    "gpt-3.5-turbo": Price(input=0.50, output=1.50),
}

#: list prices of supervised fine-tuning (USD per 1M training tokens, i.e. tokens × epochs);
#: `[llm.training_prices]` adds to and overrides these
DEFAULT_TRAINING_PRICES: dict[str, float] = {
    "gpt-4.1": 25.0,
    "gpt-4.1-mini": 5.0,
    "gpt-4.1-nano": 1.5,
    "gpt-4o": 25.0,
    "gpt-4o-mini": 3.0,
    "gpt-3.5-turbo": 8.0,
}
T = TypeVar("T")
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")

DEFAULT_BANNED_PHRASES = [
    "in today's fast-paced world",
    "in today's digital age",
    "delve",
    "game-changer",  # also matches "game changer": hyphens and spaces are alike
    "unlock the power",
    "unleash",
    "revolutionize",
    "look no further",
    "it's important to note",
    "in conclusion",
    "seamlessly",
]


class LlmSettings(Section):
    provider: Provider | None = Field(
        None, description="offline or openai; default: openai when an api_key is set"
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama)"
    )
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, description="cap on completion tokens per call")
    timeout: float = Field(120.0, gt=0, description="seconds for one call")
    retries: int = Field(4, ge=0, le=20, description="retries of 429, 5xx and timeouts")
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    max_backoff: float = Field(
        60.0, ge=0, description="longest backoff between retries (when no Retry-After is given)"
    )
    max_retry_after: float = Field(
        300.0, gt=0, description="longest Retry-After honoured; a longer one is cut to this"
    )
    concurrency: int = Field(8, ge=1, le=256, description="calls in flight at once")
    cache: bool = Field(True, description="reuse responses to identical requests")
    prices: dict[str, Price] = Field(default_factory=dict, description="adds to DEFAULT_PRICES")
    training_prices: dict[str, float] = Field(
        default_factory=dict, description="USD per 1M training tokens; adds to the defaults"
    )

    def resolved_provider(self) -> Provider:
        if self.provider is not None:
            return self.provider
        return "openai" if self.api_key is not None else "offline"

    def price_of(self, model: str) -> Price | None:
        """The price of `model` by its exact id (or the id of its dated snapshot); None: unknown."""
        return _lookup({**DEFAULT_PRICES, **self.prices}, model)

    def training_price_of(self, model: str) -> float | None:
        """USD per 1M training tokens of fine-tuning `model`; None: unknown."""
        return _lookup({**DEFAULT_TRAINING_PRICES, **self.training_prices}, model)


def _lookup(table: dict[str, T], model: str) -> T | None:
    if model in table:
        return table[model]
    return table.get(_SNAPSHOT.sub("", model)) if _SNAPSHOT.search(model) else None


class ContentSettings(Section):
    brief_prompt: str = Field("brief@v2", description="prompt NAME@VERSION for LLM briefs")
    draft_prompt: str = Field("draft@v2", description="prompt NAME@VERSION for drafts")
    judge_prompt: str = Field("judge@v1", description="prompt NAME@VERSION for the eval judge")
    prompts_dir: Path | None = Field(
        None, description="folder of your own NAME/VERSION.jinja templates, searched first"
    )
    banned_phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_BANNED_PHRASES))
    claim_window: int = Field(
        160, ge=0, description="characters around a claim searched for a link or source"
    )
    max_internal_links: int = Field(8, ge=0, le=50)
    max_link_from: int = Field(5, ge=0, le=50)
