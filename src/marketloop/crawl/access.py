"""Getting into a staging site: extra headers, cookies and HTTP basic auth from `[crawl]`,
user-agent presets, and robots.txt overridden for one's own staging host only.

    [crawl]
    user_agent = "googlebot-smartphone"          # a preset name, or any User-Agent string
    basic_auth_user = "preview"
    basic_auth_password = "…"                    # or MARKETLOOP_CRAWL_BASIC_AUTH_PASSWORD
    ignore_robots_hosts = ["staging.example.com"]
    [crawl.headers]
    X-Preview-Token = "…"
    [crawl.cookies]
    session = "…"

Header, cookie and password values are secrets: the manifest and logs show them masked, and
they are sent only to the crawl's own hosts (the start URL's and those its redirects reach),
never to an external link target. `ignore_robots_hosts` must name the start URL's host.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.urls import host_of
from marketloop.errors import ConfigError

Headers = dict[str, str]


def credential_headers(settings: CrawlSettings) -> Headers:
    """The headers that carry the settings' secrets (empty when none are set)."""
    headers = {name: value.get_secret_value() for name, value in settings.headers.items()}
    if settings.cookies:
        headers["Cookie"] = "; ".join(
            f"{name}={value.get_secret_value()}" for name, value in settings.cookies.items()
        )
    if settings.basic_auth_user is not None:
        password = settings.basic_auth_password
        pair = f"{settings.basic_auth_user}:{password.get_secret_value() if password else ''}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return headers


def headers_for(
    settings: CrawlSettings, own_host: Callable[[str], bool]
) -> Callable[[str], Headers]:
    """Per URL, the credential headers to send: only to the crawl's own hosts."""
    secret = credential_headers(settings)

    def for_url(url: str) -> Headers:
        return secret if secret and own_host(url) else {}

    return for_url


def robots_exempt(settings: CrawlSettings, start_url: str) -> frozenset[str]:
    """Hosts whose robots.txt is not obeyed: only the crawl's own start host may be one."""
    hosts = frozenset(h.lower() for h in settings.ignore_robots_hosts)
    foreign = sorted(hosts - {host_of(start_url)})
    if foreign:
        raise ConfigError(
            f"crawl.ignore_robots_hosts names {', '.join(foreign)}, not the start URL's host "
            f"{host_of(start_url)}",
            hint="robots.txt may be overridden only on your own (staging) host",
        )
    return hosts
