"""Leader clustering over unit vectors: the core of the lexical and semantic modes.

Keywords are taken in order of search volume, highest first. Each joins the most similar
*leader* (cosine ≥ threshold) seen so far, or becomes a leader itself. The leader is therefore
the cluster's highest-volume keyword, which is also its name, and every member is close to it,
so clusters do not drift through chains of near neighbours the way connected components do.

Similarities are sparse (or dense, for embeddings) products of one block of keywords against
the leaders found so far and against the block itself, never an N×N matrix: memory is
O(block × leaders), time O(N × leaders) in the worst case and far less on sparse TF-IDF rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# A scipy CSR matrix (TF-IDF) or a float32 ndarray (embeddings); scipy ships no type stubs.
Vectors = Any
OnProgress = Callable[[int, int], None]  # (keywords done, keywords total)
# (keyword rows, leader rows) -> which pairs may join (keywords/guard.py); None allows all
Guard = Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]]
MIN_TARGET = 3  # members a cluster needs before refine() moves keywords into it


def leader_clusters(
    vectors: Vectors,
    volumes: NDArray[np.int64],
    *,
    threshold: float,
    block: int = 1024,
    on_progress: OnProgress | None = None,
    guard: Guard | None = None,
) -> NDArray[np.int64]:
    """A cluster label per row; the label is the row index of the cluster's leader.

    `vectors` rows must be L2-normalised; ties in volume keep the input order. A keyword
    only joins a leader `guard` allows (the most similar allowed one).
    """
    n = vectors.shape[0]
    order = np.argsort(-volumes, kind="stable")
    ordered = vectors[order]
    labels = np.empty(n, dtype=np.int64)  # leader position in `order`, filled block by block
    leaders: list[int] = []
    leader_rows: list[Vectors] = []
    for start in range(0, n, block):
        stop = min(start + block, n)
        chunk = ordered[start:stop]
        rows = order[start:stop]
        pair_guard = None if guard is None else _positional(guard, rows, order, leaders)
        best, best_sim = _best_leader(chunk, _stack(leader_rows), threshold, pair_guard)
        within = _dense(chunk @ chunk.T)
        if guard is not None:
            within = _guard_within(within, rows, threshold, guard)
        new, fresh = _resolve_block(within, best, best_sim, threshold, offset=len(leaders))
        leaders.extend(start + i for i in fresh)
        if fresh:
            leader_rows.append(chunk[fresh])
        labels[start:stop] = np.asarray(leaders, dtype=np.int64)[new]
        if on_progress is not None:
            on_progress(stop, n)
    result = np.empty(n, dtype=np.int64)
    result[order] = order[labels]
    return result


def _best_leader(
    chunk: Vectors,
    leader_matrix: Vectors | None,
    threshold: float,
    guard: Guard | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The most similar existing leader per row that `guard` allows, and that similarity
    (-1 and 0 when none reaches threshold); `guard` takes (chunk positions, leader numbers).

    Only the pairs at or above threshold are looked at (and shown to the guard): a small
    fraction of the sparse product, which is neither rebuilt nor scanned row by row.
    """
    rows = chunk.shape[0]
    best = np.full(rows, -1, dtype=np.int64)
    best_sim = np.zeros(rows, dtype=np.float32)
    if leader_matrix is None:
        return best, best_sim
    row, col, sim = _pairs_above(chunk @ leader_matrix.T, threshold)
    if guard is not None:
        allowed = guard(row, col)
        row, col, sim = row[allowed], col[allowed], sim[allowed]
    # per row: most similar first, ties to the earlier (higher-volume) leader
    order = np.lexsort((col, -sim, row))
    row, col, sim = row[order], col[order], sim[order]
    first = np.flatnonzero(np.diff(row, prepend=-1) != 0)
    best[row[first]] = col[first]
    best_sim[row[first]] = sim[first]
    return best, best_sim


