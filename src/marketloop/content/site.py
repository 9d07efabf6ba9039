"""What the site offers a brief: its crawled pages, and the pages worth linking to and from.

`load_pages` is the I/O edge (a crawl dataset through DuckDB); the rest are pure functions over
`SitePage` records, so the tests feed them hand-made pages.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from marketloop.content.brief import InternalLink
from marketloop.content.text import overlap, tokens
from marketloop.crawl.dataset import CrawlDataset
from marketloop.keywords.model import Cluster

T = TypeVar("T")

_PAGES_SQL = """
SELECT p.url, coalesce(p.titles[1], '') AS title, coalesce(p.h1[1], '') AS h1,
       coalesce(p.h2, []) AS h2, coalesce(i.followed_inlinks, 0) AS inlinks,
       coalesce(p.lang, '') AS lang
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
    lang: str = ""  # <html lang>, e.g. "en-US"; empty when the page does not say

    @property
    def language(self) -> str:
        """The primary language subtag: 'en-US' -> 'en' ('' when unknown)."""
        return self.lang.split("-")[0].split("_")[0].strip().lower()

    @property
    def is_home(self) -> bool:
        return urlsplit(self.url).path in ("", "/")

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
        SitePage(r["url"], r["title"], r["h1"], tuple(r["h2"]), int(r["inlinks"]), r["lang"])
        for r in rows
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

    def idf(self, word: str) -> float:
        """Rarity of a word among the items (smoothed): a word on every page weighs about 1."""
        return math.log((1 + len(self.items)) / (1 + len(self._postings.get(word, ())))) + 1

    def weight(self, words: Iterable[str]) -> float:
        return sum(self.idf(w) for w in words)

    def rarest(self, words: Iterable[str]) -> str | None:
        """The word held by the fewest items (ties: alphabetical); None for no words."""
        return min(words, key=lambda w: (len(self._postings.get(w, ())), w), default=None)

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
    then pages serving related clusters (anchor: that cluster's name), then pages about the
    head term (`_about_head`; anchor: their H1 or title, since the match may be partial).
    The cluster's own pages and pages in another language are left out; when a crawl is known,
    only crawled pages qualify.
    """
    own = {cluster.page, *cluster.pages} - {None}
    language = site_language(cluster, site)
    known = {p.url: p for p in site.items}
    found: dict[str, InternalLink] = {}

    def add(url: str | None, anchor: str) -> None:
        if not url or url in own or url in found or (known and url not in known):
            return
        if url in known and not _same_language(known[url], language):
            return
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
    for page in _about_head(site, head):
        add(page.url, page.label)
    return list(found.values())[:limit]


def pages_to_link_from(
    cluster: Cluster, site: TopicIndex[SitePage], *, limit: int, exclude: Iterable[str] = ()
) -> list[str]:
    """Pages about the head term, ranked by how much of it they hold × link equity
    (1 + log(1 + followed inlinks)).

    "About" = the page's title/H1 holds the head's rarest word on the site and at least half
    of the head's words weighted by rarity (IDF), so one common word ("software", "guide")
    is not enough. The homepage (it links everywhere already) and pages in another language
    are left out."""
    skip = {cluster.page, *cluster.pages, *exclude} - {None}
    language = site_language(cluster, site)
    kept = [
        page
        for page in _about_head(site, tokens(cluster.cluster))
        if page.url not in skip and not page.is_home and _same_language(page, language)
    ]
    return [p.url for p in kept][:limit]


def related_clusters(cluster: Cluster, index: TopicIndex[Cluster]) -> list[Cluster]:
    """Other clusters sharing a not-too-common word with this one, closest first."""
    topic = tokens(cluster.cluster)
    common = max(3, len(index) // 10)  # a word in more clusters than this relates nothing
    scored = [
        (overlap(topic, index.topics[i]), index.items[i])
        for i in index.sharing(topic, common=common)
        if index.items[i].cluster != cluster.cluster
    ]
    return [c for score, c in sorted(scored, key=lambda s: (-s[0], s[1].cluster)) if score > 0]


def site_language(cluster: Cluster, site: TopicIndex[SitePage]) -> str:
    """The language of the piece: its own page's when crawled, else the site's most common."""
    by_url = {p.url: p.language for p in site.items}
    own = by_url.get(cluster.page or "")
    if own:
        return own
    counts = Counter(p.language for p in site.items if p.language)
    return min(counts, key=lambda lang: (-counts[lang], lang)) if counts else ""


def _same_language(page: SitePage, language: str) -> bool:
    return not language or not page.language or page.language == language


def _about_head(site: TopicIndex[SitePage], head: frozenset[str]) -> list[SitePage]:
    """Pages whose title/H1 holds the head's rarest word on the site and at least half of the
    head's words weighted by rarity (IDF), best first: share × (1 + log(1 + inlinks))."""
    rarest, total = site.rarest(head), site.weight(head)
    scored = []
    for i in site.sharing(head):
        share = site.weight(head & site.topics[i]) / total
        if share >= 0.5 and rarest in site.topics[i]:
            page = site.items[i]
            scored.append((share * (1 + math.log1p(page.inlinks)), page))
    return [p for _, p in sorted(scored, key=lambda item: (-item[0], item[1].url))]
