"""Fine-tuning jobs in the app database (`content_tune_jobs`): one row per `tune start`,
updated as the job moves, whichever provider runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from marketloop.content.llm.session import new_run_id
from marketloop.content.tune.tables import TuneJob
from marketloop.errors import ContentError

FINISHED = frozenset({"succeeded", "failed", "cancelled"})


def create(engine: Engine, **values: Any) -> str:
    job_id = new_run_id("tn")
    with engine.begin() as connection:
        connection.execute(
            insert(TuneJob).values(id=job_id, created_at=datetime.now(UTC), **values)
        )
    return job_id


def change(engine: Engine, job_id: str, **values: Any) -> None:
    if values.get("status") in FINISHED:
        values.setdefault("finished_at", datetime.now(UTC))
    with engine.begin() as connection:
        connection.execute(update(TuneJob).where(TuneJob.id == job_id).values(**values))


def get(engine: Engine, job_id: str | None) -> dict[str, Any]:
    """The job `job_id` (or its provider's id), or the latest one."""
    query = select(TuneJob)
    if job_id is None:
        query = query.order_by(TuneJob.created_at.desc()).limit(1)
    else:
        query = query.where((TuneJob.id == job_id) | (TuneJob.external_id == job_id))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        which = f"no tuning job {job_id}" if job_id else "no tuning jobs yet"
        raise ContentError(which, hint="`marketloop tune status --all` lists them")
    return dict(row._mapping)


def recent(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(TuneJob).order_by(TuneJob.created_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
