"""Settings of the measure stage's sources and of the warehouse they load into.

    [warehouse]   MARKETLOOP_WAREHOUSE_*   where dlt loads (DuckDB in the workspace by default),
                                           and where quality and keywords read: the one setting
    [google]      MARKETLOOP_GOOGLE_*      a credentials file, ADC, impersonation or an access token
    [ga4]         MARKETLOOP_GA4_*         GA4 Data API: base URL, property, reports
    [gsc]         MARKETLOOP_GSC_*         Search Console: base URL, site, search type
    [hubspot]     MARKETLOOP_HUBSPOT_*     HubSpot CRM v3: base URL, private-app token, properties

Every source takes a base URL so tests and the demo point it at the local fakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from marketloop.errors import ConfigError
from marketloop.section import Section
from marketloop.workspace import Workspace

HubspotObject = Literal["contacts", "companies", "deals"]
HUBSPOT_OBJECTS: tuple[HubspotObject, ...] = ("contacts", "companies", "deals")


class WarehouseSettings(Section):
    destination: str = Field(
        "duckdb",
        description="any dlt destination: duckdb, postgres, bigquery, snowflake, motherduck, ...",
    )
    credentials: SecretStr | None = Field(
        None,
        description="the destination's connection string; duckdb: a file path, relative to "
        "the current directory (default WORKSPACE/warehouse.duckdb)",
    )
    duckdb_memory_limit: str = Field(
        "256MB", description="DuckDB's memory cap during loads; it spills to disk beyond it"
    )

    def duckdb_file(self, workspace: Workspace) -> Path:
        """The DuckDB file every stage uses: `credentials` (a path, or duckdb:///path; relative
        to the current directory), else WORKSPACE/warehouse.duckdb. Absolute, so that ingest and
        its readers agree wherever dlt keeps its pipelines."""
        value = self.credentials.get_secret_value() if self.credentials else ""
        if not value:
            return workspace.warehouse_path.resolve()
        if "://" in value:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                url = make_url(value)
            except ArgumentError:
                url = None
            if url is None or url.drivername != "duckdb":
                raise ConfigError(
                    "warehouse.credentials is a connection string, but the destination is duckdb",
                    hint="set [warehouse] destination to match it, or credentials to a file path",
                )
            value = url.database or ""
        if not value or value.startswith(":"):  # :memory:, :pipeline: hold no shared file
            raise ConfigError(
                "warehouse.credentials names no DuckDB file",
                hint="use a file path such as /data/warehouse.duckdb, or leave it unset for "
                "WORKSPACE/warehouse.duckdb",
            )
        return Path(value).expanduser().resolve()


class HttpSection(Section):
    """What every HTTP source shares: where to call, and how patiently."""

    base_url: str
    timeout: float = Field(60.0, gt=0, description="seconds for one response")
    retries: int = Field(5, ge=0, le=20, description="retries of 429, 5xx and dropped connections")
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    backoff_cap: float = Field(60.0, gt=0, description="longest wait between two attempts")

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        return url.rstrip("/")


class GoogleSettings(Section):
    credentials_file: Path | None = Field(
        None,
        description="a service-account key or authorized-user JSON file; unset: Application "
        "Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server)",
    )
    access_token: SecretStr | None = Field(
        None, description="an OAuth access token, used as it is before any other credential"
    )
    impersonate: str | None = Field(
        None, description="a service account to act as, e.g. sa@project.iam.gserviceaccount.com"
    )
    token_uri: str | None = Field(None, description="overrides the credential's token endpoint")
    iam_endpoint: str = Field(
        "https://iamcredentials.googleapis.com", description="IAM Credentials API (impersonation)"
    )

    @field_validator("impersonate")
    @classmethod
    def _an_email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(
                f"{value!r} is not a service-account email (NAME@PROJECT.iam.gserviceaccount.com)"
            )
        return value


class Ga4Report(Section):
    dimensions: list[str] = Field(min_length=1)
    metrics: list[str] = Field(min_length=1)

    @field_validator("dimensions")
    @classmethod
    def _has_date(cls, dimensions: list[str]) -> list[str]:
        if "date" not in dimensions:
            raise ValueError("a GA4 report needs the `date` dimension (it is loaded by date)")
        return dimensions


DEFAULT_GA4_REPORTS: dict[str, Ga4Report] = {
    "pages": Ga4Report(
        dimensions=["date", "hostName", "pagePath"],
        metrics=[
            "sessions",
            "activeUsers",
            "screenPageViews",
            "keyEvents",
            "engagementRate",
            "totalRevenue",
        ],
    ),
    "traffic_sources": Ga4Report(
        dimensions=["date", "sessionDefaultChannelGroup", "sessionSource", "sessionMedium"],
        metrics=["sessions", "keyEvents"],
    ),
}


class Ga4Settings(HttpSection):
    base_url: str = "https://analyticsdata.googleapis.com"
    property_id: str | None = Field(None, description="default GA4 property for `ingest ga4`")
    reports: dict[str, Ga4Report] = Field(
        default_factory=dict, description="further reports, or overrides of pages/traffic_sources"
    )
    lookback_days: int = Field(3, ge=0, description="days re-read on every run (late data)")
    initial_days: int = Field(90, ge=1, description="days read by the first run")
    page_size: int = Field(10_000, ge=1, le=250_000, description="rows per runReport request")

    def all_reports(self) -> dict[str, Ga4Report]:
        return {**DEFAULT_GA4_REPORTS, **self.reports}


class GscSettings(HttpSection):
    base_url: str = "https://searchconsole.googleapis.com"
    site: str | None = Field(None, description="default property, e.g. sc-domain:example.com")
    search_type: Literal["web", "image", "video", "news", "discover", "googleNews"] = "web"
    data_state: Literal["final", "all"] = "final"
    lookback_days: int = Field(3, ge=0)
    initial_days: int = Field(90, ge=1)
    row_limit: int = Field(25_000, ge=1, le=25_000)


class HubspotSettings(HttpSection):
    base_url: str = "https://api.hubapi.com"
    token: SecretStr | None = Field(None, description="private-app access token")
    objects: list[HubspotObject] = Field(default_factory=lambda: list(HUBSPOT_OBJECTS))
    properties: dict[HubspotObject, list[str]] = Field(
        default_factory=dict, description="further properties to load, per object"
    )
    page_size: int = Field(100, ge=1, le=100, description="records per list request")
    search_page_size: int = Field(200, ge=1, le=200, description="records per search request")
    search_rps: float = Field(4.0, gt=0, description="search requests per second (HubSpot: 5)")
    cursor_overlap_minutes: int = Field(
        10, ge=0, description="re-read records modified this long before the saved cursor"
    )
    archived_every_run: bool = Field(
        True,
        description="list archived records on incremental runs too (search never returns "
        "them); false: only on a full read (first run, --full)",
    )