def _pairs_above(
    sims: Vectors, threshold: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """(row, column, similarity) of the entries of `sims` at or above threshold."""
    if sp.issparse(sims):
        sims = sims.tocsr()
        at = np.flatnonzero(sims.data >= threshold)
        row = np.searchsorted(sims.indptr, at, side="right") - 1
        return row.astype(np.int64), sims.indices[at].astype(np.int64), sims.data[at]
    dense = np.asarray(sims, dtype=np.float32)
    r, c = np.nonzero(dense >= threshold)
    return r.astype(np.int64), c.astype(np.int64), dense[r, c]


def _positional(
    guard: Guard, rows: NDArray[np.int64], order: NDArray[np.int64], leaders: list[int]
) -> Guard:
    """The guard in block coordinates: (position in the block, leader number)."""
    leader_rows = order[np.asarray(leaders, dtype=np.int64)] if leaders else order[:0]
    return lambda i, j: guard(rows[i], leader_rows[j])


def _guard_within(
    within: NDArray[np.float32], rows: NDArray[np.int64], threshold: float, guard: Guard
) -> NDArray[np.float32]:
    """Block-internal similarities with refused pairs set to zero (either way round)."""
    r, c = np.nonzero(within >= threshold)
    off = r != c
    r, c = r[off], c[off]
    refused = ~guard(rows[r], rows[c])
    within[r[refused], c[refused]] = 0.0
    return within


def row_argmax(sims: Vectors) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Column and value of each row's largest entry (-1 and 0 for an empty sparse row).

    For CSR input this is O(nnz) with no index sorting, which scipy's `argmax` would do first
    (and which dominated the run time on 100,000 keywords).
    """
    rows = sims.shape[0]
    if not sp.issparse(sims):
        best = np.argmax(sims, axis=1).astype(np.int64)
        return best, np.asarray(sims[np.arange(rows), best], dtype=np.float32)
    sims = sims.tocsr()
    counts = np.diff(sims.indptr)
    best = np.full(rows, -1, dtype=np.int64)
    best_sim = np.zeros(rows, dtype=np.float32)
    filled = counts > 0
    if not filled.any():
        return best, best_sim
    row_of = np.repeat(np.arange(rows), counts)
    top = np.maximum.reduceat(sims.data, sims.indptr[:-1][filled])
    best_sim[filled] = top
    at_top = np.flatnonzero(sims.data == best_sim[row_of])
    first_rows, first = np.unique(row_of[at_top], return_index=True)
    best[first_rows] = sims.indices[at_top[first]]
    return best, best_sim


def _resolve_block(
    within: NDArray[np.float32],
    best: NDArray[np.int64],
    best_sim: NDArray[np.float32],
    threshold: float,
    offset: int,
) -> tuple[list[int], list[int]]:
    """Walk the block in volume order: join the best leader (old or new in this block).

    Returns each row's leader number and the rows that became leaders.
    """
    labels: list[int] = []
    new_rows: list[int] = []  # rows of this block that became leaders
    for i in range(within.shape[0]):
        label, sim = int(best[i]), float(best_sim[i])
        if new_rows:
            candidates = within[i, new_rows]
            j = int(np.argmax(candidates))
            if candidates[j] >= threshold and candidates[j] > sim:
                label, sim = offset + j, float(candidates[j])
        if label < 0:
            label = offset + len(new_rows)
            new_rows.append(i)
        labels.append(label)
    return labels, new_rows


def _stack(parts: list[Vectors]) -> Vectors | None:
    if not parts:
        return None
    if sp.issparse(parts[0]):
        return sp.vstack(parts, format="csr")
    return np.vstack(parts)


def _dense(matrix: Vectors) -> NDArray[np.float32]:
    if sp.issparse(matrix):
        return np.asarray(matrix.todense(), dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32)


def refine(
    vectors: Vectors,
    labels: NDArray[np.int64],
    *,
    rounds: int = 1,
    top_features: int = 40,
    guard: Guard | None = None,
) -> NDArray[np.int64]:
    """Move each keyword to its nearest cluster centroid (spherical k-means steps).

    Leader clustering compares members with one keyword; a centroid stands for the whole
    cluster, so a typo of a distinctive word or a long modifier no longer splits a cluster.
    Sparse centroids keep their `top_features` heaviest features, which also keeps the
    keywords × centroids product sparse. Labels stay row indices (of a member). A keyword
    only moves into a cluster whose label row (its leader) `guard` allows.
    """
    for _ in range(rounds):
        ids, members = np.unique(labels, return_inverse=True)
        centroids = _centroids(vectors, members, len(ids), top_features)
        nearest = _nearest(vectors, centroids)
        sizes = np.bincount(members)
        # a centroid of one or two keywords is just those keywords: only move into a cluster
        # of MIN_TARGET or more (and stay put when no centroid overlaps at all)
        target = ids[np.maximum(nearest, 0)]
        moves = (nearest >= 0) & (sizes[np.maximum(nearest, 0)] >= MIN_TARGET)
        moves &= target != labels
        if guard is not None:
            moving = np.flatnonzero(moves)
            moves[moving] = guard(moving.astype(np.int64), target[moving])
        labels = np.where(moves, target, labels)
    return labels


def _centroids(vectors: Vectors, members: NDArray[np.int64], k: int, top: int) -> Vectors:
    n = members.size
    assign = sp.csr_matrix((np.ones(n, np.float32), (members, np.arange(n))), shape=(k, n))
    sums = assign @ vectors
    if not sp.issparse(sums):
        return np.asarray(sums / np.linalg.norm(sums, axis=1, keepdims=True), dtype=np.float32)
    coo = sp.csr_matrix(sums).tocoo()
    order = np.lexsort((-coo.data, coo.row))
    row, col, data = coo.row[order], coo.col[order], coo.data[order]
    keep = (np.arange(row.size) - np.searchsorted(row, row)) < top
    pruned = sp.csr_matrix((data[keep], (row[keep], col[keep])), shape=sums.shape)
    norms = np.sqrt(np.asarray(pruned.multiply(pruned).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1 / np.maximum(norms, 1e-12)) @ pruned)


def _nearest(vectors: Vectors, centroids: Vectors, block: int = 2048) -> NDArray[np.int64]:
    out = np.empty(vectors.shape[0], dtype=np.int64)
    transposed = centroids.T.tocsr() if sp.issparse(centroids) else centroids.T
    for start in range(0, vectors.shape[0], block):
        best, _ = row_argmax(vectors[start : start + block] @ transposed)
        out[start : start + block] = best
    return out
