"""Settings of the auditor (`[audit]` in marketloop.toml).

`thresholds` overrides a check's default threshold by check id, e.g.
`[audit.thresholds] slow_response = 2.0`; `disabled` switches checks off by id; `custom`
adds checks of one's own in SQL (`[[audit.custom]]`, see custom.py).
`memory_limit` caps DuckDB's memory; beyond it, sorts and joins spill to a temporary folder
in `spill_dir` (default: beside the crawl folders in the workspace), removed afterwards.
`[audit.impact]` weighs a ticket's URLs by their analytics (see impact.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator

from marketloop.audit.custom import CustomCheck
from marketloop.section import Section

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
#: bytes per unit, as DuckDB reads them (KB, MB, GB: powers of 1000)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def size_bytes(value: str) -> int:
    """A size such as '512MB' or '1.5GiB' (a valid `memory_limit`) in bytes."""
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a size such as '512MB' or '2GB'")
    return int(float(match[1]) * _UNITS[match[2].lower()])


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
    custom: list[CustomCheck] = Field(
        default_factory=list, description="checks of your own in SQL ([[audit.custom]])"
    )
    memory_limit: str = Field(
        "1GB", description="DuckDB memory cap (e.g. '512MB', '2GB'); beyond it queries spill"
    )
    spill_dir: Path | None = Field(
        None, description="where DuckDB spills; default: the folder holding the crawl folder"
    )

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.match(value):
            raise ValueError(f"{value!r} is not a size such as '512MB' or '2GB'")
        return value.strip()

    impact: ImpactWeights = Field(default_factory=ImpactWeights)
