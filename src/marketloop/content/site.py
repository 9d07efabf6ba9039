"""What the site offers a brief: its crawled pages, and the pages worth linking to and from.

`load_pages` is the I/O edge (a crawl dataset through DuckDB); the rest are pure functions over
`SitePage` records, so the tests feed them hand-made pages.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar

from marketloop.content.brief import InternalLink
from marketloop.content.text import overlap, tokens
from marketloop.crawl.dataset import CrawlDataset
from marketloop.keywords.model import Cluster

T = TypeVar("T")

_PAGES_SQL = """
SELECT p.url, coalesce(p.titles[1], '') AS title, coalesce(p.h1[1], '') AS h1,
       coalesce(p.h2, []) AS h2, coalesce(i.followed_inlinks, 0) AS inlinks
FROM indexable_pages p LEFT JOIN inlinks i ON i.url = p.url
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

    @cached_property
    def topic(self) -> frozenset[str]:
        return tokens(f"{self.title} {self.h1}")

    @property
    def label(self) -> str:
        return (self.h1 or self.title or self.url).strip()


def load_pages(crawl_dir: Path) -> list[SitePage]:
    """The indexable pages of a crawl dataset: its `indexable_pages` view (see crawl/dataset.py:
    internal, 200, HTML, not robots-blocked, parsed, no noindex, canonical absent or itself)."""
    rows = CrawlDataset.open(crawl_dir).query(_PAGES_SQL)
    return [
        SitePage(r["url"], r["title"], r["h1"], tuple(r["h2"]), int(r["inlinks"])) for r in rows
    ]


class TopicIndex(Generic[T]):
    """Items by the words of their topic (an inverted index), so a query looks only at the
    items that share a word with it instead of at every item."""

    def __init__(self, items: Iterable[T], topic: Callable[[T], frozenset[str]]) -> None:
        self.items = list(items)
        self.topics = [topic(item) for item in self.items]
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, words in enumerate(self.topics):
            for word in words:
                self._postings[word].append(i)

    def __len__(self) -> int:
        return len(self.items)

    def sharing(self, query: frozenset[str], *, common: int | None = None) -> list[int]:
        """Items sharing at least one word with `query`; words held by more than `common`
        items are too common to relate anything and are ignored."""
        found: set[int] = set()
        for word in query:
            posting = self._postings.get(word, [])
            if common is None or len(posting) <= common:
                found.update(posting)
        return sorted(found)

    def covering(self, need: frozenset[str]) -> list[int]:
        """Items whose topic holds every word of `need`."""
        postings = sorted((self._postings.get(w, []) for w in need), key=len)
        if not postings:
            return []
        found = set(postings[0]).intersection(*postings[1:])
        return sorted(found)


def site_index(pages: Iterable[SitePage]) -> TopicIndex[SitePage]:
    return TopicIndex(pages, lambda page: page.topic)


def cluster_index(clusters: Iterable[Cluster]) -> TopicIndex[Cluster]:
    return TopicIndex(clusters, lambda cluster: tokens(cluster.cluster))


def links_to_add(
    cluster: Cluster,
    site: TopicIndex[SitePage],
    related: Sequence[Cluster],
    *,
    limit: int,
) -> list[InternalLink]:
    """Existing pages the new piece should link to, with a descriptive anchor.

    First pages whose title or H1 covers one of the cluster's keywords (anchor: the keyword),
    then pages serving related clusters (anchor: that cluster's name), then pages on an
    overlapping topic (anchor: their H1). The cluster's own pages are left out; when a crawl is
    known, only crawled pages qualify.
    """
    own = {cluster.page, *cluster.pages} - {None}
    known = {p.url for p in site.items}
    found: dict[str, InternalLink] = {}

    def add(url: str | None, anchor: str) -> None:
        if url and url not in own and url not in found and (not known or url in known):
            found[url] = InternalLink(anchor=anchor, url=url)

    head = tokens(cluster.cluster)
    for keyword in cluster.keywords:
        need = tokens(keyword)
        if not need - head:
            continue  # the head topic itself: a page serving it competes, it is no link target
        matches = [site.items[i] for i in site.covering(need)]
        for page in sorted(matches, key=lambda p: (-p.inlinks, p.url))[:1]:
            add(page.url, keyword)
    for other in related:
        add(other.page, other.cluster)
    for page in _ranked(site, cluster_topic(cluster), minimum=0.5):
        add(page.url, page.label)
    return list(found.values())[:limit]


def pages_to_link_from(
    cluster: Cluster, site: TopicIndex[SitePage], *, limit: int, exclude: Iterable[str] = ()
) -> list[str]:
    """Pages about the head term (half its words or more in their title/H1), ranked by that
    share × link equity (1 + log(1 + followed inlinks))."""
    skip = {cluster.page, *cluster.pages, *exclude} - {None}
    head = tokens(cluster.cluster)
    scored = []
    for i in site.sharing(head):
        page, share = site.items[i], len(head & site.topics[i]) / len(head)
        if share >= 0.5 and page.url not in skip:
            scored.append((share * (1 + math.log1p(page.inlinks)), page))
    return [p.url for _, p in sorted(scored, key=lambda s: (-s[0], s[1].url))][:limit]


def related_clusters(cluster: Cluster, index: TopicIndex[Cluster]) -> list[Cluster]:
    """Other clusters sharing a not-too-common word with this one, closest first."""
    topic = tokens(cluster.cluster)
    common = max(20, len(index) // 10)
    scored = [
        (overlap(topic, index.topics[i]), index.items[i])
        for i in index.sharing(topic, common=common)
        if index.items[i].cluster != cluster.cluster
    ]
    return [c for score, c in sorted(scored, key=lambda s: (-s[0], s[1].cluster)) if score > 0]


def cluster_topic(cluster: Cluster) -> frozenset[str]:
    return frozenset().union(*(tokens(k) for k in [cluster.cluster, *cluster.keywords]))


def _ranked(site: TopicIndex[SitePage], topic: frozenset[str], *, minimum: float) -> list[SitePage]:
    kept = []
    for i in site.sharing(topic):
        score = overlap(topic, site.topics[i])
        if score >= minimum:
            page = site.items[i]
            kept.append((score * (1 + math.log1p(page.inlinks)), page))
    return [p for _, p in sorted(kept, key=lambda item: (-item[0], item[1].url))]
