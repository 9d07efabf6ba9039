"""`GET /api/v1/quality/report`: the data health report of the latest `quality run`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from marketloop.api.deps import WarehouseDep
from marketloop.api.errors import NotFound
from marketloop.api.scopes import PREFIX
from marketloop.quality import history

router = APIRouter(prefix=PREFIX, tags=["quality"])


@router.get("/quality/report", response_model=dict[str, Any])
def health_report(wh: WarehouseDep) -> dict[str, Any]:
    """The full report document (what `marketloop quality report --format json` prints)."""
    report = history.latest_report(wh) if history.exists(wh) else None
    if report is None:
        raise NotFound("no quality run is recorded", hint="run `marketloop quality run` first")
    return report
