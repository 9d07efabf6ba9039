"""Settings of the crawler (`[crawl]` in marketloop.toml, `MARKETLOOP_CRAWL_*` in the env)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from marketloop import __version__
from marketloop.section import Section

DEFAULT_USER_AGENT = f"marketloop/{__version__} (+https://github.com/marketloop/marketloop)"


class CrawlSettings(Section):
    max_urls: int = Field(100_000, ge=1, description="stop after this many URLs are fetched")
    max_depth: int | None = Field(None, ge=0, description="link depth limit (start URL is 0)")
    concurrency: int = Field(16, ge=1, le=512, description="requests in flight per host")
    max_rps: float | None = Field(None, gt=0, description="requests per second per host")
    user_agent: str = DEFAULT_USER_AGENT
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

    @field_validator("include", "exclude")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
        return patterns
