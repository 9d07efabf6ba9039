"""Runs: history with filters, a run's steps (live while it runs), start, cancel, approve.

Only the loops named in `[runner] loops` can be started from here (never a path from the
form); starting hands the run to the queue, so a `marketloop worker` must be running."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from marketloop.config import Settings
from marketloop.errors import MarketloopError, RunnerError, UsageError
from marketloop.observe import steplog
from marketloop.runner.states import RUN_DONE
from marketloop.web.deps import RunnerDep, ViewerDep
from marketloop.web.render import render
from marketloop.workspace import Workspace

router = APIRouter()
STATUSES = ("queued", "running", "waiting_approval", "succeeded", "failed", "cancelled")


def loops(settings: Settings) -> dict[str, Any]:
    """The startable loops by name, from [runner] loops (unreadable files are left out)."""
    from marketloop.runner.loopfile import load_loop

    found = {}
    for path in settings.runner.loops:
        try:
            loop = load_loop(path)
        except MarketloopError:
            continue
        found[loop.name] = loop
    return found


@router.get("/runs")
def runs(
    request: Request, who: ViewerDep,
    loop: Annotated[str | None, Query(max_length=120)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    after: Annotated[str | None, Query(max_length=120)] = None,
) -> Response:  # fmt: skip
    from marketloop.runner.service import list_runs

    settings = who.api.settings
    page = list_runs(settings, loop or None, limit=50, starting_after=after or None)
    rows = [r for r in page.data if not status or r.status == status]
    return render(request, "runs.html", {
        "who": who, "title": "Runs", "runs": rows, "has_more": page.has_more,
        "last": page.data[-1].run_id if page.data else None, "loops": sorted(loops(settings)),
        "loop": loop or "", "status": status or "", "statuses": STATUSES,
    })  # fmt: skip


@router.post("/runs")
async def start(request: Request, who: RunnerDep,
                loop: Annotated[str, Form(max_length=120)]) -> Response:  # fmt: skip
    from marketloop.runner.service import start_run

    settings = who.api.settings
    chosen = loops(settings).get(loop)
    if chosen is None:
        raise UsageError(f"no loop {loop!r} in [runner] loops", hint="add its file there")
    run = await anyio.to_thread.run_sync(
        lambda: start_run(settings, chosen, trigger=f"web:{who.user.name if who.user else ''}")
    )
    return RedirectResponse(f"/runs/{run.run_id}", status_code=303)


@router.get("/runs/{run_id}")
def run_page(request: Request, who: ViewerDep, run_id: str, error: str | None = None) -> Response:
    """The run and its steps, with the end of each step's log; while the run is live, htmx
    fetches the page again every second (the logs grow in place)."""
    from marketloop.runner.service import get_run

    run = get_run(who.api.settings, run_id)
    root = Workspace(who.api.settings.workspace).root
    logs = {step.name: steplog.tail(root, run.run_id, step.name) for step in run.steps}
    return render(request, "run.html", {
        "who": who, "title": f"Run {run.run_id}", "run": run, "live": run.status not in RUN_DONE,
        "error": error, "logs": logs, "tail_kib": steplog.TAIL_BYTES // 1024,
        "any_log": any(text is not None for text in logs.values()),
    })  # fmt: skip


@router.get("/runs/{run_id}/steps/{step}/log")
def step_log(who: ViewerDep, run_id: str, step: str) -> Response:
    """A step's whole log, as plain text (what the run page shows the end of)."""
    from marketloop.api.errors import NotFound
    from marketloop.runner.service import get_run

    run = get_run(who.api.settings, run_id)
    try:
        path = steplog.log_path(Workspace(who.api.settings.workspace).root, run.run_id, step)
    except ValueError:
        path = None
    if path is None or not path.is_file():
        raise NotFound("this step has no log", hint="a step writes one when it runs")
    return FileResponse(path, media_type="text/plain; charset=utf-8", headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
    })  # fmt: skip


def _act(who: Any, request: Request, run_id: str, action: Any) -> Response:
    try:
        action()
    except RunnerError as exc:
        return run_page(request, who, run_id, error=exc.message)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/cancel")
async def cancel(request: Request, who: RunnerDep, run_id: str) -> Response:
    from marketloop.runner.service import cancel_run

    settings = who.api.settings
    return await anyio.to_thread.run_sync(
        lambda: _act(who, request, run_id, lambda: cancel_run(settings, run_id))
    )


@router.post("/runs/{run_id}/steps/{step}/approve")
async def approve(request: Request, who: RunnerDep, run_id: str, step: str) -> Response:
    from marketloop.runner.service import approve_step

    settings, by = who.api.settings, f"web:{who.user.name if who.user else ''}"
    return await anyio.to_thread.run_sync(
        lambda: _act(who, request, run_id, lambda: approve_step(settings, run_id, step, by))
    )
