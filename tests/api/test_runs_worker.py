"""A run started through the API is executed by a real `marketloop worker` and read back over
the API: SQLite app database with the Huey SQLite queue, then PostgreSQL with Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import PLAN, bearer, new_key
from tests.api.test_runs import loop_files
from tests.runner.workers import Config

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope
from marketloop.config import load_settings


@pytest.fixture(
    params=["sqlite", pytest.param("scaled", marks=[pytest.mark.postgres, pytest.mark.redis])]
)
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Config]:
    if request.param == "sqlite":
        made = Config(tmp_path / "ws")
    else:
        made = Config(
            tmp_path / "ws",
            app_db_url=request.getfixturevalue("postgres_url"),
            queue=request.getfixturevalue("redis_url"),
        )
    made.workspace.mkdir(parents=True)
    try:
        yield made
    finally:
        made.stop_all()


def test_a_worker_runs_what_the_api_started(config: Config, tmp_path: Path) -> None:
    values: dict[str, object] = {
        "workspace": config.workspace,
        "plan": {"file": PLAN},
        "runner": {"queue": config.queue, "loops": loop_files(tmp_path / "loops")},
    }
    if config.app_db_url:
        values["app_db_url"] = config.app_db_url
    app = create_app(load_settings(None, values))
    runner, reader = bearer(new_key(app, Scope.run)), bearer(new_key(app, Scope.read))
    config.start_worker("--threads", "2")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/readyz").json()["checks"]["queue"] == "ok"
        started = client.post("/api/v1/runs", json={"loop": "other"}, headers=runner)
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        deadline = time.monotonic() + 60
        while (run := client.get(location, headers=reader).json())["status"] != "succeeded":
            assert run["status"] in ("queued", "running") and time.monotonic() < deadline, run
            time.sleep(0.1)
        assert [(s["name"], s["status"], s["attempts"]) for s in run["steps"]] == [
            ("only", "succeeded", 1)
        ]
        done = client.get("/api/v1/runs?status=succeeded&loop=other", headers=reader).json()
        assert [r["run_id"] for r in done["data"]] == [run["run_id"]]
