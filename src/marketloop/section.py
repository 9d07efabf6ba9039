"""Base of every settings section (`[crawl]`, `[audit]`, ...): unknown keys are errors, so a
typo in marketloop.toml or an env variable is reported instead of silently ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)
