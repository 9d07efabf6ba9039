"""A content brief: the typed contract between the brief writer (offline or LLM), drafts, evals
and publishing (Notion, webhooks). Stored as `<slug>.json` (and the draft as `<slug>.md`) in the
folder `marketloop briefs generate --out DIR` writes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from marketloop.keywords.model import Intent


class OutlineItem(BaseModel):
    level: Literal[2, 3]  # H2 or H3
    heading: str
    notes: str = ""


class TermTarget(BaseModel):
    term: str
    min_count: int = Field(1, ge=0)
    max_count: int | None = Field(None, ge=0)


class InternalLink(BaseModel):
    anchor: str
    url: str


class Brief(BaseModel):
    slug: str
    cluster: str
    # what to do about the site's pages (content/coverage.py): a new piece, an update of the
    # page serving the cluster, or a merge of the pages splitting it into `target_url`;
    # briefs written before these fields existed read as `new`
    action: Literal["new", "update", "consolidate"] = "new"
    target_url: str | None = None
    existing_pages: list[str] = Field(default_factory=list)
    title_options: list[str] = Field(min_length=1)
    meta_description: str
    h1: str
    outline: list[OutlineItem] = Field(min_length=1)
    primary_terms: list[TermTarget] = Field(min_length=1)
    secondary_terms: list[TermTarget] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    intent: Intent
    audience: str
    word_count_min: int = Field(ge=100)
    word_count_max: int
    internal_links: list[InternalLink] = Field(default_factory=list)  # links to add to the piece
    link_from: list[str] = Field(default_factory=list)  # existing pages that should link here
    call_to_action: str
    out_of_scope: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    opportunity: float = Field(0.0, ge=0, le=10)
    status: Literal["draft", "ready", "published"] = "draft"
    owner: str | None = None
    # provenance: how the brief was written
    provider: str = "offline"
    model: str | None = None
    prompt_version: str | None = None  # the brief prompt, NAME@VERSION
    draft_prompt_version: str | None = None  # the prompt of the draft <slug>.md, when one exists

    @model_validator(mode="after")
    def _word_range(self) -> Brief:
        if self.word_count_max < self.word_count_min:
            raise ValueError("word_count_max must be at least word_count_min")
        return self
