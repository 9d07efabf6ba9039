"""Settings of publishing: `[notion]` and `[webhooks]` in marketloop.toml.

    [notion]
    database_id = "248104cd-477e-80fd-b757-e945d38000bd"   # token: MARKETLOOP_NOTION_TOKEN
    [notion.properties]                                     # brief field -> Notion column
    owner = "Assignee"
    intent = ""                                             # "" leaves the field out

    [webhooks]
    urls = ["https://hooks.zapier.com/hooks/catch/123/abc/"]  # secret: MARKETLOOP_WEBHOOKS_SECRET

Property types are read from the data source's schema, so `status` may be a status or a select
column and `owner` a people, select or text column without further settings.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from marketloop.section import Section

NOTION_API = "https://api.notion.com"


class NotionProperties(Section):
    """Which Notion column holds which brief field; an empty name leaves that field out."""

    title: str = "Name"
    cluster: str = "Cluster"
    intent: str = "Intent"
    opportunity: str = "Opportunity"
    status: str = "Status"
    owner: str = "Owner"
    marketloop_id: str = "marketloop_id"

    @field_validator("title", "marketloop_id")
    @classmethod
    def _required(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the title and marketloop_id columns cannot be left out")
        return name


class NotionSettings(Section):
    token: SecretStr | None = Field(None, description="internal integration secret (ntn_...)")
    database_id: str | None = Field(None, description="the database briefs are published into")
    data_source_id: str | None = Field(
        None, description="which data source of the database, when it has several"
    )
    base_url: str = Field(NOTION_API, description="API root; a local fake in tests and the demo")
    properties: NotionProperties = NotionProperties()
    status_names: dict[str, str] = Field(
        default_factory=lambda: {"draft": "Draft", "ready": "Ready", "published": "Published"},
        description="brief status -> Notion status/select option",
    )
    rate: float = Field(3.0, gt=0, description="requests per second (Notion allows ~3 on average)")
    burst: int = Field(3, ge=1, description="requests sent back to back before pacing starts")
    timeout: float = Field(30.0, gt=0, description="seconds for one request")
    retries: int = Field(5, ge=0, le=20, description="retries of 429, 5xx and timeouts")
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    max_retry_after: float = Field(120.0, gt=0, description="longest Retry-After honoured")
    create_only: list[str] = Field(
        default_factory=lambda: ["status", "owner"],
        description="brief fields written only when a page is created, so editors own them "
        "afterwards; [] overwrites them on every publish",
    )

    @field_validator("create_only")
    @classmethod
    def _known_fields(cls, names: list[str]) -> list[str]:
        fields = set(NotionProperties.model_fields)
        unknown = sorted(set(names) - fields)
        if unknown:
            raise ValueError(
                f"notion.create_only: unknown field(s) {', '.join(unknown)}; "
                f"choose from {', '.join(sorted(fields - {'marketloop_id'}))}"
            )
        if "marketloop_id" in names:
            raise ValueError("notion.create_only cannot hold marketloop_id (pages are found by it)")
        return names

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, url: str) -> str:
        return https_or_loopback(url, "notion.base_url").rstrip("/")


class WebhookSettings(Section):
    urls: list[str] = Field(default_factory=list, description="where events are POSTed")
    secret: SecretStr | None = Field(
        None, description="Standard Webhooks signing secret: whsec_ + base64 of the key"
    )
    legacy_signature: bool = Field(
        True, description="also send the old X-Marketloop-Signature header (one release)"
    )
    timeout: float = Field(10.0, gt=0, description="seconds for one delivery attempt")
    retries: int = Field(4, ge=0, le=20, description="retries of 429, 5xx and connection errors")
    backoff: float = Field(0.5, ge=0, description="first retry delay in seconds, doubled each time")
    max_retry_after: float = Field(60.0, gt=0, description="longest Retry-After honoured")
    concurrency: int = Field(8, ge=1, le=64, description="deliveries in flight in a batch")
    allow_http: bool = Field(False, description="allow plain http:// to hosts other than loopback")

    @model_validator(mode="after")
    def _safe_urls(self) -> WebhookSettings:
        for url in self.urls:
            check_webhook_url(url, self)
        return self


class NotifySettings(Section):
    """`[notify]`: what every alert on a channel shares."""

    dashboard_url: str | None = Field(
        None,
        description="the dashboard's address as people reach it (https://marketloop.example.com); "
        "alerts link to the run there",
    )

    @field_validator("dashboard_url")
    @classmethod
    def _http_dashboard(cls, url: str | None) -> str | None:
        return None if url is None else _http_url(url, "notify.dashboard_url").rstrip("/")


def check_webhook_url(url: str, settings: WebhookSettings) -> str:
    """A webhook URL that may receive events: http(s), and https unless loopback or allowed."""
    if settings.allow_http:
        return _http_url(url, "webhooks.urls")
    return https_or_loopback(url, "webhooks.urls")


def _http_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{what}: {parts.scheme or 'no'} scheme in a URL; use https://HOST/...")
    return url


def https_or_loopback(url: str, what: str) -> str:
    parts = urlsplit(_http_url(url, what))
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise ValueError(
            f"{what} must use https:// (plain http is only allowed to 127.0.0.1/localhost), "
            "so tokens and payloads are not sent in clear text"
        )
    return url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
