"""The read-only pages: Tickets (audit tickets by impact), Data health (the latest quality
report and its history), Keywords (clusters, gaps, cannibalisation, linked to briefs) and
Evals (runs compared side by side). Each reads through the stage's own functions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from marketloop.errors import MarketloopError
from marketloop.web import loaders
from marketloop.web.deps import ViewerDep
from marketloop.web.render import render

router = APIRouter()
GAP_STATUSES = ("gap", "cannibalised")


@router.get("/tickets")
def tickets_page(request: Request, who: ViewerDep) -> Response:
    from marketloop.audit.impact import formula as analytics_formula
    from marketloop.audit.priority import formula

    settings = who.api.settings
    crawls = loaders.crawl_folders(settings)
    rows = loaders.audit_tickets(crawls[0]) if crawls else None
    links = loaders.tracker_links(settings, who.api.engine, crawls[0]) if rows else {}
    return render(request, "tickets.html", {
        "who": who, "title": "Tickets", "tickets": rows or [], "links": links,
        "crawl": crawls[0].name if crawls else None, "audited": rows is not None,
        "formula": formula(), "analytics_formula": analytics_formula(settings.audit.impact),
        "jira": bool(settings.jira.url and settings.jira.project),
    })  # fmt: skip


@router.get("/data-health")
def data_health(request: Request, who: ViewerDep) -> Response:
    from marketloop.quality import history
    from marketloop.quality.warehouse import connect, target_from_settings

    report, runs, problem = None, [], None
    target = target_from_settings(who.api.settings)
    if target.kind != "duckdb" or (target.path is not None and target.path.is_file()):
        try:
            with connect(target, snapshot=True) as wh:
                if history.exists(wh):
                    report, runs = history.latest_report(wh), _runs(wh)
        except MarketloopError as exc:
            problem = exc.message if exc.http_status < 500 else "the warehouse cannot be read now"
    checks = (report or {}).get("checks") or []
    return render(request, "data_health.html", {"who": who, "title": "Data health",
                  "report": report, "runs": list(reversed(runs)), "problem": problem,
                  "checks": [c for c in checks if isinstance(c, dict)][:500]})  # fmt: skip


def _runs(wh: Any) -> list[dict[str, Any]]:
    import duckdb

    from marketloop.quality import history

    try:
        return history.recent_runs(wh, 20)
    except duckdb.Error:  # a history written before the checks table existed
        return []


@router.get("/keywords")
def keywords(request: Request, who: ViewerDep,
             status: Annotated[str | None, Query(max_length=16)] = None,
             intent: Annotated[str | None, Query(max_length=32)] = None) -> Response:  # fmt: skip
    found = loaders.clusters(who.api.settings)
    statuses, intents = loaders.cluster_facets(who.api.settings)
    briefs = {b["cluster"]: b["slug"] for b in loaders.briefs(who.api.settings, who.api.engine)}
    rows = [c for c in found or [] if (not status or c.status == status)
            and (not intent or c.intent == intent)]  # fmt: skip
    return render(request, "keywords.html", {
        "who": who, "title": "Keywords", "clusters": rows[:500], "shown": len(rows),
        "any": found is not None, "briefs": briefs, "status": status or "", "intent": intent or "",
        "statuses": statuses, "intents": intents,
    })  # fmt: skip


@router.get("/evals")
def evals(request: Request, who: ViewerDep,
          run: Annotated[list[str] | None, Query(max_length=20)] = None) -> Response:  # fmt: skip
    from marketloop.content.evals.compare import summarise, summary_rows
    from marketloop.content.evals.store import load_runs, recent_runs

    recent = recent_runs(who.api.engine, 20)
    chosen = [r for r in (run or []) if len(r) <= 64][:6] or [r["id"] for r in recent[:2]]
    summary: list[dict[str, Any]] = []
    error = None
    if chosen:
        try:
            _, results = load_runs(who.api.engine, list(dict.fromkeys(chosen)))
            summary = summary_rows(summarise(results), with_run=True)
        except MarketloopError as exc:
            error = exc.message
    return render(request, "evals.html", {"who": who, "title": "Evals", "recent": recent,
                  "chosen": chosen, "summary": summary, "error": error,
                  "decisions": loaders.decisions(who.api.settings)[:20]})  # fmt: skip


#: a stored report is shown as it is, with nothing that could run or load from elsewhere
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@router.get("/evals/decisions/{name}")
def decision_record(who: ViewerDep, name: Annotated[str, Path(max_length=120)]) -> Response:
    """A decision record of `eval decide` (HTML, or its Markdown as text), as written."""
    from marketloop.api.errors import NotFound

    path = loaders.decision_path(who.api.settings, name)
    if path is None:
        raise NotFound("no such decision record", hint="the Evals page lists them")
    kind = "text/html" if name.endswith(".html") else "text/markdown"
    return Response(path.read_bytes(), media_type=f"{kind}; charset=utf-8", headers={
        "Content-Security-Policy": REPORT_POLICY, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })  # fmt: skip
