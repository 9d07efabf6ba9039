"""Site: issues by severity and check (charts), the page explorer over every crawled URL,
a page's detail, and the comparison of two crawls."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from marketloop.api.routes.crawls import _filter, open_crawl, with_field
from marketloop.audit.extracted import FieldFilter
from marketloop.audit.pagelist import SORTS, page_list
from marketloop.report.charts import hbar
from marketloop.web import loaders
from marketloop.web.deps import ViewerDep
from marketloop.web.render import render
from marketloop.workspace import Workspace

router = APIRouter()
PAGE_SIZE = 50
COMPARE_ROWS = 100  # rows shown per list of a crawl comparison; the rest are counted
INDEXABILITY = ("indexable", "blocked_by_robots", "no_response", "redirect", "non_200",
                "noindex", "canonicalised", "external", "not_html", "unparsed")  # fmt: skip
Text = Annotated[str | None, Query(max_length=2048)]
COLOURS = {"critical": "#b42318", "warning": "#b54708", "notice": "#175cd3"}


def _crawl(who: Any, crawl: str | None) -> tuple[list[str], str | None]:
    names = [f.name for f in loaders.crawl_folders(who.api.settings)]
    return names, (crawl if crawl in names else (names[0] if names else None))


@router.get("/site")
def site(request: Request, who: ViewerDep, crawl: Text = None) -> Response:
    names, chosen = _crawl(who, crawl)
    counts: list[dict[str, Any]] = []
    if chosen:
        counts = loaders.issue_counts(Workspace(who.api.settings.workspace).crawls_dir / chosen)
    severity = loaders.by_severity(counts)
    return render(request, "site.html", {
        "who": who, "title": "Site", "crawls": names, "crawl": chosen, "counts": counts,
        "severity_chart": hbar(list(severity.items()), colours=COLOURS),
        "check_chart": hbar([(c["check"], c["pages"]) for c in counts[:15]]),
    })  # fmt: skip


@router.get("/site/pages")
async def explorer(
    request: Request, who: ViewerDep, crawl: Text = None,
    status: Annotated[str | None, Query(max_length=3)] = None,
    indexability: Annotated[str | None, Query(max_length=40)] = None,
    check: Annotated[str | None, Query(max_length=64)] = None, q: Text = None,
    sort: Annotated[str, Query(pattern=f"^-?({'|'.join(SORTS)})$")] = "url", after: Text = None,
    field: Annotated[str | None, Query(max_length=200)] = None, value: Text = None,
) -> Response:  # fmt: skip
    """The pages of a crawl; `field` shows a custom extraction as a column, `value` keeps the
    pages whose values of it contain that text (an unknown field is ignored, like a bad
    status)."""
    names, chosen = _crawl(who, crawl)
    code = int(status) if status and status.isdigit() else None
    workspace = Workspace(who.api.settings.workspace)

    def fetch() -> tuple[list[dict[str, Any]], bool, list[tuple[str, int]], str | None]:
        if chosen is None:
            return [], False, [], None
        pages = page_list(open_crawl(workspace, chosen))
        fields = pages.field_names()
        shown = field if field in {n for n, _ in fields} else None
        where = _filter(code, indexability if indexability in INDEXABILITY else None,
                        check or None, q or None, sort,
                        FieldFilter(shown, value) if shown and value else None)  # fmt: skip
        found = pages.query(where, limit=PAGE_SIZE + 1, starting_after=after or None)
        rows = found[:PAGE_SIZE]
        return (
            (with_field(pages, rows, shown) if shown else rows),
            len(found) > PAGE_SIZE,
            fields,
            shown,
        )

    rows, more, fields, shown = await anyio.to_thread.run_sync(fetch)
    params = {"crawl": chosen or "", "status": status or "", "indexability": indexability or "",
              "check": check or "", "q": q or "", "sort": sort, "field": shown or "",
              "value": (value or "") if shown else ""}  # fmt: skip
    return render(request, "pages.html", {
        "who": who, "title": "Page explorer", "crawls": names, "crawl": chosen,
        "rows": rows, "more": more, "params": params, "fields": fields, "field": shown,
        "sorts": SORTS, "indexabilities": INDEXABILITY, "after": after,
        "checks": sorted({c["check"] for c in loaders.issue_counts(workspace.crawls_dir / chosen)})
        if chosen else [],
    })  # fmt: skip


@router.get("/site/page")
def page(request: Request, who: ViewerDep, crawl: Annotated[str, Query(max_length=200)],
         url: Annotated[str, Query(max_length=4096)]) -> Response:  # fmt: skip
    from marketloop.api.errors import NotFound
    from marketloop.web.pagedetail import page_detail

    dataset = open_crawl(Workspace(who.api.settings.workspace), crawl)
    detail = page_detail(dataset, url)
    if detail is None:
        raise NotFound("this crawl has no such page", hint="find it in the page explorer")
    return render(request, "page.html", {"who": who, "title": "Page", "crawl": crawl, **detail})


@router.get("/site/compare")
def compare(request: Request, who: ViewerDep, old: Text = None, new: Text = None) -> Response:
    from marketloop.audit.config import AuditSettings
    from marketloop.audit.diff import crawl_diff
    from marketloop.audit.present import diff_sections

    names, _ = _crawl(who, None)
    diff = None
    if old and new:
        workspace = Workspace(who.api.settings.workspace)
        opened = (open_crawl(workspace, old), open_crawl(workspace, new))
        with crawl_diff(*opened, AuditSettings()) as result:  # read here: the lists stay in SQL
            diff = {"summary": result.summary(), "sections": diff_sections(result, COMPARE_ROWS)}
    return render(request, "compare.html", {"who": who, "title": "Compare crawls",
                  "crawls": names, "old": old, "new": new, "diff": diff})  # fmt: skip
