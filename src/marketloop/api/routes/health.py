"""`/healthz` (the process answers) and `/readyz` (its app database, the run queue and the
warehouse can be reached). Neither needs a key, so neither says more than ok or not: no paths,
no messages."""

from __future__ import annotations

from typing import Literal

import anyio.to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from marketloop.api.context import ApiContext
from marketloop.api.deps import ContextDep
from marketloop.errors import MarketloopError
from marketloop.quality.warehouse import WarehouseBusy, connect, target_from_settings

router = APIRouter(tags=["health"])

Check = Literal["ok", "busy", "absent", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Check]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(ctx: ContextDep) -> JSONResponse:
    checks = await anyio.to_thread.run_sync(_checks, ctx)
    ready = all(state in {"ok", "busy", "absent"} for state in checks.values())
    body = Readiness(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def _checks(ctx: ApiContext) -> dict[str, Check]:
    return {"app_db": _app_db(ctx), "queue": _queue(ctx), "warehouse": _warehouse(ctx)}


def _app_db(ctx: ApiContext) -> Check:
    try:
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return "unavailable"
    return "ok"


def _queue(ctx: ApiContext) -> Check:
    """The Huey storage runs are queued on (SQLite in the workspace, or Redis) answers."""
    from marketloop.runner.queue import make_huey

    try:
        huey, _ = make_huey(ctx.settings, check=False)
        huey.storage.queue_size()
    except Exception:
        return "unavailable"
    return "ok"


def _warehouse(ctx: ApiContext) -> Check:
    try:
        target = target_from_settings(ctx.settings)
        if target.kind == "duckdb" and (target.path is None or not target.path.is_file()):
            return "absent"  # nothing loaded yet: the API still serves everything else
        with connect(target, snapshot=True) as wh:
            wh.rows("SELECT 1")
    except WarehouseBusy:
        return "busy" if ctx.settings.warehouse.destination == "duckdb" else "unavailable"
    except (MarketloopError, Exception):
        return "unavailable"
    return "ok"
