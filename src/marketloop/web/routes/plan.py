"""Plan: the Gantt (critical path, buffers, baseline ghosts), open tasks, escalations now, and
recording slip, block, unblock and done with a reason — the API's `PlanEvent` model and the
tracker's own checks, which are the CLI's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from marketloop.api import auditlog
from marketloop.api.deps import client
from marketloop.api.routes.plan import PlanEvent, open_tracker
from marketloop.clikit import to_jsonable
from marketloop.errors import MarketloopError
from marketloop.web.deps import EditorDep, ViewerDep
from marketloop.web.render import render

router = APIRouter()


def _page(request: Request, who: Any, error: str | None = None, message: str | None = None,
          status: int = 200) -> Response:  # fmt: skip
    from marketloop.plan.memo import gantt_chart
    from marketloop.plan.views import status_dict

    try:
        tracker = open_tracker(who.api.settings, who.api.engine)
    except MarketloopError:
        return render(request, "plan.html", {"who": who, "title": "Plan", "plan": None})
    view = tracker.view(datetime.now(UTC))
    return render(request, "plan.html", {
        "who": who, "title": "Plan", "plan": to_jsonable(status_dict(view)),
        "chart": gantt_chart(view), "tasks": sorted(t.id for t in tracker.plan.tasks),
        "error": error, "message": message,
    }, status=status)  # fmt: skip


@router.get("/plan")
def plan(request: Request, who: ViewerDep, message: str | None = None) -> Response:
    return _page(request, who, message=message)


@router.post("/plan/events")
async def record(
    request: Request, who: EditorDep, kind: Annotated[str, Form(max_length=16)],
    task: Annotated[str, Form(max_length=64)], reason: Annotated[str, Form(max_length=2000)] = "",
    days: Annotated[str, Form(max_length=4)] = "",
) -> Response:  # fmt: skip
    try:
        event = PlanEvent.model_validate({"kind": kind, "task": task, "reason": reason,
                                          "days": int(days) if days.strip() else None})  # fmt: skip
    except (ValidationError, ValueError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        return _page(request, who, error=first.removeprefix("Value error, "), status=422)
    name = who.user.name if who.user else ""

    def write() -> None:
        tracker = open_tracker(who.api.settings, who.api.engine, actor=f"web:{name}")
        when = datetime.now(UTC)
        actions = {
            "slip": lambda: tracker.slip(event.task, event.days or 0, event.reason, when),
            "block": lambda: tracker.block(event.task, event.reason, when),
            "unblock": lambda: tracker.unblock(event.task, event.reason, when),
            "done": lambda: tracker.done(event.task, when),
        }
        actions[event.kind]()
        auditlog.record(who.api.engine, actor=f"web:{name}", key_id=None,
                        action=f"plan.{event.kind}", target=f"{tracker.plan.id}/{event.task}",
                        client=client(request, who.api),
                        detail=event.model_dump(mode="json"))  # fmt: skip

    try:
        await anyio.to_thread.run_sync(write)
    except MarketloopError as exc:
        return _page(request, who, error=exc.message, status=422)
    return RedirectResponse(f"/plan?message=recorded+{event.kind}+of+{event.task}",
                            status_code=303)  # fmt: skip
