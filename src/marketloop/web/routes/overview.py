"""Overview: the loop at a glance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from marketloop.web import loaders
from marketloop.web.deps import ViewerDep
from marketloop.web.render import render

router = APIRouter()


@router.get("/")
def overview(request: Request, who: ViewerDep) -> Response:
    from marketloop.runner.service import list_runs

    settings, engine = who.api.settings, who.api.engine
    latest: dict[str, Any] = {}
    for run in list_runs(settings, limit=50).data:
        latest.setdefault(run.loop, run)
    crawls = loaders.crawl_folders(settings)
    severity = loaders.by_severity(loaders.issue_counts(crawls[0])) if crawls else None
    plan = loaders.plan_status(settings, engine)
    waiting = [b for b in loaders.briefs(settings, engine) if b["review"] is None]
    now = datetime.now(UTC)
    return render(request, "overview.html", {
        "who": who, "title": "Overview", "runs": list(latest.values()),
        "crawl": crawls[0].name if crawls else None, "severity": severity,
        "escalations": plan["escalations"] if plan else None, "waiting": waiting,
        "spend": loaders.llm_spend(settings, engine, now),
        "freshness": loaders.freshness(settings, engine, now),
        "decision": loaders.latest_decision(settings),
    })  # fmt: skip
