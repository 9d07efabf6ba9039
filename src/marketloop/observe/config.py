"""Settings of metrics and alerts (`[observe]` in marketloop.toml, `MARKETLOOP_OBSERVE_*`)."""

from __future__ import annotations

from pydantic import Field

from marketloop.section import Section


class ObserveSettings(Section):
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="port of `marketloop worker`'s /metrics (0: any free port); default: none",
    )
    metrics_host: str = Field("127.0.0.1", description="address the worker's /metrics binds")
    metrics_public: bool = Field(
        False,
        description="serve /metrics (the API's and the workers') without a key; only where no "
        "one but Prometheus reaches them (a private network). Default: a key with the metrics "
        "scope",
    )
    llm_monthly_budget_usd: float | None = Field(
        None,
        ge=0,
        description="monthly LLM spend that the LlmSpendOverBudget alert compares with "
        "(exported as marketloop_llm_monthly_budget_usd)",
    )
