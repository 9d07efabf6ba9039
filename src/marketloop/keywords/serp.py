"""SERP clustering: keywords that share enough of their top-N result URLs belong together.

Google shows the same pages for queries it considers one topic, so shared URLs are the best
evidence two keywords can be served by one page. Candidate pairs come from an inverted index
(keyword × URL incidence matrix, multiplied by its transpose one block of rows at a time), so
only keywords that share at least one URL are ever compared: never an N×N matrix.

Strictness decides how the "shares ≥ min_shared" graph becomes clusters:

    soft      each keyword is compared with the cluster's highest-volume keyword only
    moderate  connected components of the graph
    hard      every pair in a cluster shares ≥ min_shared (greedy cliques, by volume)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from marketloop.keywords.config import Strictness

OnProgress = Callable[[int, int], None]


def serp_clusters(
    keywords: Sequence[str],
    volumes: NDArray[np.int64],
    serps: Mapping[str, Sequence[str]],
    *,
    min_shared: int,
    strictness: Strictness,
    on_progress: OnProgress | None = None,
) -> NDArray[np.int64]:
    """A label per keyword (the row index of one member); keywords with no SERP stand alone."""
    graph = shared_url_graph(keywords, serps, min_shared=min_shared, on_progress=on_progress)
    if strictness == "moderate":
        _, labels = connected_components(graph, directed=False)
        return _first_member_labels(labels.astype(np.int64))
    order = np.argsort(-volumes, kind="stable")
    if strictness == "soft":
        return _soft(graph, order)
    return _hard(graph, order)


def shared_url_graph(
    keywords: Sequence[str],
    serps: Mapping[str, Sequence[str]],
    *,
    min_shared: int,
    block: int = 4096,
    on_progress: OnProgress | None = None,
) -> sp.csr_matrix:
    """Symmetric graph: entry (i, j) = URLs keywords i and j share, kept when ≥ `min_shared`."""
    incidence = _incidence(keywords, serps)
    n = incidence.shape[0]
    transposed = incidence.T.tocsr()
    parts = [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))]
    for start in range(0, n, block):
        shared = (incidence[start : start + block] @ transposed).tocoo()
        keep = (shared.data >= min_shared) & (shared.row + start != shared.col)
        parts.append((shared.row[keep] + start, shared.col[keep], shared.data[keep]))
        if on_progress is not None:
            on_progress(min(start + block, n), n)
    rows, cols, data = (np.concatenate(p) for p in zip(*parts, strict=True))
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


@lru_cache(maxsize=500_000)
def normalise_url(url: str) -> str:
    """Compare results by scheme-less host and path: 'HTTPS://Site.com/a/' == 'http://site.com/a'."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", parts.netloc.lower().removeprefix("www."), path, parts.query, ""))


def _incidence(keywords: Sequence[str], serps: Mapping[str, Sequence[str]]) -> sp.csr_matrix:
    url_ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, keyword in enumerate(keywords):
        for url in dict.fromkeys(normalise_url(u) for u in serps.get(keyword, ())):
            rows.append(row)
            cols.append(url_ids.setdefault(url, len(url_ids)))
    data = np.ones(len(rows), dtype=np.int32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(keywords), max(1, len(url_ids))))


def _soft(graph: sp.csr_matrix, order: NDArray[np.int64]) -> NDArray[np.int64]:
    labels = np.full(graph.shape[0], -1, dtype=np.int64)
    for hub in order:
        if labels[hub] >= 0:
            continue
        labels[hub] = hub
        neighbours = graph.indices[graph.indptr[hub] : graph.indptr[hub + 1]]
        free = neighbours[labels[neighbours] < 0]
        labels[free] = hub
    return labels


def _hard(graph: sp.csr_matrix, order: NDArray[np.int64]) -> NDArray[np.int64]:
    labels = np.full(graph.shape[0], -1, dtype=np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    for seed in order:
        if labels[seed] >= 0:
            continue
        labels[seed] = seed
        members = [seed]
        start, stop = graph.indptr[seed], graph.indptr[seed + 1]
        candidates = graph.indices[start:stop]
        shared = graph.data[start:stop]
        for c in candidates[np.lexsort((rank[candidates], -shared))]:
            if labels[c] >= 0:
                continue
            linked = graph.indices[graph.indptr[c] : graph.indptr[c + 1]]
            if np.isin(members, linked, assume_unique=True).all():
                labels[c] = seed
                members.append(int(c))
    return labels


def _first_member_labels(components: NDArray[np.int64]) -> NDArray[np.int64]:
    _, first = np.unique(components, return_index=True)
    return first[components].astype(np.int64)
