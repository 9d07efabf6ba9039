"""Settings of the delivery plan (`[plan]` in marketloop.toml, `MARKETLOOP_PLAN_*` in the env).

A webhook's secret, timeout and retries are `[webhooks]` settings, shared with every other
stage that sends events (see integrations/config.py); only the escalation URL is the plan's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from marketloop.section import Section, moved_to


class PlanSettings(Section):
    moved: ClassVar[Mapping[str, str]] = {
        "webhook_secret": moved_to("plan.webhook_secret", "webhooks", "secret"),
        "webhook_timeout": moved_to("plan.webhook_timeout", "webhooks", "timeout"),
    }

    file: Path | None = Field(None, description="the plan file; default ./plan.yaml")
    notifier: Literal["console", "webhook", "channels"] = Field(
        "console",
        description="where `plan escalations --notify` sends escalations; channels: each on "
        "the plan's own channel (Slack, PagerDuty, email)",
    )
    remind_after_hours: float = Field(
        4.0,
        ge=0,
        description="channels: an escalation still unresolved this long after its last message "
        "is sent again as a reminder (0: never)",
    )
    webhook_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="receiver of escalation webhooks; default: every [webhooks] urls",
    )
