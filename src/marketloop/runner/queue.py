"""Huey, the transport: one generic task, `execute_step(run_id, step)`, on SQLite or Redis.

The queue carries ids only; the task reloads the rows, runs the step through the engine, then
enqueues what became ready. Huey's result store is not used (it deletes on read): run state is
rows in the app database. Storage: `[runner] queue` = redis://... (several workers, on several
machines, consume one queue), else SQLite in WORKSPACE/queue.db (never the app database's
file, never DuckDB).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from huey import Huey, RedisHuey
from huey.storage import SqliteStorage
from pydantic import BaseModel, SecretStr

from marketloop.config import Settings
from marketloop.errors import ConfigError, RunnerError
from marketloop.runner import engine
from marketloop.runner.model import Loop
from marketloop.runner.store import Store, now
from marketloop.workspace import Workspace

TASK = "marketloop.execute_step"
_hueys: OrderedDict[str, tuple[Huey, Any]] = OrderedDict()
_hueys_lock = threading.Lock()
_HUEYS_KEPT = 32


def queue_url(settings: Settings) -> str:
    if not settings.runner.queue:
        return f"sqlite:///{(Workspace(settings.workspace).root / 'queue.db').resolve()}"
    url = settings.runner.queue
    if url.startswith("sqlite:///") and _queue_file(url) in _taken_files(settings):
        raise ConfigError(
            f"[runner] queue {url} is a file marketloop keeps other data in "
            "(the app database or the warehouse)",
            hint="name a file of its own, e.g. sqlite:///WORKSPACE/queue.db, or leave it unset",
        )
    return url


def _queue_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///")).resolve()  # sqlite:////abs/path, sqlite:///rel


def _taken_files(settings: Settings) -> set[Path]:
    """The app database's file (when it is SQLite), the warehouse and its read copy."""
    from sqlalchemy.engine import make_url

    from marketloop.quality.readcopy import read_copy, warehouse_file

    warehouse = warehouse_file(settings).resolve()
    taken = {warehouse, read_copy(warehouse)}
    app_db = make_url(_app_db_url(settings))
    if app_db.get_backend_name() == "sqlite" and app_db.database:
        taken.add(Path(app_db.database).resolve())
    return taken


def make_huey(settings: Settings, *, check: bool = True) -> tuple[Huey, Any]:
    """The Huey of these settings and its `execute_step` task (one per distinct settings and
    process: the task runs steps with the settings it was made with, so settings that differ in
    anything, the app database, the workspace or an action's options, get their own)."""
    key = fingerprint(settings)
    with _hueys_lock:
        if key in _hueys:
            _hueys.move_to_end(key)
            return _hueys[key]
        made = _make_huey(settings, check)
        _hueys[key] = made
        while len(_hueys) > _HUEYS_KEPT:  # a consumer keeps its own; this is only a cache
            _hueys.popitem(last=False)
        return made


def fingerprint(settings: Settings) -> str:
    """A digest of every setting, secrets included (their values, never printed): pydantic's
    JSON of the settings (secrets masked there) and the secrets' values. Every `start_run`
    computes it, so it is pydantic-core's serializer, not `model_dump` and `json.dumps`."""
    digest = hashlib.sha256(settings.model_dump_json().encode())
    found: list[str] = []
    _secrets(settings, found)
    for secret in found:
        digest.update(b"\0" + secret.encode())
    return digest.hexdigest()


def _secrets(value: Any, found: list[str]) -> None:
    """Append the value of every secret (SecretStr) in `value`, in the order of its fields; a
    model's fields whose type can hold no secret (text, numbers, paths, literals) are skipped."""
    if isinstance(value, BaseModel):
        items: Any = [getattr(value, name) for name in _may_hold_secrets(type(value))]
    elif isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    elif isinstance(value, SecretStr):
        found.append(value.get_secret_value())
        return
    else:
        return
    for item in items:
        if not isinstance(item, _LEAVES):
            _secrets(item, found)


_LEAVES = (str, int, float, bool, type(None), Path)


