"""Crawls (list, summary) and the pages of a crawl (filtered, sorted, paged; CSV download),
optionally with one custom extraction as a column and a filter (`extract`, `extract_contains`).

A crawl's id is its folder name under WORKSPACE/crawls; anything else (a path, `..`, a
symlink out of the folder) is not a crawl id and gets 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from marketloop.api.csvout import csv_chunks
from marketloop.api.deps import WorkspaceDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import CursorQuery, LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX
from marketloop.audit.extracted import FieldFilter
from marketloop.audit.pagelist import (
    COLUMNS,
    SORTS,
    Indexability,
    PageFilter,
    PageList,
    page_list,
)
from marketloop.audit.registry import all_checks
from marketloop.crawl.dataset import CrawlDataset, CrawlStatus
from marketloop.errors import UsageError
from marketloop.workspace import Workspace

router = APIRouter(prefix=PREFIX, tags=["crawls"])

CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
CrawlId = Annotated[str, Path(max_length=200, description="the crawl's folder name")]


class CrawlOut(BaseModel):
    id: str
    start_url: str
    status: CrawlStatus
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    audited: bool


class CrawlSummary(CrawlOut):
    notes: list[str]
    totals: dict[str, float]
    status_codes: dict[str, float]
    indexability: dict[str, float]
    depths: dict[str, float]
    issues_by_severity: dict[str, int]


class PageRow(BaseModel):
    url: str
    status: int | None
    indexability: str
    depth: int | None
    content_type: str | None
    response_time_ms: float | None
    size: int | None
    word_count: int | None
    title: str | None
    inlinks: int
    issues: int
    checks: list[str]
    extracted: list[str] | None = None  # the values of rule `extract`, when asked for


def open_crawl(workspace: Workspace, crawl_id: str) -> CrawlDataset:
    """The crawl `crawl_id` names, or NotFound (never a folder outside WORKSPACE/crawls)."""
    if not CRAWL_ID.match(crawl_id) or crawl_id in {".", ".."}:
        raise NotFound(f"no crawl {crawl_id!r}")
    root = workspace.crawls_dir.resolve()
    folder = (root / crawl_id).resolve()
    if folder.parent != root or not (folder / "manifest.json").is_file():
        raise NotFound(f"no crawl {crawl_id!r}", hint="GET /api/v1/crawls lists them")
    return CrawlDataset.open(folder)


def _out(folder: FsPath, dataset: CrawlDataset) -> dict[str, Any]:
    m = dataset.manifest
    return {
        "id": folder.name, "start_url": m.start_url, "status": m.status,
        "started_at": m.started_at, "finished_at": m.finished_at, "counts": m.counts,
        "audited": (folder / "issues.parquet").is_file(),
    }  # fmt: skip


@router.get("/crawls", response_model=ListPage[CrawlOut])
def list_crawls(
    workspace: WorkspaceDep, limit: LimitQuery = 20, starting_after: CursorQuery = None
) -> ListPage[CrawlOut]:
    """Crawls in the workspace, newest first."""
    folders = list(reversed(workspace.crawl_dirs()))
    names = [f.name for f in folders]
    if starting_after is not None:
        if starting_after not in names:
            raise UsageError(f"starting_after {starting_after!r} is no crawl id")
        folders = folders[names.index(starting_after) + 1 :]
    rows = [CrawlOut(**_out(f, CrawlDataset.open(f))) for f in folders[: limit + 1]]
    return page_of(rows, limit)


@router.get("/crawls/{crawl_id}", response_model=CrawlSummary)
def crawl_summary(crawl_id: CrawlId, workspace: WorkspaceDep) -> CrawlSummary:
    """One crawl: its manifest, status codes, indexability, depths and issues by severity."""
    import pyarrow.compute as pc

    from marketloop.audit.overview import overview
    from marketloop.audit.store import read_issue_table

    dataset = open_crawl(workspace, crawl_id)
    seen = overview(dataset)
    stored = read_issue_table(dataset.folder, ["severity"])  # one column: counted, not read
    counted = pc.value_counts(stored["severity"]).to_pylist() if stored is not None else []
    severities = {row["values"]: row["counts"] for row in counted}
    return CrawlSummary(
        **_out(dataset.folder, dataset), notes=dataset.manifest.notes, totals=seen.totals,
        status_codes=dict(seen.status), indexability=dict(seen.indexability),
        depths=dict(seen.depths), issues_by_severity=severities,
    )  # fmt: skip


def _filter(
    status: int | None, indexability: str | None, check: str | None, url: str | None, sort: str,
    contains: FieldFilter | None = None,
) -> PageFilter:  # fmt: skip
    if check is not None and check not in {c.id for c in all_checks()}:
        raise UsageError(f"no check {check!r}", hint="see docs/checks.md for the check ids")
    descending = sort.startswith("-")
    return PageFilter(status, indexability, check, url, sort.lstrip("-"), descending, contains)


def field_filter(extract: str | None, extract_contains: str | None) -> FieldFilter | None:
    """The filter `extract_contains` makes on rule `extract` (None without it)."""
    if not extract_contains:
        return None
    if extract is None:
        raise UsageError("extract_contains needs extract", hint="pass extract=RULE as well")
    return FieldFilter(extract, extract_contains)


def with_field(pages: PageList, rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """`rows` with the values of rule `name` in `extracted` ([] where it found nothing)."""
    found = pages.fields([r["url"] for r in rows], name)
    for row in rows:
        row["extracted"] = found[row["url"]].get(name, {}).get("values", [])
    return rows


StatusQuery = Annotated[int | None, Query(ge=100, le=599, description="HTTP status")]
IndexQuery = Annotated[Indexability | None, Query(description="indexability verdict")]
CheckQuery = Annotated[str | None, Query(max_length=64, description="pages with this issue")]
UrlQuery = Annotated[str | None, Query(max_length=2048, description="URL contains (any case)")]
ExtractQuery = Annotated[
    str | None,
    Query(max_length=200, description="a custom extraction rule: its values as a column"),
]
ExtractContainsQuery = Annotated[
    str | None,
    Query(max_length=2048, description="pages whose `extract` values contain this (any case)"),
]
SortQuery = Annotated[
    str,
    Query(pattern=f"^-?({'|'.join(SORTS)})$", description="column; prefix - for descending"),
]


@router.get("/crawls/{crawl_id}/pages", response_model=ListPage[PageRow])
async def list_pages(
    crawl_id: CrawlId,
    workspace: WorkspaceDep,
    status: StatusQuery = None,
    indexability: IndexQuery = None,
    check: CheckQuery = None,
    url_contains: UrlQuery = None,
    extract: ExtractQuery = None,
    extract_contains: ExtractContainsQuery = None,
    sort: SortQuery = "url",
    limit: LimitQuery = 50,
    starting_after: CursorQuery = None,
) -> ListPage[PageRow]:
    """Pages of a crawl; `starting_after` is the url of the last row of the previous page.
    With `extract`, each row's `extracted` holds that custom extraction's values."""
    field = field_filter(extract, extract_contains)
    where = _filter(status, indexability, check, url_contains, sort, field)

    def fetch() -> list[dict[str, Any]]:
        pages = page_list(open_crawl(workspace, crawl_id))
        if extract is not None:
            pages.check_field(extract)
        rows = pages.query(where, limit=limit + 1, starting_after=starting_after)
        return with_field(pages, rows, extract) if extract is not None else rows

    rows = await anyio.to_thread.run_sync(fetch)
    return page_of([PageRow.model_construct(**r) for r in rows], limit)


@router.get(
    "/crawls/{crawl_id}/pages.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def pages_csv(
    crawl_id: CrawlId,
    workspace: WorkspaceDep,
    status: StatusQuery = None,
    indexability: IndexQuery = None,
    check: CheckQuery = None,
    url_contains: UrlQuery = None,
    extract: ExtractQuery = None,
    extract_contains: ExtractContainsQuery = None,
    sort: SortQuery = "url",
) -> StreamingResponse:
    """Every matching page as CSV (formula-like cells neutralised with a leading '); with
    `extract`, an `extracted` column holds that extraction's values, one per line."""
    where = _filter(status, indexability, check, url_contains, sort,
                    field_filter(extract, extract_contains))  # fmt: skip
    pages = page_list(open_crawl(workspace, crawl_id))
    batches = pages.stream(where)
    columns: tuple[str, ...] = COLUMNS
    if extract is not None:
        pages.check_field(extract)
        batches = (with_field(pages, rows, extract) for rows in batches)
        columns = (*COLUMNS, "extracted")
    disposition = f'attachment; filename="{crawl_id}-pages.csv"'
    return StreamingResponse(
        csv_chunks(batches, columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
