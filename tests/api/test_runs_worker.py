"""A run started through the API is executed by a real `marketloop worker` and read back over
the API: SQLite app database with the Huey SQLite queue, then PostgreSQL with Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import PLAN, bearer, new_key
from tests.api.test_runs import loop_files
from tests.api.test_runs_hooks import BODY, SECRET, signed
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
        "api": {"hooks": {"zapier": {"secret": SECRET, "target": "other"}}},
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
        run = follow(client, started.headers["location"], reader)
        assert [(s["name"], s["status"], s["attempts"]) for s in run["steps"]] == [
            ("only", "succeeded", 1)
        ]
        headers = signed("msg_pg")  # sent twice: the replay returns the run, starts none
        hooked = [client.post("/api/v1/hooks/zapier", content=BODY, headers=headers)
                  for _ in range(2)]  # fmt: skip
        assert [h.status_code for h in hooked] == [202, 202]
        assert hooked[0].json()["run_id"] == hooked[1].json()["run_id"]
        assert follow(client, hooked[0].headers["location"], reader)["trigger"] == "hook"
        done = client.get("/api/v1/runs?status=succeeded&loop=other", headers=reader).json()
        assert [r["run_id"] for r in done["data"]] == [hooked[0].json()["run_id"], run["run_id"]]


def follow(client: TestClient, location: str, reader: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (run := client.get(location, headers=reader).json())["status"] != "succeeded":
        assert run["status"] in ("queued", "running") and time.monotonic() < deadline, run
        time.sleep(0.1)
    return dict(run)
