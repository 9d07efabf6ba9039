"""Which page of the site serves each cluster: coverage, content gaps and cannibalisation.

Evidence, strongest first, per cluster:

1. Search Console: impressions per (query, page) for the cluster's keywords. The page with the
   most impressions serves the cluster; two or more pages each holding ≥ `share` of the
   cluster's impressions are cannibalising each other.
2. The keyword file's own `url` column (the site's ranking URL), weighted by volume, same rules;
   only URLs with a `position` (they rank) can split a cluster, a bare URL only covers it.
3. The crawl: HTML pages (indexable or not, see `crawl_pages`) whose title or H1 contains the
   cluster's words (≥ `title_match` of them). The best match covers the cluster; the others
   are listed as candidates (`pages`) but never make it `cannibalised`: cannibalisation is
   pages splitting impressions, and a title says nothing about what ranks.

A cluster with no evidence is a content gap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from marketloop.crawl.dataset import CrawlDataset
from marketloop.keywords.model import Cluster, CoverageStatus
from marketloop.keywords.reader import normalise
from marketloop.keywords.search_console import SearchData

Source = Literal["search console", "keyword file", "crawl", "none"]
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "best",
        "buy",
        "by",
        "can",
        "do",
        "does",
        "for",
        "free",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "top",
        "vs",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "your",
        "you",
    ]
)


@dataclass(frozen=True)
class PageText:
    url: str
    words: frozenset[str]  # content words of the page's titles and H1s


@dataclass
class Coverage:
    status: CoverageStatus
    source: Source
    pages: list[tuple[str, float]] = field(default_factory=list)  # (url, share), best first


def words(text: str) -> frozenset[str]:
    """Content words, lower case, plural 's' dropped: 'The Lead Tools' -> lead tool."""
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    return frozenset(_stem(t) for t in tokens if t not in STOPWORDS)


def crawl_pages(folder: Path) -> list[PageText]:
    """The crawl's HTML pages (its `html_pages` view: internal, 200, HTML, parsed), with their
    title and H1 words.

    Deliberately looser than `indexable_pages`: a noindex or canonicalised page still serves the
    people who reach it, so it still covers (or cannibalises) a topic; its `indexability` says
    which it is. See crawl/dataset.py for the shared definitions.
    """
    rows = CrawlDataset.open(folder).query("SELECT url, titles, h1 FROM html_pages ORDER BY url")
    return [
        PageText(row["url"], words(" ".join([*(row["titles"] or []), *(row["h1"] or [])])))
        for row in rows
    ]


def map_clusters(
    clusters: Sequence[Cluster],
    *,
    search: SearchData | None,
    pages: Sequence[PageText] | None,
    share: float,
    title_match: float,
) -> list[Coverage]:
    """Fill each cluster's page/pages/status (in place) and return the evidence behind it."""
    index = _index(pages or [])
    coverage = []
    for cluster in clusters:
        found = (
            _by_impressions(_gsc_weights(cluster, search), None, share, "search console")
            or _by_impressions(*_file_weights(cluster), share, "keyword file")
            or _by_title(cluster, pages or [], index, title_match)
        )
        cluster.pages = [url for url, _ in found.pages]
        cluster.page = cluster.pages[0] if cluster.pages else None
        cluster.status = found.status
        coverage.append(found)
    return coverage


def _gsc_weights(cluster: Cluster, search: SearchData | None) -> dict[str, float]:
    weights: dict[str, float] = defaultdict(float)
    if search is None:
        return weights
    for keyword in cluster.keywords:
        for page, impressions in search.pages.get(normalise(keyword), {}).items():
            weights[page] += impressions
    return weights


def _file_weights(cluster: Cluster) -> tuple[dict[str, float], set[str]]:
    """Volume per URL of the keyword file, and the URLs that rank (have a position)."""
    weights: dict[str, float] = defaultdict(float)
    ranking: set[str] = set()
    for member in cluster.members:
        if member.url:
            weights[member.url] += max(member.volume, 1)
            if member.position is not None:
                ranking.add(member.url)
    return weights, ranking


def _by_impressions(
    weights: dict[str, float],
    ranking: set[str] | None,
    share: float,
    source: Source,
) -> Coverage | None:
    """Coverage by share of `weights`; only `ranking` URLs (None: all) can split the cluster."""
    total = sum(weights.values())
    if total <= 0:
        return None
    ranked = sorted(((url, w / total) for url, w in weights.items()), key=lambda p: (-p[1], p[0]))
    material = [url for url, s in ranked if s >= share and (ranking is None or url in ranking)]
    status: CoverageStatus = "cannibalised" if len(material) >= 2 else "covered"
    return Coverage(status, source, [(url, round(s, 3)) for url, s in ranked])


def _by_title(
    cluster: Cluster, pages: Sequence[PageText], index: dict[str, list[int]], threshold: float
) -> Coverage:
    wanted = [words(k) for k in _leading_keywords(cluster)]
    candidates = sorted({i for w in wanted for token in w for i in index.get(token, [])})
    matches = []
    for i in candidates:
        score = max((len(w & pages[i].words) / len(w) for w in wanted if w), default=0.0)
        if score >= threshold:
            matches.append((pages[i].url, round(score, 3)))
    if not matches:
        return Coverage("gap", "none")
    matches.sort(key=lambda p: (-p[1], p[0]))
    return Coverage("covered", "crawl", matches)  # more than one: candidates, not evidence


def _leading_keywords(cluster: Cluster, count: int = 3) -> list[str]:
    """The cluster's name and its next highest-volume keywords."""
    ranked = sorted(cluster.members, key=lambda m: -m.volume)
    names = [cluster.cluster, *(m.keyword for m in ranked if m.keyword != cluster.cluster)]
    return names[:count]


def _index(pages: Iterable[PageText]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    for i, page in enumerate(pages):
        for token in page.words:
            index[token].append(i)
    return index


def _stem(token: str) -> str:
    plural = len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is", "as"))
    return token[:-1] if plural else token
