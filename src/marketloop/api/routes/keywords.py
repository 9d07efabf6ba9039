"""Keyword clusters and content gaps: the workspace's clusters file (`clusters.json`, what
`marketloop keywords cluster --out WORKSPACE/clusters.json` writes, and what briefs read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from marketloop.api.deps import WorkspaceDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import CursorQuery, LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX
from marketloop.content.inputs import workspace_clusters
from marketloop.errors import UsageError
from marketloop.keywords.model import Cluster
from marketloop.workspace import Workspace

router = APIRouter(prefix=PREFIX, tags=["keywords"])
GAP_STATUSES = ("gap", "cannibalised")


def _clusters(workspace: Workspace) -> list[Cluster]:
    found = workspace_clusters(workspace)
    if found is None:
        raise NotFound(
            "the workspace has no clusters.json",
            hint="run `marketloop keywords cluster FILE --out WORKSPACE/clusters.json`",
        )
    return found


def _page(clusters: list[Cluster], limit: int, after: str | None) -> ListPage[dict[str, Any]]:
    names = [c.cluster for c in clusters]
    start = 0
    if after is not None:
        if after not in names:
            raise UsageError(f"starting_after {after[:80]!r} is no cluster name")
        start = names.index(after) + 1
    rows = [{"id": c.cluster, **c.model_dump()} for c in clusters[start : start + limit + 1]]
    return page_of(rows, limit)


@router.get("/keywords/clusters", response_model=ListPage[dict[str, Any]])
def list_clusters(
    workspace: WorkspaceDep,
    intent: Annotated[str | None, Query(max_length=32)] = None,
    limit: LimitQuery = 50,
    starting_after: CursorQuery = None,
) -> ListPage[dict[str, Any]]:
    """Clusters as stored (by opportunity); each one's id is its name."""
    clusters = [c for c in _clusters(workspace) if intent is None or c.intent == intent]
    return _page(clusters, limit, starting_after)


@router.get("/keywords/gaps", response_model=ListPage[dict[str, Any]])
def list_gaps(
    workspace: WorkspaceDep, limit: LimitQuery = 50, starting_after: CursorQuery = None
) -> ListPage[dict[str, Any]]:
    """Clusters no page serves (gap) and clusters several pages split (cannibalised)."""
    clusters = [c for c in _clusters(workspace) if c.status in GAP_STATUSES]
    return _page(clusters, limit, starting_after)
