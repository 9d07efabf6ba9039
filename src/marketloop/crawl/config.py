"""Settings of the crawler (`[crawl]` in marketloop.toml, `MARKETLOOP_CRAWL_*` in the env)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from marketloop import __version__
from marketloop.section import Section

DEFAULT_USER_AGENT = f"marketloop/{__version__} (+https://github.com/marketloop/marketloop)"
#: `user_agent` may name one of these instead of giving a string
USER_AGENTS = {
    "googlebot-desktop": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "googlebot-smartphone": "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
}


class CrawlSettings(Section):
    max_urls: int = Field(100_000, ge=1, description="stop after this many URLs are fetched")
    max_depth: int | None = Field(None, ge=0, description="link depth limit (start URL is 0)")
    concurrency: int = Field(16, ge=1, le=512, description="requests in flight per host")
    max_rps: float | None = Field(None, gt=0, description="requests per second per host")
    user_agent: str = Field(
        DEFAULT_USER_AGENT,
        description="User-Agent string, or a preset: " + ", ".join(USER_AGENTS),
    )
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="extra request headers (values masked), own hosts only"
    )
    cookies: dict[str, SecretStr] = Field(
        default_factory=dict, description="cookies sent (values masked), own hosts only"
    )
    basic_auth_user: str | None = Field(None, description="HTTP basic auth user, own hosts only")
    basic_auth_password: SecretStr | None = None
    ignore_robots_hosts: list[str] = Field(
        default_factory=list, description="hosts whose robots.txt is ignored: your start host only"
    )
    timeout: float = Field(20.0, gt=0, description="seconds for one whole response")
    connect_timeout: float = Field(10.0, gt=0)
    retries: int = Field(2, ge=0, le=10, description="retries of transient failures")
    backoff: float = Field(0.5, ge=0, description="first retry delay in seconds, doubled each time")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="stop reading a body beyond this (too_large)"
    )
    max_redirects: int = Field(
        20, ge=1, le=100, description="hops of one redirect chain before it is recorded as endless"
    )
    ca_file: Path | None = Field(
        None, description="extra CA certificates (PEM) to trust, e.g. an intranet CA"
    )
    obey_robots: bool = True
    include: list[str] = Field(default_factory=list, description="regexes a URL must match")
    exclude: list[str] = Field(default_factory=list, description="regexes a URL must not match")
    allow_private_networks: bool = Field(
        False,
        description="reach private, loopback or link-local addresses: needed for a start name "
        "that resolves to one (an intranet); a start IP or localhost reaches its own address",
    )
    fetch_images: bool = Field(True, description="fetch internal images for size and status")
    batch_rows: int = Field(
        1_000, ge=1, description="pages buffered before a Parquet part is written"
    )
    parse_workers: int | None = Field(None, ge=0, description="parser processes; default: cores")
    mode: Literal["spider", "list", "sitemap"] = Field(
        "spider",
        description="spider: follow links; list: only the URLs given (--list), depth 0; "
        "sitemap: the start URL and what its sitemaps list (--sitemap-only), no links followed",
    )
    follow_redirects: bool = Field(
        True, description="in list and sitemap mode, fetch the targets of redirects too"
    )

    @field_validator("user_agent")
    @classmethod
    def _preset(cls, value: str) -> str:
        return USER_AGENTS.get(value.strip().lower(), value)

    @field_validator("headers", "cookies")
    @classmethod
    def _tokens(cls, values: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in values.items():
            text = name + value.get_secret_value()
            if not name or any(c in text for c in "\r\n\0") or any(c in name for c in " :;="):
                raise ValueError(
                    f"{name!r}: no line breaks anywhere, and no spaces, ':', ';' or '=' in names"
                )
        return values

    @field_validator("include", "exclude")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
        return patterns
