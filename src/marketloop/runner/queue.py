"""Huey, the transport: one generic task, `execute_step(run_id, step)`, on SQLite or Redis.

The queue carries ids only; the task reloads the rows, runs the step through the engine, then
enqueues what became ready. Huey's result store is not used (it deletes on read): run state is
rows in the app database. Storage: `[runner] queue` = redis://... (several workers, on several
machines, consume one queue), else SQLite in WORKSPACE/queue.db (never the app database's
file, never DuckDB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from marketloop.config import Settings
from marketloop.errors import RunnerError
from marketloop.runner import engine
from marketloop.runner.store import Store
from marketloop.workspace import Workspace

TASK = "marketloop.execute_step"
_hueys: dict[str, tuple[Huey, Any]] = {}


def queue_url(settings: Settings) -> str:
    if settings.runner.queue:
        return settings.runner.queue
    return f"sqlite:///{(Workspace(settings.workspace).root / 'queue.db').resolve()}"


def make_huey(settings: Settings, *, check: bool = True) -> tuple[Huey, Any]:
    """The Huey of these settings and its `execute_step` task (one per queue and process)."""
    url = queue_url(settings)
    if url not in _hueys:
        if url.startswith("sqlite://"):
            path = Path(url.removeprefix("sqlite:///"))  # sqlite:////abs/path, sqlite:///rel
            path.parent.mkdir(parents=True, exist_ok=True)
            huey: Huey = SqliteHuey("marketloop", filename=str(path), results=False)
        else:
            huey = RedisHuey("marketloop", url=url, results=False, blocking=True)
            if check:
                _ping(huey, url)
        store = Store(_app_db_url(settings))

        def execute_step(run_id: str, step: str) -> None:
            from marketloop.runner.service import worker_name

            delay = engine.execute(settings, store, run_id, step, worker_name())
            dispatcher = Dispatcher(settings, store, (huey, task))
            if delay is not None:
                dispatcher.later(run_id, step, delay)
            dispatcher.advance(run_id)

        task = huey.task(name=TASK)(execute_step)
        _hueys[url] = (huey, task)
    return _hueys[url]


class Dispatcher:
    """Hands ready steps to the queue (marking them enqueued), and retries to its schedule."""

    def __init__(self, settings: Settings, store: Store, huey: tuple[Huey, Any] | None = None):
        self.store = store
        self.huey, self.task = huey or make_huey(settings)

    def advance(self, run_id: str, redispatch_after: float | None = None) -> engine.Next:
        following = engine.advance(self.store, run_id, redispatch_after=redispatch_after)
        if following.ready:
            self.store.mark_enqueued(run_id, following.ready)
            for name in following.ready:
                self.task(run_id, name)
        return following

    def later(self, run_id: str, step: str, delay: float) -> None:
        self.store.mark_enqueued(run_id, [step])
        self.task.schedule((run_id, step), delay=delay)


def _app_db_url(settings: Settings) -> str:
    from marketloop.config import app_db_url

    return app_db_url(settings)


def _ping(huey: Huey, url: str) -> None:
    import redis

    try:
        huey.storage.conn.ping()
    except redis.RedisError as exc:
        from marketloop.observe.logging import mask_secrets

        raise RunnerError(
            f"cannot reach the queue at {mask_secrets(url)}: {exc}",
            hint="start Redis, or fix [runner] queue (MARKETLOOP_RUNNER_QUEUE); leave it unset "
            "for the embedded SQLite queue",
        ) from None
