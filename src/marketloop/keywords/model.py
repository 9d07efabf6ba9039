"""The shapes the keyword stage hands to the content stage (and to `--format json`).

`marketloop keywords cluster --format json` prints a list of `Cluster` objects; `marketloop briefs
generate --clusters FILE` reads the same list back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Intent = Literal["informational", "navigational", "commercial", "transactional"]
# who labelled a keyword: the rules; the model (sure); the model and the rules together (the
# model was unsure); the rules because the model gave no usable label (see keywords/llm_intent.py)
IntentSource = Literal["rules", "llm", "llm+rules", "fallback"]
CoverageStatus = Literal["covered", "gap", "cannibalised"]


class KeywordRecord(BaseModel):
    keyword: str
    volume: int = 0
    difficulty: float | None = None  # 0-100
    cpc: float | None = None
    position: float | None = None  # current ranking position of the site, if known
    url: str | None = None  # the site's ranking URL, if known
    intent: Intent | None = None
    intent_confidence: float | None = Field(None, ge=0, le=1)
    intent_source: IntentSource | None = None


class Cluster(BaseModel):
    cluster: str  # the cluster's name: its highest-volume keyword
    keywords: list[str]
    members: list[KeywordRecord] = Field(default_factory=list)
    intent: Intent = "informational"
    intent_confidence: float = Field(0.0, ge=0, le=1)
    volume: int = 0  # summed search volume of the members
    opportunity: float = Field(0.0, ge=0, le=10)
    page: str | None = None  # the existing page that serves the cluster, if any
    pages: list[str] = Field(default_factory=list)  # every site page seen for the cluster
    status: CoverageStatus = "gap"
