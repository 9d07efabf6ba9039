"""The LLM writer: the prose of a brief within the data's constraints, and the draft.

The offline brief (`offline.py`) fixes what data decides: terms and their counts, internal
links, pages to link from, word range, sources. The model rewrites what language decides:
titles, H1, meta description, outline headings and notes, questions, audience, call to action
(`BriefProse`, sent as a strict JSON schema). The draft is Markdown written from the final
brief with the draft prompt.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from marketloop.content.brief import Brief, OutlineItem
from marketloop.content.config import ContentSettings, LlmSettings
from marketloop.content.llm.client import ChatRequest, LlmClient
from marketloop.content.llm.prompts import Prompt
from marketloop.content.llm.schema import response_format
from marketloop.content.llm.structured import ask_structured, ask_text
from marketloop.content.offline import META_MAX, META_MIN
from marketloop.keywords.model import Cluster


class BriefProse(BaseModel):
    """The parts of a brief the model writes."""

    title_options: list[str] = Field(
        min_length=3, max_length=5, description="3–5 titles, each under 65 characters"
    )
    h1: str = Field(description="the page's H1, close to the best title")
    meta_description: str = Field(description=f"{META_MIN}–{META_MAX} characters")
    outline: list[OutlineItem] = Field(
        min_length=3, description="H2 (level 2) and H3 (level 3) headings in order, with notes"
    )
    questions: list[str] = Field(description="questions the piece must answer")
    audience: str = Field(description="who the piece is for, one sentence")
    call_to_action: str = Field(description="one short imperative sentence")

    @field_validator("meta_description")
    @classmethod
    def _meta_length(cls, value: str) -> str:
        if not META_MIN <= len(value) <= META_MAX:
            raise ValueError(f"must be {META_MIN}–{META_MAX} characters, got {len(value)}")
        return value

    @field_validator("outline")
    @classmethod
    def _starts_with_h2(cls, value: list[OutlineItem]) -> list[OutlineItem]:
        if value and value[0].level != 2:
            raise ValueError("the outline must start with an H2 (level 2)")
        return value


def brief_request(
    brief: Brief,
    cluster: Cluster,
    prompt: Prompt,
    llm: LlmSettings,
    model: str | None = None,
    label: str | None = None,
) -> ChatRequest:
    """The request that asks the model for the brief's prose (what `--show-prompt` prints)."""
    return ChatRequest(
        model=model or llm.model,
        messages=prompt.render(brief=brief, cluster=cluster, keywords=cluster.keywords),
        response_format=response_format(BriefProse, name="brief_prose"),
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        purpose="brief",
        label=label or brief.slug,
        prompt_version=prompt.ref,
    )


def draft_request(
    brief: Brief,
    prompt: Prompt,
    llm: LlmSettings,
    content: ContentSettings,
    model: str | None = None,
    label: str | None = None,
) -> ChatRequest:
    return ChatRequest(
        model=model or llm.model,
        messages=prompt.render(brief=brief, banned=content.banned_phrases),
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        purpose="draft",
        label=label or brief.slug,
        prompt_version=prompt.ref,
    )


async def write_llm_brief(
    client: LlmClient,
    offline: Brief,
    cluster: Cluster,
    prompt: Prompt,
    model: str | None = None,
    label: str | None = None,
) -> Brief:
    request = brief_request(offline, cluster, prompt, client.settings, model, label)
    prose = await ask_structured(client, request, BriefProse)
    return Brief.model_validate(
        {
            **offline.model_dump(),
            **prose.model_dump(),
            "provider": "openai",
            "model": request.model,
            "prompt_version": prompt.ref,
        }
    )


async def write_draft(
    client: LlmClient,
    brief: Brief,
    prompt: Prompt,
    content: ContentSettings,
    model: str | None = None,
    label: str | None = None,
) -> str:
    request = draft_request(brief, prompt, client.settings, content, model, label)
    return await ask_text(client, request)
