"""The custom extractions of a crawl (`[[crawl.extract]]`), page by page: every field of a
page (`url=`), or the pages one rule matched on (`name=`, optionally `value_contains=`).

Read from the crawl's page list (audit/pagelist.py, audit/extracted.py), so a request costs an
indexed lookup in memory, not a scan of the crawl's files. Values are returned exactly as the
page had them; JSON escapes them, and nothing here renders them.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query
from pydantic import BaseModel

from marketloop.api.deps import WorkspaceDep
from marketloop.api.pagination import CursorQuery, LimitQuery, ListPage, page_of
from marketloop.api.routes.crawls import CrawlId, open_crawl
from marketloop.api.scopes import PREFIX
from marketloop.audit.extracted import page_fields
from marketloop.audit.pagelist import page_list

router = APIRouter(prefix=PREFIX, tags=["crawls"])


class Field(BaseModel):
    values: list[str]  # first: at most one; all: every value (capped); count: none
    matches: int  # how many times the rule matched on the page, whatever its mode


class PageFields(BaseModel):
    url: str
    fields: dict[str, Field]  # rule name -> what it extracted from the page


NameQuery = Annotated[
    str | None, Query(max_length=200, description="only this rule, and pages it matched on")
]
PageQuery = Annotated[str | None, Query(max_length=4096, description="only this page (exact)")]
ValueQuery = Annotated[
    str | None,
    Query(max_length=2048, description="pages one of whose `name` values contains this"),
]


@router.get("/crawls/{crawl_id}/extractions", response_model=ListPage[PageFields])
async def list_extractions(
    crawl_id: CrawlId,
    workspace: WorkspaceDep,
    name: NameQuery = None,
    url: PageQuery = None,
    value_contains: ValueQuery = None,
    limit: LimitQuery = 50,
    starting_after: CursorQuery = None,
) -> ListPage[PageFields]:
    """Pages with custom extractions, by URL; `starting_after` is the url of the last row of
    the previous page. An unknown rule `name` is a 400 that lists the crawl's rules."""

    def fetch() -> list[dict[str, Any]]:
        pages = page_list(open_crawl(workspace, crawl_id))
        if name is not None:
            pages.check_field(name)
        con = pages.cursor()
        try:
            return page_fields(
                con, name=name, url=url, contains=value_contains, limit=limit + 1,
                starting_after=starting_after,
            )  # fmt: skip
        finally:
            con.close()

    rows = await anyio.to_thread.run_sync(fetch)
    return page_of([PageFields.model_validate(r) for r in rows], limit)
