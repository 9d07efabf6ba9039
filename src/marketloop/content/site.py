"""What the site offers a brief: its crawled pages, and the pages worth linking to and from.

`load_pages` is the I/O edge (a crawl dataset through DuckDB); the rest are pure functions over
`SitePage` records, so the tests feed them hand-made pages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from marketloop.content.brief import InternalLink
from marketloop.content.text import overlap, tokens
from marketloop.crawl.dataset import CrawlDataset
from marketloop.keywords.model import Cluster

_PAGES_SQL = """
SELECT p.url, coalesce(p.titles[1], '') AS title, coalesce(p.h1[1], '') AS h1,
       coalesce(p.h2, []) AS h2, coalesce(i.followed_inlinks, 0) AS inlinks
FROM pages p LEFT JOIN inlinks i ON i.url = p.url
WHERE p.is_internal AND p.status = 200 AND p.content_type = 'text/html'
  AND coalesce(p.meta_robots, '') NOT LIKE '%noindex%'
  AND (p.canonical IS NULL OR p.canonical = p.url)
ORDER BY p.url
"""


@dataclass(frozen=True)
class SitePage:
    """An indexable HTML page of the site: what it is about and how well it is linked."""

    url: str
    title: str = ""
    h1: str = ""
    h2: tuple[str, ...] = ()
    inlinks: int = 0

    @property
    def topic(self) -> frozenset[str]:
        return tokens(f"{self.title} {self.h1}")

    @property
    def label(self) -> str:
        return (self.h1 or self.title or self.url).strip()


def load_pages(crawl_dir: Path) -> list[SitePage]:
    """The indexable pages of a crawl dataset (200, HTML, not noindex, self-canonical)."""
    rows = CrawlDataset.open(crawl_dir).query(_PAGES_SQL)
    return [
        SitePage(r["url"], r["title"], r["h1"], tuple(r["h2"]), int(r["inlinks"])) for r in rows
    ]


def links_to_add(
    cluster: Cluster,
    pages: Sequence[SitePage],
    cluster_map: Iterable[Cluster],
    *,
    limit: int,
) -> list[InternalLink]:
    """Existing pages the new piece should link to, with a descriptive anchor.

    First pages whose title or H1 covers one of the cluster's keywords (anchor: the keyword),
    then pages serving related clusters of the cluster map (anchor: that cluster's name), then
    pages on an overlapping topic (anchor: their H1). The cluster's own pages are left out; when
    a crawl is known, only crawled pages qualify.
    """
    own = {cluster.page, *cluster.pages} - {None}
    known = {p.url: p for p in pages}
    found: dict[str, InternalLink] = {}

    def add(url: str | None, anchor: str) -> None:
        if url and url not in own and url not in found and (not known or url in known):
            found[url] = InternalLink(anchor=anchor, url=url)

    head = tokens(cluster.cluster)
    for keyword in cluster.keywords:
        need = tokens(keyword)
        if not need - head:
            continue  # the head topic itself: a page serving it competes, it is no link target
        matches = [p for p in pages if need <= p.topic]
        for page in sorted(matches, key=lambda p: (-p.inlinks, p.url))[:1]:
            add(page.url, keyword)
    topic = cluster_topic(cluster)
    for other in related_clusters(cluster, cluster_map):
        add(other.page, other.cluster)
    for page in _ranked(pages, topic, minimum=0.5):
        add(page.url, page.label)
    return list(found.values())[:limit]


def pages_to_link_from(
    cluster: Cluster, pages: Sequence[SitePage], *, limit: int, exclude: Iterable[str] = ()
) -> list[str]:
    """Pages about the head term (half its words or more in their title/H1), ranked by that
    share × link equity (1 + log(1 + followed inlinks))."""
    skip = {cluster.page, *cluster.pages, *exclude} - {None}
    head = tokens(cluster.cluster)
    scored = [
        (len(head & page.topic) / len(head) * (1 + math.log1p(page.inlinks)), page)
        for page in pages
        if head and page.url not in skip and len(head & page.topic) / len(head) >= 0.5
    ]
    return [p.url for _, p in sorted(scored, key=lambda s: (-s[0], s[1].url))][:limit]


def related_clusters(cluster: Cluster, cluster_map: Iterable[Cluster]) -> list[Cluster]:
    """Other clusters sharing words with this one, closest first (name breaks ties)."""
    topic = tokens(cluster.cluster)
    scored = [
        (overlap(topic, tokens(other.cluster)), other)
        for other in cluster_map
        if other.cluster != cluster.cluster
    ]
    return [c for score, c in sorted(scored, key=lambda s: (-s[0], s[1].cluster)) if score > 0]


def cluster_topic(cluster: Cluster) -> frozenset[str]:
    return frozenset().union(*(tokens(k) for k in [cluster.cluster, *cluster.keywords]))


def _ranked(pages: Iterable[SitePage], topic: frozenset[str], *, minimum: float) -> list[SitePage]:
    scored = [(overlap(topic, page.topic), page) for page in pages]
    kept = [(s * (1 + math.log1p(p.inlinks)), p) for s, p in scored if s >= minimum]
    return [p for _, p in sorted(kept, key=lambda item: (-item[0], item[1].url))]