@cache
def _may_hold_secrets(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose declared type may hold a secret, in order (once per class)."""
    return tuple(name for name, field in model.model_fields.items() if _may_hold(field.annotation))


def _may_hold(annotation: Any) -> bool:
    """Whether a value of this type may be or contain a SecretStr: False only for the types
    that surely cannot (leaves, literals, and containers of them); anything unknown may."""
    if annotation in _LEAVES or annotation is Literal or get_origin(annotation) is Literal:
        return False
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        args = args[:1]
    if args:  # a union, an optional, a list, a dict...: any of its parts
        return any(_may_hold(arg) for arg in args)
    return not (isinstance(annotation, type) and issubclass(annotation, _LEAVES))


def _make_huey(settings: Settings, check: bool) -> tuple[Huey, Any]:
    url = queue_url(settings)
    if url.startswith("sqlite://"):
        path = _queue_file(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey: Huey = sqlite_huey("marketloop", path, StepHuey)
    else:
        huey = RedisStepHuey("marketloop", url=url, results=False, blocking=True)
        if check:
            _ping(huey, url)
    store = Store(_app_db_url(settings))

    def execute_step(run_id: str, step: str) -> None:
        from marketloop.runner.service import worker_name

        finish = engine.execute(settings, store, run_id, step, worker_name())
        Dispatcher(settings, store, (huey, task)).advance(run_id, finish=finish)

    task = huey.task(name=TASK)(execute_step)
    return huey, task


class QueueStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage (WAL) with synchronous=NORMAL instead of FULL: a commit no longer
    waits for an fsync (3 ms a task here, twice: enqueue and dequeue). In WAL mode that cannot
    corrupt the file, and a crash of the process (kill -9) loses nothing; an OS crash or power
    cut may lose the last commits: an enqueue lost that way is found by the sweeper (a ready
    step enqueued long ago and never started is enqueued again), a dequeue lost that way
    delivers the task twice, which a step ignores (it starts only by winning pending → running).
    """

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def sqlite_huey(name: str, path: Path, kind: type[Huey] = Huey) -> Huey:
    """A Huey on the SQLite file `path` (no result store: run state is in the app database)."""
    return kind(name, results=False, storage_class=QueueStorage, filename=str(path))


class StepHuey(Huey):  # type: ignore[misc]
    """The runner's Huey: its tasks are never revoked. A cancelled run's step is refused by its
    begin's compare-and-set (`Store.begin_step`), never by Huey's revocation, so the two look-ups
    Huey makes around every task for it (a read of the task's revocation before it runs, a
    delete after: two queue round trips, the first before the step's begin) are left out, and
    revoking is refused rather than silently never seen."""

    def is_revoked(self, task: Any, timestamp: Any = None, peek: bool = True) -> bool:
        return False

    def revoke(self, *_: Any, **__: Any) -> None:
        raise RunnerError("the runner's tasks are not revoked", hint="cancel the run instead")

    revoke_all = revoke_by_id = revoke

    def delete(self, key: str) -> Any:
        if key.startswith(_REVOKED):  # a task's revocation: never written (after each task)
            return False
        return super().delete(key)


_REVOKED = "r:"  # huey.api.Task.revoke_id's prefix


class RedisStepHuey(StepHuey, RedisHuey):  # type: ignore[misc]
    """StepHuey on Redis."""


class Dispatcher:
    """Hands ready steps to the queue (marking them enqueued), and retries to its schedule."""

    def __init__(self, settings: Settings, store: Store, huey: tuple[Huey, Any] | None = None):
        self.store = store
        self.huey, self.task = huey or make_huey(settings)

    def advance(
        self,
        run_id: str,
        redispatch_after: float | None = None,
        *,
        finish: engine.Finish | None = None,
        create: engine.NewRun | None = None,
        loop: Loop | None = None,
    ) -> engine.Next:
        """Record `finish`, move the run on and mark its ready steps enqueued (one transaction),
        then enqueue them; a retry is recorded as enqueued and scheduled on the queue."""
        retry = finish is not None and finish.retry_in is not None
        if finish is not None and retry:
            finish.values["enqueued_at"] = now()
        following = engine.advance(
            self.store,
            run_id,
            redispatch_after=redispatch_after,
            finish=finish,
            create=create,
            mark=True,
            loop=loop,
        )
        for name in following.ready:
            self.task(run_id, name)
        if finish is not None and retry and following.finished:
            self.task.schedule((run_id, finish.name), delay=finish.retry_in)
        return following


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
