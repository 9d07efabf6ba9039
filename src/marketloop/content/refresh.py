"""Decaying pages become update briefs: `briefs generate` adds, for every page whose Search
Console clicks fell (quality's `content_decay` mart, read by `quality.outcomes.decaying_pages`),
a `covered` cluster of the page's top queries with the page as its target, so the brief's action
is `update` and its `target_url` the existing URL (content/coverage.py). A page that a cluster
already serves gets no second brief: that cluster's brief is its update (or consolidation).
`with_decaying` is pure; `add_decaying` reads the pages from the warehouse first (what
`briefs generate` and the runner's briefs step call).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from marketloop.config import Settings
from marketloop.keywords.model import Cluster
from marketloop.quality.outcomes import DecayingPage, decaying_pages


def add_decaying(
    settings: Settings, clusters: Sequence[Cluster]
) -> tuple[list[Cluster], list[DecayingPage]]:
    """`with_decaying` over the decaying pages of the last `quality run` (none without one)."""
    return with_decaying(clusters, decaying_pages(settings))


def with_decaying(
    clusters: Sequence[Cluster], decaying: Sequence[DecayingPage]
) -> tuple[list[Cluster], list[DecayingPage]]:
    """`clusters` plus one update cluster per decaying page no cluster serves; also returns the
    decaying pages that got a cluster of their own."""
    served = {_key(url) for c in clusters for url in [c.page, *c.pages] if url}
    out, added = list(clusters), []
    for page in decaying:
        if _key(page.url) in served:
            continue
        served.add(_key(page.url))
        keywords = list(dict.fromkeys(page.queries)) or [_topic(page.url)]
        out.append(
            Cluster(
                cluster=keywords[0],
                keywords=keywords,
                page=page.url,
                pages=[page.url],
                status="covered",
            )
        )
        added.append(page)
    return out, added


def _key(url: str) -> str:
    """Host without `www.` and path without trailing slash, lower-cased host: enough to tell
    whether a cluster's crawl URL and a Search Console page are the same page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/') or '/'}"


def _topic(url: str) -> str:
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return slug.replace("-", " ").replace("_", " ") or "home page"


def serving(clusters: Sequence[Cluster], decaying: Sequence[DecayingPage]) -> list[Cluster]:
    """The clusters whose briefs refresh a decaying page (theirs, or one added for it)."""
    keys = {_key(page.url) for page in decaying}
    return [c for c in clusters if any(_key(u) in keys for u in [c.page, *c.pages] if u)]
