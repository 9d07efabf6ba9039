"""Eval runs and results in the app database (`content_eval_runs`, `content_eval_results`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from marketloop.content.errors import EvalError
from marketloop.content.tables import EvalResult, EvalRun


def start_run(engine: Engine, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(EvalRun).values(created_at=datetime.now(UTC), status="running", **values)
        )


def save_result(engine: Engine, run_id: str, row: dict[str, Any]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(EvalResult).values(run_id=run_id, **row))


def finish_run(engine: Engine, run_id: str, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(EvalRun).where(EvalRun.id == run_id).values(status=status))


def load_runs(
    engine: Engine, run_ids: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The runs (default: the latest) and all their results, oldest run first."""
    with engine.connect() as connection:
        if not run_ids:
            latest = connection.execute(
                select(EvalRun.id).order_by(EvalRun.created_at.desc()).limit(1)
            ).scalar()
            if latest is None:
                raise EvalError("no eval runs yet", hint="run `marketloop eval run SUITE` first")
            run_ids = [latest]
        runs = [
            dict(r._mapping)
            for r in connection.execute(
                select(EvalRun).where(EvalRun.id.in_(run_ids)).order_by(EvalRun.created_at)
            )
        ]
        missing = sorted(set(run_ids) - {r["id"] for r in runs})
        if missing:
            raise EvalError(
                f"no eval run {', '.join(missing)}", hint="`marketloop eval compare` lists runs"
            )
        results = [
            dict(r._mapping)
            for r in connection.execute(
                select(EvalResult).where(EvalResult.run_id.in_(run_ids)).order_by(EvalResult.id)
            )
        ]
    return runs, results


def recent_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(EvalRun).order_by(EvalRun.created_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
