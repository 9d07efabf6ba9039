"""Eval runs (prompt variants × models over a suite) and one run's results and summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

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


@router.get("/evals/compare", response_model=dict[str, Any])
def compare_eval_runs(
    engine: EngineDep,
    run: Annotated[list[str], Query(min_length=1, max_length=20, description="run ids")],
) -> dict[str, Any]:
    """Several runs side by side: one summary row per run × prompt variant × model (what
    `marketloop eval compare RUN ...` shows)."""
    if any(len(r) > 64 for r in run):
        raise NotFound("no such eval run")
    try:
        runs, results = load_runs(engine, list(dict.fromkeys(run)))
    except EvalError as exc:
        raise NotFound(exc.message, hint=exc.hint) from None
    return {"runs": runs, "summary": summary_rows(summarise(results), with_run=True)}


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
