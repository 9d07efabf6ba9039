"""Base of every settings section (`[crawl]`, `[audit]`, ...): unknown keys are errors, so a
typo in marketloop.toml or an env variable is reported instead of silently ignored.

A setting that moved to another section is listed in the old section's `moved` (built with
`moved_to`), so a leftover in a user's file stops start-up with where the setting lives now:

    moved = {"webhook_secret": moved_to("plan.webhook_secret", "webhooks", "secret")}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    #: keys that moved out of this section -> the message naming where they live now
    moved: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _stop_at_moved(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key, message in cls.moved.items():
                if key in data:
                    raise ValueError(message)
        return data


def moved_to(old: str, section: str, *fields: str, note: str = "") -> str:
    """The message a moved setting stops with: `plan.webhook_secret moved to webhooks.secret
    (MARKETLOOP_WEBHOOKS_SECRET, `secret = ...` under [webhooks])`, plus an optional note."""
    new = " and ".join(f"{section}.{field}" for field in fields)
    env = ", ".join(f"MARKETLOOP_{section.upper()}_{field.upper()}" for field in fields)
    toml = ", ".join(f"`{field} = ...`" for field in fields)
    message = f"{old} moved to {new} ({env}, {toml} under [{section}])"
    return f"{message}; {note}" if note else message
