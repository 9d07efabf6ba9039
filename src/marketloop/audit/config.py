"""Settings of the auditor (`[audit]` in marketloop.toml).

`thresholds` overrides a check's default threshold by check id, e.g.
`[audit.thresholds] slow_response = 2.0`; `disabled` switches checks off by id.
`[audit.impact]` weighs a ticket's URLs by their analytics (see impact.py).
"""

from __future__ import annotations

from pydantic import Field

from marketloop.section import Section


class ImpactWeights(Section):
    """Weights of each figure in a URL's value, and the window the traffic is summed over."""

    window_days: int = Field(28, ge=1, description="days of traffic summed (page_performance)")
    clicks: float = Field(1.0, ge=0, description="weight of a Search Console click")
    impressions: float = Field(0.01, ge=0, description="weight of a Search Console impression")
    sessions: float = Field(0.5, ge=0, description="weight of a GA4 session")
    leads: float = Field(25.0, ge=0, description="weight of a HubSpot lead (first touch)")
    open_deal_value: float = Field(
        0.01, ge=0, description="weight of one unit of open deal value (first touch)"
    )


class AuditSettings(Section):
    thresholds: dict[str, float] = Field(default_factory=dict)
    disabled: list[str] = Field(default_factory=list)
    impact: ImpactWeights = Field(default_factory=ImpactWeights)
