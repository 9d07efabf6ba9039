"""The stored audit of a crawl: its issues (paged, filtered) and its tickets (one per check).

Both read DIR/issues.parquet, which `marketloop audit` writes; a crawl never audited has none.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Query
from pydantic import BaseModel

from marketloop.api.deps import WorkspaceDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import LimitQuery, ListPage, page_of
from marketloop.api.routes.crawls import CrawlId, open_crawl
from marketloop.api.scopes import PREFIX
from marketloop.audit.engine import stored_tickets
from marketloop.audit.model import Issue, Severity
from marketloop.audit.registry import REGISTRY, all_checks
from marketloop.audit.store import as_issues, read_issue_table
from marketloop.errors import UsageError
from marketloop.workspace import Workspace

router = APIRouter(prefix=PREFIX, tags=["audit"])


class IssueOut(BaseModel):
    id: str
    check: str
    severity: Severity
    url: str
    detail: str
    value: float | None
    threshold: float | None
    priority: float


class TicketOut(BaseModel):
    check: str
    severity: Severity
    description: str
    fix: str
    urls: int
    impact: float
    examples: list[IssueOut]


def _issue_table(workspace: Workspace, crawl_id: str) -> pa.Table:
    dataset = open_crawl(workspace, crawl_id)
    table = read_issue_table(dataset.folder)
    if table is None:
        raise NotFound(
            f"crawl {crawl_id!r} has no audit", hint=f"run `marketloop audit` on crawl {crawl_id}"
        )
    return table


def _out(position: int, issue: Issue) -> IssueOut:
    return IssueOut(id=f"iss_{position}", **issue.as_row())


@router.get("/crawls/{crawl_id}/issues", response_model=ListPage[IssueOut])
def list_issues(
    crawl_id: CrawlId,
    workspace: WorkspaceDep,
    severity: Severity | None = None,
    check: Annotated[str | None, Query(max_length=64)] = None,
    limit: LimitQuery = 50,
    starting_after: Annotated[str | None, Query(pattern=r"^iss_\d{1,9}$")] = None,
) -> ListPage[IssueOut]:
    """Issues by priority, highest first; ids (`iss_N`) are stable until the next audit."""
    all_checks()  # registers the checks
    if check is not None and check not in REGISTRY:
        raise UsageError(f"no check {check!r}", hint="see docs/checks.md for the check ids")
    table = _issue_table(workspace, crawl_id)
    table = table.append_column("position", pa.array(range(table.num_rows), pa.int64()))
    start = int(starting_after[4:]) + 1 if starting_after else 0
    wanted = pc.greater_equal(table["position"], start)
    if severity is not None:
        wanted = pc.and_(wanted, pc.equal(table["severity"], severity.value))
    if check is not None:
        wanted = pc.and_(wanted, pc.equal(table["check"], check))
    page = table.filter(wanted).slice(0, limit + 1)  # the page's rows become objects, no more
    positions = page["position"].to_pylist()
    return page_of([_out(n, i) for n, i in zip(positions, as_issues(page), strict=True)], limit)


@router.get("/crawls/{crawl_id}/tickets", response_model=ListPage[TicketOut])
def list_tickets(crawl_id: CrawlId, workspace: WorkspaceDep) -> ListPage[TicketOut]:
    """One ticket per check, by summed impact: what a team pastes into its tracker."""
    all_checks()
    table = _issue_table(workspace, crawl_id)
    made = stored_tickets(table, REGISTRY)  # in SQL: only the examples become objects
    rows = _rows_of(table, [e for t in made for e in t.examples])
    return ListPage[TicketOut](
        data=[
            TicketOut(
                check=t.check, severity=t.severity, description=t.description, fix=t.fix,
                urls=t.urls, impact=t.impact,
                examples=[_out(rows[_same(e)].pop(0), e) for e in t.examples],
            )
            for t in made
        ],
        has_more=False,
    )  # fmt: skip


def _rows_of(table: pa.Table, wanted: list[Issue]) -> dict[tuple[Any, ...], list[int]]:
    """Each of `wanted` (issues of `table`) → its rows in order, the `iss_N` that `list_issues`
    gives them (equal issues are told apart by taking them in turn). Only the rows of the
    examples' checks and URLs become objects."""
    rows = pc.indices_nonzero(
        pc.and_(
            pc.is_in(table["check"], pa.array(sorted({i.check for i in wanted}), pa.string())),
            pc.is_in(table["url"], pa.array(sorted({i.url for i in wanted}), pa.string())),
        )
    )
    found: dict[tuple[Any, ...], list[int]] = {}
    for row, issue in zip(rows.to_pylist(), as_issues(table.take(rows)), strict=True):
        found.setdefault(_same(issue), []).append(row)
    return found


def _same(issue: Issue) -> tuple[Any, ...]:
    """What tells stored issues apart, equal for equal rows (a NaN value equals itself here)."""
    return tuple(
        "nan" if isinstance(v, float) and math.isnan(v) else v for v in issue.as_row().values()
    )
