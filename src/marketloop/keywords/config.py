"""Settings of the keyword stage (`[keywords]` in marketloop.toml, `MARKETLOOP_KEYWORDS_*`).

[keywords]
mode = "serp"                 # auto | serp | lexical | semantic
min_shared = 3                # serp: shared top-N URLs that make two keywords related
strictness = "soft"           # serp: soft | moderate | hard
ctr_curve = [0.28, 0.15, 0.11, 0.08, 0.06, 0.05, 0.04, 0.03, 0.025, 0.02]
brand_terms = ["acme", "acme cloud"]
intent = "rules"              # rules | llm (needs [llm]: MARKETLOOP_LLM_API_KEY or _BASE_URL)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from marketloop.section import Section

Mode = Literal["auto", "serp", "lexical", "semantic"]
Strictness = Literal["soft", "moderate", "hard"]
IntentMethod = Literal["rules", "llm"]

# Organic CTR by position 1..10 (desktop + mobile blend of public CTR studies, 2023-24).
DEFAULT_CTR_CURVE = [0.28, 0.15, 0.11, 0.08, 0.06, 0.05, 0.04, 0.03, 0.025, 0.02]


class KeywordsSettings(Section):
    mode: Mode = Field(
        "auto",
        description="clustering mode; auto = serp when SERP snapshots are given, else lexical",
    )
    # serp mode
    top_n: int = Field(10, ge=1, le=100, description="SERP results per keyword that are compared")
    min_shared: int = Field(3, ge=1, le=100, description="shared URLs that relate two keywords")
    strictness: Strictness = Field(
        "soft",
        description="soft: against the cluster's top keyword; moderate: connected components; "
        "hard: every pair shares",
    )
    # lexical / semantic modes
    threshold: float | None = Field(
        None, gt=0, le=1, description="cosine similarity that links two keywords (mode default)"
    )
    lexical_threshold: float = Field(0.65, gt=0, le=1)
    semantic_threshold: float = Field(0.75, gt=0, le=1)
    refine_rounds: int = Field(
        1, ge=0, le=10, description="centroid passes after leader clustering (lexical/semantic)"
    )
    semantic_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model: a local folder or a name already in the cache",
    )
    # intent
    brand_terms: list[str] = Field(
        default_factory=list, description="your brand and product names (navigational intent)"
    )
    intent: IntentMethod = Field(
        "rules",
        description="rules: modifier rules and SERP hints, offline; llm: a model labels each "
        "keyword, unsure labels combined with the rules (needs [llm])",
    )
    intent_model: str | None = Field(None, description="model for intent llm (default llm.model)")
    intent_prompt: str = Field("intent@v1", description="prompt NAME@VERSION for intent llm")
    intent_batch_size: int = Field(50, ge=1, le=200, description="keywords per LLM request")
    intent_serp_urls: int = Field(
        3, ge=0, le=10, description="top result URLs sent with each keyword as hints"
    )
    intent_min_confidence: float = Field(
        0.6, ge=0, le=1, description="below this, the model's label is combined with the rules"
    )
    # opportunity
    ctr_curve: list[float] = Field(
        default_factory=lambda: list(DEFAULT_CTR_CURVE),
        min_length=1,
        description="organic CTR at positions 1..N; beyond N the CTR is 0",
    )
    target_position: float = Field(3, ge=1, description="the position a piece of content aims for")
    default_difficulty: float = Field(
        30, gt=0, le=100, description="difficulty assumed when the file gives none"
    )
    min_difficulty: float = Field(
        5,
        ge=0,
        le=100,
        description="difficulty floor: a reported 0 (little data) does not dominate opportunity",
    )
    opportunity_scale: Literal["log", "linear"] = Field(
        "log",
        description="how raw opportunity is normalised to 0-10 across the run: log spreads the "
        "top three orders of magnitude, linear keeps ratios",
    )
    # site mapping
    cannibalisation_share: float = Field(
        0.2, gt=0, le=0.5, description="share of a cluster's impressions that makes a page count"
    )
    title_match: float = Field(
        0.75, gt=0, le=1, description="share of a cluster name's words a title or H1 must contain"
    )

    @field_validator("ctr_curve")
    @classmethod
    def _ctr_is_a_rate(cls, curve: list[float]) -> list[float]:
        if any(not 0 <= value <= 1 for value in curve):
            raise ValueError("every CTR must be between 0 and 1")
        return curve

    def similarity_threshold(self, mode: Literal["lexical", "semantic"]) -> float:
        if self.threshold is not None:
            return self.threshold
        return self.lexical_threshold if mode == "lexical" else self.semantic_threshold
