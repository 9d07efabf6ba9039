"""The optional LLM judge: a separate call that scores a draft 1–5 per rubric criterion, with
a reason, as strict JSON whose criterion names are pinned to the rubric's (an enum)."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel

from marketloop.content.brief import Brief
from marketloop.content.config import LlmSettings
from marketloop.content.evals.suite import JudgeSpec
from marketloop.content.llm.client import ChatRequest, LlmClient
from marketloop.content.llm.prompts import Prompt
from marketloop.content.llm.schema import response_format
from marketloop.content.llm.structured import ask_structured


class Score(BaseModel):
    name: str
    score: Literal[1, 2, 3, 4, 5]
    reason: str


class Verdict(BaseModel):
    scores: list[Score]


def judge_request(
    brief: Brief,
    draft: str,
    spec: JudgeSpec,
    prompt: Prompt,
    llm: LlmSettings,
    *,
    model: str,
    label: str,
) -> ChatRequest:
    names = [c.name for c in spec.criteria]
    fmt: dict[str, Any] = copy.deepcopy(response_format(Verdict, name="judge_verdict"))
    schema = fmt["json_schema"]["schema"]
    schema["properties"]["scores"].update(minItems=len(names), maxItems=len(names))
    schema["$defs"]["Score"]["properties"]["name"] = {"type": "string", "enum": names}
    return ChatRequest(
        model=spec.model or model,
        messages=prompt.render(brief=brief, draft=draft, criteria=spec.criteria),
        response_format=fmt,
        temperature=0.0,
        max_tokens=llm.max_tokens,
        purpose="judge",
        label=label,
        prompt_version=prompt.ref,
    )


async def judge(client: LlmClient, request: ChatRequest, spec: JudgeSpec) -> list[dict[str, Any]]:
    """One score per criterion, in the rubric's order."""
    names = [c.name for c in spec.criteria]

    def covers_rubric(verdict: Verdict) -> list[str]:
        given = [s.name for s in verdict.scores]
        return [] if sorted(given) == sorted(names) else [f"scores must name each of {names}"]

    verdict = await ask_structured(client, request, Verdict, covers_rubric)
    by_name = {s.name: s for s in verdict.scores}
    return [by_name[n].model_dump() for n in names]


def mean_score(scores: list[dict[str, Any]] | None) -> float | None:
    if not scores:
        return None
    total = float(sum(s["score"] for s in scores))
    return round(total / len(scores), 2)
