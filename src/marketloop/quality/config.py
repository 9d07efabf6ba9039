"""Settings of the quality stage (`[quality]` in marketloop.toml, `MARKETLOOP_QUALITY_*` env).

    [quality]
    anomaly_z = 3.0

    [quality.freshness.hubspot]   # per source: load freshness in hours, data freshness in days
    data_warn_days = 30

The warehouse checked is the one ingest loads: `[warehouse] destination` and `credentials`
(ingest/config.py; see quality/warehouse.py for what quality reads there).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field, field_validator, model_validator

from marketloop.quality.contract import TRACKED_DATASETS
from marketloop.section import Section, moved_to


class Freshness(Section):
    """When a source is stale. Load freshness: hours since dlt's newest successful load into the
    source's dataset. Data freshness: days since the newest date in the data itself."""

    load_warn_hours: int = Field(26, ge=1)
    load_error_hours: int = Field(72, ge=1)
    data_warn_days: int = Field(3, ge=1)
    data_error_days: int = Field(7, ge=1)

    @model_validator(mode="after")
    def _error_after_warn(self) -> Self:
        if self.load_error_hours < self.load_warn_hours:
            raise ValueError("load_error_hours must be at least load_warn_hours")
        if self.data_error_days < self.data_warn_days:
            raise ValueError("data_error_days must be at least data_warn_days")
        return self


#: per-source defaults; a setting overrides single fields and keeps the rest
DEFAULT_FRESHNESS: dict[str, dict[str, int]] = {
    "ga4": {},
    "gsc": {"data_warn_days": 4, "data_error_days": 8},  # Search Console lags 2-3 days
    "hubspot": {"data_warn_days": 14, "data_error_days": 60},  # newest modification
    "crawl": {
        "load_warn_hours": 192,
        "load_error_hours": 720,
        "data_warn_days": 8,
        "data_error_days": 30,
    },
    # files come when someone uploads one: load freshness only (a month, then a quarter)
    "files": {"load_warn_hours": 720, "load_error_hours": 2160},
}


class QualitySettings(Section):
    moved: ClassVar[Mapping[str, str]] = {
        "warehouse_url": moved_to(
            "quality.warehouse_url",
            "warehouse",
            "destination",
            "credentials",
            note="quality checks the warehouse ingest loads, "
            'e.g. destination = "postgres", credentials = "postgresql://user@host:5432/db"',
        ),
        "warehouse_password": moved_to(
            "quality.warehouse_password",
            "warehouse",
            "credentials",
            note="the password is part of the connection string; keep it in the environment",
        ),
    }

    schema_prefix: str = Field(
        "marketloop",
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="dbt builds into <prefix>_staging, <prefix>_intermediate, <prefix>_marts",
    )
    threads: int = Field(2, ge=1, le=16, description="dbt threads")
    profiles_dir: Path | None = Field(
        None,
        description="folder whose profiles.yml holds a `marketloop` dbt profile: needed for a "
        "warehouse other than duckdb or postgres (bigquery, snowflake, ...), unused otherwise",
    )
    lookback_days: int = Field(
        3,
        ge=0,
        le=365,
        description="days before the newest date built that incremental models always rebuild "
        "(besides the dates of every new load)",
    )
    gsc_site_url: str | None = Field(
        None,
        description="Search Console property kept when several report the same search row "
        "(default: the sc-domain: property, else the one with the most impressions)",
    )
    ga4_property_id: str | None = Field(
        None,
        description="GA4 property kept when several report the same page and day "
        "(default: the one with the most sessions)",
    )
    decay_share: float = Field(
        0.3,
        gt=0,
        lt=1,
        description="a page is decaying when its Search Console clicks of the last 28 days fell "
        "by more than this share of the 28 days before",
    )
    decay_min_clicks: int = Field(
        20, ge=1, description="clicks the earlier 28 days need before a fall counts as decay"
    )
    freshness: dict[str, Freshness] = Field(default_factory=dict, validate_default=True)
    anomaly_z: float = Field(
        3.0, gt=0, description="a row count this many standard deviations off is an anomaly"
    )
    anomaly_window: int = Field(14, ge=2, description="previous runs a row count is compared to")
    anomaly_min_history: int = Field(3, ge=2, description="runs needed before anomalies flag")

    @field_validator("freshness", mode="before")
    @classmethod
    def _over_source_defaults(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        known = TRACKED_DATASETS
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown sources {', '.join(unknown)}; known: {', '.join(known)}")
        merged: dict[str, Any] = {}
        for name in known:
            given = value.get(name, {})
            if isinstance(given, Freshness):
                given = given.model_dump(exclude_unset=True)
            merged[name] = (
                {**DEFAULT_FRESHNESS[name], **given} if isinstance(given, Mapping) else given
            )
        return merged
