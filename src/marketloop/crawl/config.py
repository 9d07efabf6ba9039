"""Settings of the crawler (`[crawl]` in marketloop.toml, `MARKETLOOP_CRAWL_*` in the env)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from marketloop import __version__
from marketloop.crawl.records import ExtractRule, RewriteRules
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


class ExtractSettings(Section):
    """One custom extraction rule: `[[crawl.extract]]` (see crawl/custom.py)."""

    name: str = Field(description="the rule's name: letters, digits, _ and -; unique")
    css: str | None = Field(None, description="CSS selector (selectolax); optional with a regex")
    xpath: str | None = Field(
        None, description="instead of css: an XPath 1.0 expression (lxml); optional with a regex"
    )
    attribute: str | None = Field(None, description="take this attribute instead of the text")
    regex: str | None = Field(
        None, description="regex over each value (or the raw HTML alone); group 1 if any"
    )
    mode: Literal["first", "all", "count"] = Field(
        "first", description="first value, all values, or only how many"
    )

    @model_validator(mode="after")
    def _runs(self) -> ExtractSettings:
        from marketloop.crawl.custom import check_rule  # selectolax, lxml: only with rules

        check_rule(self.record())
        return self

    def record(self) -> ExtractRule:
        return ExtractRule(self.name, self.css, self.attribute, self.regex, self.mode, self.xpath)


class ReplaceSettings(Section):
    """One regex replace rule of URL rewriting: `[[crawl.rewrite.replace]]`."""

    pattern: str = Field(description="regex over the whole URL")
    replacement: str = Field("", description=r"replacement (\1 or \g<name> for groups)")

    @model_validator(mode="after")
    def _compiles(self) -> ReplaceSettings:
        from marketloop.crawl import patterns  # regex: only with rules

        try:
            error = patterns.template_error(patterns.compiled(self.pattern), self.replacement)
        except patterns.Error as exc:
            error = str(exc)
        if error is not None:
            raise ValueError(f"rewrite rule {self.pattern!r} -> {self.replacement!r}: {error}")
        return self


class RewriteSettings(Section):
    """URL rewriting of discovered URLs: `[crawl.rewrite]` (see crawl/rewrite.py)."""

    remove_params: list[str] = Field(
        default_factory=list, description="query parameters to drop: names or globs (utm_*)"
    )
    replace: list[ReplaceSettings] = Field(
        default_factory=list, description="regex replace rules over the URL, in order"
    )
    lowercase: bool = Field(False, description="lower-case the whole URL (after the rules)")

    @field_validator("remove_params")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name.strip() or any(c in name for c in "&=#\r\n\0"):
                raise ValueError(f"remove_params: {name!r} is not a parameter name or glob")
        return names

    def record(self) -> RewriteRules | None:
        if not (self.remove_params or self.replace or self.lowercase):
            return None
        pairs = tuple((r.pattern, r.replacement) for r in self.replace)
        return RewriteRules(tuple(self.remove_params), pairs, self.lowercase)


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
    render: Literal["none", "js"] = Field(
        "none", description="js: render HTML pages in Chromium (Playwright) before parsing"
    )
    render_pages: int = Field(2, ge=1, le=32, description="browser pages rendering at once")
    render_timeout: float = Field(
        20.0, gt=0, description="seconds a page may take to reach render_wait"
    )
    render_wait: Literal["load", "domcontentloaded", "networkidle", "commit"] = Field(
        "networkidle", description="the browser event a rendered page waits for"
    )
    render_block_third_party: bool = Field(
        True, description="block a rendered page's requests to other hosts (recorded)"
    )
    chromium_path: Path = Field(
        Path("/usr/bin/chromium"), description="the system Chromium (never a downloaded one)"
    )
    extract: list[ExtractSettings] = Field(
        default_factory=list, description="custom extraction rules ([[crawl.extract]])"
    )
    rewrite: RewriteSettings = Field(
        default_factory=RewriteSettings, description="URL rewriting ([crawl.rewrite])"
    )

    @field_validator("extract")
    @classmethod
    def _unique_names(cls, rules: list[ExtractSettings]) -> list[ExtractSettings]:
        names = [rule.name for rule in rules]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"extract rule names must be unique: {', '.join(twice)} repeated")
        return rules

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
        return compiled_patterns(patterns)


def compiled_patterns(expressions: list[str]) -> list[str]:
    """`expressions` if each compiles as a regex (include/exclude, run by `crawl/patterns.py`);
    else a ValueError naming it."""
    from marketloop.crawl import patterns  # regex: only with patterns

    for expression in expressions:
        try:
            patterns.compiled(expression)
        except patterns.Error as exc:
            raise ValueError(f"invalid regex {expression!r}: {exc}") from None
    return expressions
