"""Settings of the delivery plan (`[plan]` in marketloop.toml, `MARKETLOOP_PLAN_*` in the env)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from marketloop.section import Section


class PlanSettings(Section):
    file: Path | None = Field(None, description="the plan file; default ./plan.yaml")
    notifier: Literal["console", "webhook"] = Field(
        "console", description="where `plan escalations --notify` sends escalations"
    )
    webhook_url: str | None = Field(
        None, pattern=r"^https?://", description="receiver of signed escalation webhooks"
    )
    webhook_secret: SecretStr | None = Field(None, description="HMAC secret shared with it")
    webhook_timeout: float = Field(10.0, gt=0, description="seconds for one delivery")
