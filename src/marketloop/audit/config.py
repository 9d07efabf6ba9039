"""Settings of the auditor (`[audit]` in marketloop.toml).

`thresholds` overrides a check's default threshold by check id, e.g.
`[audit.thresholds] slow_response = 2.0`; `disabled` switches checks off by id.
"""

from __future__ import annotations

from pydantic import Field

from marketloop.section import Section


class AuditSettings(Section):
    thresholds: dict[str, float] = Field(default_factory=dict)
    disabled: list[str] = Field(default_factory=list)
