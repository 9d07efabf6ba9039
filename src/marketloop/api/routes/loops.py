"""The loops the server knows (`[runner] loops`, the files `marketloop worker` schedules): each
with its steps in the order they can run, what each needs, its gate and its next scheduled time.
A file that cannot be read is listed with its error and cannot be started."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from marketloop.api.deps import SettingsDep
from marketloop.api.pagination import ListPage
from marketloop.api.scopes import PREFIX
from marketloop.runner.catalog import LoopView, loop_view, loop_views
from marketloop.runner.model import NAME

router = APIRouter(prefix=PREFIX, tags=["loops"])

LoopName = Annotated[str, Path(pattern=NAME, max_length=100, description="the loop's name")]


@router.get("/loops", response_model=ListPage[LoopView])
def list_loops(settings: SettingsDep) -> ListPage[LoopView]:
    """Every loop file of `[runner] loops` (a short list: not paginated), in the order listed."""
    return ListPage[LoopView](data=loop_views(settings), has_more=False)


@router.get("/loops/{name}", response_model=LoopView)
def get_loop(name: LoopName, settings: SettingsDep) -> LoopView:
    """One loop: its DAG (steps, needs, gates) and when it and each step run next."""
    return loop_view(settings, name)
