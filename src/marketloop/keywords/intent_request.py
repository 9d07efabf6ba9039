"""What `--intent llm` sends and what it accepts back: batches of keywords rendered through the
versioned prompt (`keywords/prompts/intent/<version>.jinja`, loaded by the content stage's
prompt loader), the strict answer schema, and the check that every keyword came back once.

    batches = intent_batches(settings, keywords, serps)    # no call, no key needed
    found, unknown = reconcile(batch.keywords, answer)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from marketloop.config import Settings, config_file, require_secret
from marketloop.content.llm.client import ChatRequest
from marketloop.content.llm.prompts import Prompt, available_prompts, load_prompt, parse_ref
from marketloop.content.llm.schema import strict_schema
from marketloop.errors import ConfigError, ContentError
from marketloop.keywords.intent import IntentGuess
from marketloop.keywords.model import Intent
from marketloop.keywords.reader import normalise

PROMPTS = Path(__file__).parent / "prompts"
URL_CHARS = 90  # a result URL is cut to this many characters in the prompt
_SCHEME = re.compile(r"^https?://(www\.)?", re.IGNORECASE)


class IntentLabel(BaseModel):
    keyword: str = Field(description="the keyword exactly as given")
    intent: Intent
    confidence: float = Field(ge=0, le=1, description="probability that the intent is right")


class IntentAnswer(BaseModel):
    labels: list[IntentLabel] = Field(description="one label per keyword, in the order given")


@dataclass(frozen=True)
class Batch:
    keywords: list[str]
    request: ChatRequest


def intent_batches(
    settings: Settings, keywords: Sequence[str], serps: dict[str, list[str]] | None = None
) -> list[Batch]:
    """The requests `--intent llm` sends for `keywords` (what `--show-prompt` prints)."""
    options, llm = settings.keywords, settings.llm
    prompt = intent_prompt(options.intent_prompt, settings.content.prompts_dir)
    unique = sorted({normalise(k) for k in keywords if k.strip()})
    hints = options.intent_serp_urls
    size, batches = options.intent_batch_size, []
    for start in range(0, len(unique), size):
        chunk = unique[start : start + size]
        items = [
            {"keyword": k, "urls": [short_url(u) for u in (serps or {}).get(k, [])[:hints]]}
            for k in chunk
        ]
        request = ChatRequest(
            model=options.intent_model or llm.model,
            messages=prompt.render(items=items, brand_terms=options.brand_terms),
            response_format=answer_format(chunk),
            temperature=llm.temperature,
            max_tokens=llm.max_tokens,
            purpose="intent",
            label=f"keywords {start + 1}–{start + len(chunk)} of {len(unique)}",
            prompt_version=prompt.ref,
        )
        batches.append(Batch(chunk, request))
    return batches


def answer_format(batch: Sequence[str]) -> dict[str, Any]:
    """The strict json_schema of `IntentAnswer`, narrowed to this batch: `keyword` is one of
    the batch's keywords and the list has exactly one item per keyword."""
    schema = copy.deepcopy(strict_schema(IntentAnswer))
    schema["$defs"]["IntentLabel"]["properties"]["keyword"]["enum"] = list(batch)
    labels = schema["properties"]["labels"]
    labels["minItems"] = labels["maxItems"] = len(batch)
    return {
        "type": "json_schema",
        "json_schema": {"name": "intent_labels", "strict": True, "schema": schema},
    }


def reconcile(batch: Sequence[str], answer: IntentAnswer) -> tuple[dict[str, IntentGuess], int]:
    """The answer's label per keyword of the batch, and how many labels were for keywords the
    batch does not hold. A keyword labelled twice keeps its label when both agree and loses it
    when they contradict each other (the caller falls back to the rules for it)."""
    wanted = set(batch)
    found: dict[str, IntentGuess] = {}
    contradicted: set[str] = set()
    unknown = 0
    for label in answer.labels:
        keyword = normalise(label.keyword)
        if keyword not in wanted:
            unknown += 1
            continue
        guess = IntentGuess(label.intent, label.confidence, "llm")
        if found.setdefault(keyword, guess).intent != guess.intent:
            contradicted.add(keyword)
    return {k: g for k, g in found.items() if k not in contradicted}, unknown


def intent_prompt(ref: str, own_dir: Path | None = None) -> Prompt:
    """`intent@v1` from `keywords/prompts/`, or from `[content] prompts_dir` when that folder
    has the file (your own wording, under a version name of your own)."""
    try:
        name, version = parse_ref(ref)
        if own_dir is not None and (own_dir / name / f"{version}.jinja").is_file():
            return load_prompt(ref, own_dir)
        return load_prompt(ref, PROMPTS)
    except ContentError as exc:
        known = available_prompts(own_dir) + available_prompts(PROMPTS)
        intent = sorted({p for p in known if p.startswith("intent")})
        raise ConfigError(
            f"keywords.intent_prompt: {exc.message}",
            hint=f"available: {', '.join(intent) or 'none'}; see docs/keywords.md",
        ) from None


def require_llm(settings: Settings) -> None:
    """Stop with a message naming every place to configure when no LLM is set up."""
    llm = settings.llm
    if llm.provider == "offline":
        raise ConfigError(
            "intent llm needs an LLM, and llm.provider is offline",
            hint="unset MARKETLOOP_LLM_PROVIDER (or `provider` under [llm]), or use --intent rules",
        )
    if llm.base_url:
        return  # a local server (Ollama, vLLM, llama.cpp) may need no key
    try:
        require_secret(llm.api_key, section="llm", field="api_key")
    except ConfigError:
        raise ConfigError(
            "intent llm needs an LLM: llm.api_key is not set (or a placeholder) and "
            "llm.base_url is not set",
            hint="set MARKETLOOP_LLM_API_KEY (OpenAI) or MARKETLOOP_LLM_BASE_URL (an "
            "OpenAI-compatible server: Ollama, vLLM, llama.cpp), or `api_key` / `base_url` "
            f"under [llm] in {config_file()}; or use --intent rules (offline)",
        ) from None


def short_url(url: str) -> str:
    """A result URL as the prompt shows it: no scheme, no `www.`, at most `URL_CHARS` long."""
    return _SCHEME.sub("", url.strip())[:URL_CHARS]
