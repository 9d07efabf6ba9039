"""Settings of the delivery plan (`[plan]` in marketloop.toml, `MARKETLOOP_PLAN_*` in the env).

A webhook's secret, timeout and retries are `[webhooks]` settings, shared with every other
stage that sends events (see integrations/config.py); only the escalation URL is the plan's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from marketloop.section import Section

MOVED = {"webhook_secret": "secret", "webhook_timeout": "timeout"}


class PlanSettings(Section):
    file: Path | None = Field(None, description="the plan file; default ./plan.yaml")
    notifier: Literal["console", "webhook"] = Field(
        "console", description="where `plan escalations --notify` sends escalations"
    )
    webhook_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="receiver of escalation webhooks; default: every [webhooks] urls",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        for old, new in MOVED.items():
            if isinstance(data, dict) and old in data:
                raise ValueError(
                    f"plan.{old} moved to webhooks.{new} "
                    f"(MARKETLOOP_WEBHOOKS_{new.upper()}, `{new} = ...` under [webhooks])"
                )
        return data
