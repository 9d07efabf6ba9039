"""Answers that must be valid: JSON checked against a pydantic model with one re-ask, and
Markdown text that must not be empty or refused.

    value = await ask_structured(client, request, BriefProse)

An answer that fails validation is sent back once with the errors; a second failure raises
`InvalidOutput` carrying the raw answer, so the caller can keep it for inspection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from marketloop.content.errors import InvalidOutput, Refusal
from marketloop.content.llm.client import ChatRequest, Completion, LlmClient

T = TypeVar("T", bound=BaseModel)
Check = Callable[[T], list[str]]

REASK = (
    "Your answer was not valid:\n{errors}\n\n"
    "Answer again with the complete JSON object only, matching the schema exactly."
)


async def ask_structured(
    client: LlmClient, request: ChatRequest, model: type[T], check: Check[T] | None = None
) -> T:
    """A validated `model` instance; one re-ask with the errors when the first answer fails."""
    answer = await client.complete(request)
    value, errors = _validate(client, request, answer, model, check)
    if value is not None:
        return value
    second = request.followed_by(answer.content or "", REASK.format(errors=errors))
    retry = await client.complete(second)
    value, errors = _validate(client, second, retry, model, check)
    if value is not None:
        return value
    raise InvalidOutput(
        f"LLM {request.purpose} for {request.label or 'the request'} ({retry.model}): the answer "
        f"was not valid twice: {errors.splitlines()[0]}",
        raw=retry.content or "",
        errors=errors,
        hint="try another --model or --prompt version; the answer is kept for inspection",
    )


async def ask_text(client: LlmClient, request: ChatRequest) -> str:
    """A non-empty text answer (a Markdown draft)."""
    answer = await client.complete(request)
    _refused(client, request, answer)
    text = (answer.content or "").strip()
    if not text:
        client.account(request, answer, "invalid")
        raise InvalidOutput(
            f"LLM {request.purpose} for {request.label}: the answer was empty",
            raw="",
            errors="empty answer",
            hint="try another --model",
        )
    client.account(request, answer, "ok")
    client.remember(answer)
    return text


def _validate(
    client: LlmClient,
    request: ChatRequest,
    answer: Completion,
    model: type[T],
    check: Check[T] | None,
) -> tuple[T | None, str]:
    _refused(client, request, answer)
    try:
        value = model.model_validate(json.loads(answer.content or ""))
        problems = check(value) if check else []
    except json.JSONDecodeError as exc:
        cut = " (cut off at the token limit)" if answer.finish_reason == "length" else ""
        value, problems = None, [f"not valid JSON{cut}: {exc.msg} at character {exc.pos}"]
    except ValidationError as exc:
        value, problems = None, [_error_line(e) for e in exc.errors()]
    if problems:
        client.account(request, answer, "invalid")
        return None, "\n".join(f"- {p}" for p in problems)
    client.account(request, answer, "ok")
    client.remember(answer)
    return value, ""


def _refused(client: LlmClient, request: ChatRequest, answer: Completion) -> None:
    if answer.refusal:
        client.account(request, answer, "refused")
        raise Refusal(
            f"LLM {request.purpose} for {request.label or 'the request'} ({answer.model}) "
            f"refused: {answer.refusal}",
            hint="rephrase the cluster or prompt, or try another model",
        )


def _error_line(error: object) -> str:
    details = dict(error) if isinstance(error, dict) else {}
    where = ".".join(str(p) for p in details.get("loc", ())) or "answer"
    return f"{where}: {details.get('msg', error)}"
