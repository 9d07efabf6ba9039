"""Loop runs: start a run of a known loop (or of one of its steps), list and read runs, cancel
one, approve a step held by `gate: manual`, and publish the approved briefs as a run.

Every route calls runner/service.py, as `marketloop loop` and the dashboard do. Starting work
answers 202 with the run and a `Location`; a worker (`marketloop worker`) executes it. Every
POST honours `Idempotency-Key` and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from marketloop.api import auditlog
from marketloop.api.auth import Principal
from marketloop.api.deps import ClientDep, EngineDep, IdempotencyDep, PrincipalDep, SettingsDep
from marketloop.api.idempotency import Idempotency
from marketloop.api.pagination import CursorQuery, ListPage
from marketloop.api.scopes import PREFIX
from marketloop.config import Settings
from marketloop.content.tune import reviews
from marketloop.errors import UsageError
from marketloop.runner import service
from marketloop.runner.catalog import find_loop
from marketloop.runner.model import NAME, Loop, Step
from marketloop.runner.service import RunView
from marketloop.runner.states import RunStatus
from marketloop.runner.store import RunNotFound

router = APIRouter(prefix=PREFIX, tags=["runs"])

RunId = Annotated[
    str, Path(pattern=NAME, max_length=100, description="a run id, e.g. run-20250115-093000-a1b2c3")
]
StepName = Annotated[str, Path(pattern=NAME, max_length=100, description="a step of the run")]
#: the one-off loop `POST /briefs/publish` runs
PUBLISH_LOOP = "briefs-publish"


class RunIn(BaseModel):
    """A run of a loop of `GET /api/v1/loops`, or of one of its steps."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"loop": "weekly"}, {"loop": "weekly", "step": "audit"}]},
    )
    loop: str = Field(pattern=NAME, max_length=100, description="the loop's name")
    step: str | None = Field(
        None, pattern=NAME, max_length=100, description="run only this step (a new run of one)"
    )


class PublishIn(BaseModel):
    """Publish every approved brief: `notion` (action publish.notion) or `webhook`."""

    model_config = ConfigDict(extra="forbid")
    to: Literal["notion", "webhook"]


def location(run: RunView) -> dict[str, str]:
    return {"Location": f"{PREFIX}/runs/{run.run_id}"}


def start(
    idem: Idempotency,
    settings: Settings,
    loop: Callable[[], Loop],
    step: str | None,
    *,
    trigger: str,
    audit: Callable[[RunView], None],
) -> JSONResponse:
    """Start a run once per idempotency key: 202, the run, and where to follow it."""

    def work() -> RunView:
        run = service.start_run(settings, loop(), step, trigger=trigger)
        audit(run)
        return run

    return idem.run(work, status_code=202, headers=location)


def _audit(engine: Engine, who: Principal, client: str, action: str) -> Callable[[RunView], None]:
    def record(run: RunView) -> None:
        auditlog.record(
            engine, actor=who.name, key_id=who.key_id, action=action, target=run.run_id,
            client=client, detail={"loop": run.loop, "steps": [s.name for s in run.steps]},
        )  # fmt: skip

    return record


LOCATION = {"description": "the run's URL", "schema": {"type": "string"}}
STARTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Accepted: the run is queued", "headers": {"Location": LOCATION}}
}


@router.post("/runs", response_model=RunView, status_code=202, responses=STARTED)
def start_run(
    body: RunIn, settings: SettingsDep, engine: EngineDep, principal: PrincipalDep,
    idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Start a run of a loop, or of one of its steps; a worker executes it."""
    return start(
        idem, settings, lambda: find_loop(settings, body.loop), body.step, trigger="api",
        audit=_audit(engine, principal, address, "runs.start"),
    )  # fmt: skip


@router.get("/runs", response_model=ListPage[RunView])
def list_runs(
    settings: SettingsDep,
    loop: Annotated[str | None, Query(pattern=NAME, max_length=100)] = None,
    status: Annotated[RunStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="runs per page, 1 to 100")] = 20,
    starting_after: CursorQuery = None,
) -> ListPage[RunView]:
    """Runs, newest first; filter by loop and status."""
    try:
        page = service.list_runs(settings, loop, limit, starting_after, status)
    except RunNotFound:  # an unknown cursor is the client's mistake, as on every list
        raise UsageError(f"starting_after {str(starting_after)[:80]!r} is no run id") from None
    return ListPage[RunView](data=page.data, has_more=page.has_more)


@router.get("/runs/{run_id}", response_model=RunView)
def get_run(run_id: RunId, settings: SettingsDep) -> RunView:
    """A run and its steps: status, attempts, times, outputs, gate results, errors."""
    return service.get_run(settings, run_id)


@router.post("/runs/{run_id}/cancel", response_model=RunView)
def cancel_run(
    run_id: RunId, settings: SettingsDep, engine: EngineDep, principal: PrincipalDep,
    idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Cancel a queued or running run (409 when it has already ended)."""
    record = _audit(engine, principal, address, "runs.cancel")

    def work() -> RunView:
        run = service.cancel_run(settings, run_id)
        record(run)
        return run

    return idem.run(work)


@router.post("/runs/{run_id}/steps/{step}/approve", response_model=RunView)
def approve_step(
    run_id: RunId, step: StepName, settings: SettingsDep, engine: EngineDep,
    principal: PrincipalDep, idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Let a step held by `gate: manual` run (409 when it is not waiting for approval)."""
    record = _audit(engine, principal, address, f"runs.approve.{step}")

    def work() -> RunView:
        run = service.approve_step(settings, run_id, step, by=principal.name)
        record(run)
        return run

    return idem.run(work)


@router.post("/briefs/publish", response_model=RunView, status_code=202, responses=STARTED)
def publish_briefs(
    body: PublishIn, settings: SettingsDep, engine: EngineDep, principal: PrincipalDep,
    idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Publish the approved briefs (their latest review) as a run of the publish action."""
    approved = sorted(s for s, r in reviews.latest(engine).items() if r.decision == "approved")
    if not approved:
        raise UsageError(
            "no brief is approved", hint="approve one with POST /api/v1/briefs/{slug}/review"
        )
    step = Step.model_validate({"action": f"publish.{body.to}", "with": {"only": approved}})
    loop = Loop(name=PUBLISH_LOOP, steps={"publish": step})
    return start(
        idem, settings, lambda: loop, None, trigger="api",
        audit=_audit(engine, principal, address, f"briefs.publish.{body.to}"),
    )  # fmt: skip
