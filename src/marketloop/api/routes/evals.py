"""Eval runs (prompt variants × models over a suite) and one run's results and summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from marketloop.api.deps import EngineDep
from marketloop.api.errors import NotFound
from marketloop.api.pagination import LimitQuery, ListPage, page_of
from marketloop.api.scopes import PREFIX
from marketloop.content.errors import EvalError
from marketloop.content.evals.compare import summarise, summary_rows
from marketloop.content.evals.store import load_runs, recent_runs

router = APIRouter(prefix=PREFIX, tags=["evals"])


@router.get("/evals/runs", response_model=ListPage[dict[str, Any]])
def list_eval_runs(engine: EngineDep, limit: LimitQuery = 20) -> ListPage[dict[str, Any]]:
    """The latest eval runs, newest first."""
    return page_of(recent_runs(engine, limit + 1), limit)


@router.get("/evals/runs/{run_id}", response_model=dict[str, Any])
def get_eval_run(run_id: Annotated[str, Path(max_length=64)], engine: EngineDep) -> dict[str, Any]:
    """One run with every result and a summary per prompt variant × model."""
    try:
        runs, results = load_runs(engine, [run_id])
    except EvalError as exc:
        raise NotFound(exc.message, hint=exc.hint) from None
    return {
        "run": runs[0],
        "summary": summary_rows(summarise(results), with_run=False),
        "results": results,
    }
