"""What enters the frontier: the crawl's scope (decisions only: no I/O but a warning line).

Internal hosts (the start URL's host, plus the hosts its own redirects lead to: http → https,
apex → www), `--include`/`--exclude`, `--max-depth`, `fetch_images`, and redirect chains
(a chain that comes back to one of its URLs is a loop; one longer than `max_redirects` is
endless). Each decision returns the `(url, depth, found_via, chain)` items to add.

The include/exclude regexes run with a time limit (`crawl/patterns.py`): a rule that runs out
of time on a URL (catastrophic backtracking) leaves that URL out of the crawl, include and
exclude alike (a URL the user meant to exclude is never fetched because its rule was too slow),
and says so in one warning line naming the rule and the URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import structlog

from marketloop.crawl import patterns
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.frontier import Entry
from marketloop.crawl.urls import host_of

Found = tuple[str, int | None, str, tuple[str, ...]]
log = structlog.get_logger("marketloop.crawl")
CACHE = 1 << 14


class Scope:
    def __init__(self, start_url: str, settings: CrawlSettings, seeds: Iterable[str] = ()) -> None:
        self.start_url = start_url
        self.settings = settings
        self.internal_hosts = frozenset({host_of(start_url), *map(host_of, seeds)})
        self._include = [("crawl.include", p, patterns.compiled(p)) for p in settings.include]
        self._exclude = [("crawl.exclude", p, patterns.compiled(p)) for p in settings.exclude]
        self._wanted = lru_cache(maxsize=CACHE)(self._decide)  # site-wide links repeat

    def is_internal(self, url: str) -> bool:
        return host_of(url) in self.internal_hosts

    def wanted(self, url: str) -> bool:
        """--include / --exclude: whether a discovered URL enters the frontier (not when a rule
        runs out of time on it: warned once, the answer is remembered)."""
        return self._wanted(url)

    def _decide(self, url: str) -> bool:
        included = not self._include or _matches(self._include, url)
        return included is True and _matches(self._exclude, url) is False

    def from_page(self, entry: Entry, discovered: Iterable[tuple[str, str]]) -> list[Found]:
        """The internal URLs a parsed page names (links, canonical, hreflang, images); none
        in list and sitemap mode, which crawl exactly the URLs given or listed."""
        if self.settings.mode != "spider":
            return []
        depth = None if entry.depth is None else entry.depth + 1
        max_depth = self.settings.max_depth
        if max_depth is not None and (depth is None or depth > max_depth):
            return []
        filtered = self._include or self._exclude
        return [
            (url, depth, via, ())
            for url, via in discovered
            if (via != "image" or self.settings.fetch_images) and (not filtered or self.wanted(url))
        ]

    def from_redirect(self, entry: Entry, target: str | None) -> tuple[list[Found], str | None]:
        """The next hop of a redirect chain, or the error that ends the chain."""
        if target is not None and self._starts_chain(entry):
            self.internal_hosts = self.internal_hosts | {host_of(target)}
        chain = (*entry.chain, entry.url)
        if target is None or not self.is_internal(target):
            return [], None
        if self.settings.mode != "spider" and not self.settings.follow_redirects:
            return [], None
        if target in chain:
            return [], "redirect_loop"
        if len(chain) >= self.settings.max_redirects:
            return [], "too_many_redirects"
        return [(target, entry.depth, "redirect", chain)], None

    def _starts_chain(self, entry: Entry) -> bool:
        return entry.via in ("start", "list") or (
            entry.via == "redirect" and entry.chain[:1] == (self.start_url,)
        )


def _matches(rules: list[tuple[str, str, Any]], url: str) -> bool | None:
    """Whether one of `rules` matches `url`; None (logged) when one runs out of time on it."""
    for setting, expression, pattern in rules:
        try:
            if pattern.search(url, timeout=patterns.URL_SECONDS) is not None:
                return True
        except TimeoutError:
            log.warning(
                f"{setting} {expression!r}: the regex ran over {patterns.URL_SECONDS:g} s on this"
                " URL (catastrophic backtracking?); the URL is left out of the crawl",
                url=patterns.shown(url),
            )
            return None
    return False
