"""The queue's Huey per settings (queue.make_huey)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from marketloop.config import load_settings
from marketloop.errors import ConfigError, RunnerError
from marketloop.runner import service
from marketloop.runner.loopfile import parse_loop
from marketloop.runner.queue import fingerprint, make_huey


def test_settings_that_share_a_queue_keep_their_own_app_database(tmp_path: Path) -> None:
    """The task runs steps with the settings it was made with: a second workspace on the same
    queue must not get the first one's task (which records into the first app database)."""
    queue = f"sqlite:///{tmp_path / 'queue.db'}"
    first = load_settings(None, {"workspace": tmp_path / "a", "runner": {"queue": queue}})
    second = load_settings(None, {"workspace": tmp_path / "b", "runner": {"queue": queue}})
    make_huey(first)
    huey, _ = make_huey(second)
    assert make_huey(second)[0] is huey  # cached for the same settings
    loop = parse_loop("name: q\nsteps:\n  a: {action: noop}\n")
    huey.immediate = True  # the task runs as it is enqueued, in this thread
    try:
        run = service.start_run(second, loop)
    finally:
        huey.immediate = False
    assert run.status == "queued", run  # as recorded before it was handed to the queue
    view = service.get_run(second, run.run_id)
    assert view.status == "succeeded", view
    assert view.steps[0].attempts == 1


def test_the_fingerprint_of_settings_tells_secret_values_apart(tmp_path: Path) -> None:
    """Two settings that differ only in a secret's value (masked in pydantic's JSON) get their
    own Huey; equal settings, made apart, share one."""

    def made(pepper: str, hook: str) -> str:
        hooks = {"in": {"secret": hook, "target": "q"}}
        values = {"workspace": tmp_path, "api": {"pepper": pepper, "hooks": hooks}}
        return fingerprint(load_settings(None, values))

    base = made("pepper-<script>-1", "whsec_AAAA")
    assert made("pepper-<script>-1", "whsec_AAAA") == base
    assert made("pepper-<script>-2", "whsec_AAAA") != base
    assert made("pepper-<script>-1", "whsec_AAAB") != base
    assert "pepper" not in base and len(base) == 64


def test_the_queue_never_shares_the_app_database_or_the_warehouse_file(tmp_path: Path) -> None:
    """Huey's SQLite storage lives in its own file: pointing `[runner] queue` at the app
    database (it wrote Huey's tables into it) or at the warehouse is refused before anything is
    recorded or enqueued."""
    ws = tmp_path / "ws"
    custom_db = tmp_path / "elsewhere" / "app.db"
    cases = [
        ({}, ws / "app.db"),
        ({}, ws / "warehouse.duckdb"),
        ({}, ws / "warehouse.read.duckdb"),
        (
            {"app_db_url": f"sqlite:///{custom_db}"},
            tmp_path / "elsewhere" / ".." / "elsewhere" / "app.db",
        ),
    ]
    for extra, path in cases:
        settings = load_settings(
            None, {"workspace": ws, "runner": {"queue": f"sqlite:///{path}"}, **extra}
        )
        with pytest.raises(ConfigError, match="a file marketloop keeps other data in"):
            service.start_run(settings, parse_loop("name: q\nsteps:\n  a: {action: noop}\n"))
        assert service.list_runs(settings).data == []
    own = load_settings(None, {"workspace": ws, "runner": {"queue": f"sqlite:///{ws / 'q.db'}"}})
    make_huey(own)
    assert (ws / "q.db").is_file()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


def test_a_step_task_makes_no_revocation_look_ups_and_revoking_is_refused(
    tmp_path: Path, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancelled run's step is refused by its begin's compare-and-set, never by Huey's
    revocation: the runner's Huey reads and deletes no revocation around a task (two queue
    round trips Huey makes for every task), and refuses to revoke one."""
    settings = load_settings(None, {"workspace": tmp_path / "ws", "runner": {"queue": queue}})
    huey, _ = make_huey(settings)
    touched: list[str] = []
    storage = huey.storage
    for name in ("peek_data", "peek_many", "pop_data", "delete_data", "has_data_for_key"):
        method = getattr(storage, name)

        def recorded(key: Any, *args: Any, _method: Any = method, **kwargs: Any) -> Any:
            touched.extend([key] if isinstance(key, str) else list(key))
            return _method(key, *args, **kwargs)

        monkeypatch.setattr(storage, name, recorded)
    run = service.start_run(settings, parse_loop("name: q\nsteps:\n  a: {action: noop}\n"))
    huey.execute(huey.dequeue())
    assert service.get_run(settings, run.run_id).status == "succeeded"
    assert touched == []
    with pytest.raises(RunnerError, match="not revoked"):
        huey.revoke_by_id("any")
    with pytest.raises(RunnerError, match="not revoked"):
        huey.revoke(object())
