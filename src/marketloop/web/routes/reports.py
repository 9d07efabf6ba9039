"""The read-only pages: Tickets (audit tickets by impact), Data health (the latest quality
report and its history), Keywords (clusters, gaps, cannibalisation, linked to briefs) and
Evals (runs compared side by side). Each reads through the stage's own functions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from marketloop.errors import MarketloopError
from marketloop.web import loaders
from marketloop.web.deps import ViewerDep
from marketloop.web.render import render

router = APIRouter()
GAP_STATUSES = ("gap", "cannibalised")


@router.get("/tickets")
def tickets_page(request: Request, who: ViewerDep) -> Response:
    from marketloop.audit.registry import REGISTRY, all_checks
    from marketloop.audit.store import read_issues
    from marketloop.audit.tickets import tickets

    crawls = loaders.crawl_folders(who.api.settings)
    stored = read_issues(crawls[0]) if crawls else None
    rows: list[Any] = []
    if stored is not None:
        all_checks()
        rows = tickets(stored[0], REGISTRY)
    return render(request, "tickets.html", {"who": who, "title": "Tickets", "tickets": rows,
                  "crawl": crawls[0].name if crawls else None,
                  "audited": stored is not None})  # fmt: skip


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
    briefs = {b["cluster"]: b["slug"] for b in loaders.briefs(who.api.settings, who.api.engine)}
    rows = [c for c in found or [] if (not status or c.status == status)
            and (not intent or c.intent == intent)]  # fmt: skip
    return render(request, "keywords.html", {
        "who": who, "title": "Keywords", "clusters": rows[:500], "shown": len(rows),
        "any": found is not None, "briefs": briefs, "status": status or "", "intent": intent or "",
        "statuses": sorted({c.status for c in found or []}),
        "intents": sorted({c.intent for c in found or []}),
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
                  "chosen": chosen, "summary": summary, "error": error})  # fmt: skip
