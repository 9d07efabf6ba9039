"""Loops and runs over HTTP: the loops the server knows, starting a run (202, Location,
Idempotency-Key), listing and reading runs, cancel, approve, publishing approved briefs as a
run, and hostile input. A worker executing a run started here: tests/api/test_runs_worker.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import bearer, new_key

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope
from marketloop.config import Settings
from marketloop.runner import service
from marketloop.runner.catalog import find_loop

LOOP = """\
name: t
schedule: {cron: "0 6 * * MON", timezone: Europe/Berlin}
steps:
  first: {action: noop}
  second: {action: noop, needs: [first]}
  held: {action: noop, needs: [first], gate: manual}
"""
PROBLEM = "application/problem+json"


def loop_files(root: Path) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "t.yaml").write_text(LOOP)
    (root / "evil.yaml").write_text("name: <script>alert(1)</script>\nsteps: {a: {action: noop}}")
    (root / "other.yaml").write_text("name: other\nsteps:\n  only: {action: noop}\n")
    return [root / "t.yaml", root / "evil.yaml", root / "other.yaml"]


@pytest.fixture
def run_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    return make_settings(runner={"loops": loop_files(tmp_path / "secret-folder")})


@pytest.fixture
def app(run_settings: Settings) -> FastAPI:
    return create_app(run_settings)


@pytest.fixture
def runner(app: FastAPI) -> dict[str, str]:
    return bearer(new_key(app, Scope.run, name="runner"))


@pytest.fixture
def reader(app: FastAPI) -> dict[str, str]:
    return bearer(new_key(app, Scope.read, name="reader"))


def test_loops_list_their_dag_and_next_runs(client: TestClient, reader: dict[str, str]) -> None:
    listed = client.get("/api/v1/loops", headers=reader)
    assert listed.status_code == 200
    loops = {entry["file"]: entry for entry in listed.json()["data"]}
    assert list(loops) == ["t.yaml", "evil.yaml", "other.yaml"]
    t = loops["t.yaml"]
    assert t["valid"] and t["name"] == "t" and t["next_run"].endswith(("Z", "+00:00"))
    assert [s["name"] for s in t["steps"]] == ["first", "second", "held"]
    assert t["steps"][2] == {**t["steps"][2], "needs": ["first"], "gate": "manual"}
    evil = loops["evil.yaml"]
    assert not evil["valid"] and "evil.yaml" in evil["error"]
    assert "secret-folder" not in listed.text  # the server's folders stay private
    one = client.get("/api/v1/loops/t", headers=reader).json()
    assert one == t
    missing = client.get("/api/v1/loops/nope", headers=reader)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/loops/evil", headers=reader).status_code == 422


def test_start_a_run_is_202_with_location_and_idempotent(
    client: TestClient, app: FastAPI, runner: dict[str, str], reader: dict[str, str]
) -> None:
    headers = {**runner, "Idempotency-Key": "start-1"}
    first = client.post("/api/v1/runs", json={"loop": "t"}, headers=headers)
    assert first.status_code == 202, first.text
    run = first.json()
    assert run["status"] == "queued" and run["trigger"] == "api"
    assert [s["name"] for s in run["steps"]] == ["first", "second", "held"]
    assert first.headers["location"] == f"/api/v1/runs/{run['run_id']}"
    again = client.post("/api/v1/runs", json={"loop": "t"}, headers=headers)
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["run_id"] == run["run_id"]
    assert again.headers["location"] == first.headers["location"]
    listed = client.get("/api/v1/runs", headers=reader).json()
    assert [r["run_id"] for r in listed["data"]] == [run["run_id"]]  # no second run started
    read = client.get(first.headers["location"], headers=reader)
    assert read.status_code == 200 and read.json()["run_id"] == run["run_id"]
    admin = bearer(new_key(app, Scope.admin))
    log = client.get("/api/v1/audit-log", headers=admin).json()["data"]
    assert [(e["action"], e["target"], e["actor"]) for e in log] == [
        ("runs.start", run["run_id"], "runner")
    ]


def test_one_step_runs_alone(client: TestClient, runner: dict[str, str]) -> None:
    made = client.post("/api/v1/runs", json={"loop": "t", "step": "second"}, headers=runner)
    assert made.status_code == 202
    assert [s["name"] for s in made.json()["steps"]] == ["second"]
    assert made.json()["trigger"] == "api"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"loop": "nope"}, 404),  # unknown loop
        ({"loop": "t", "step": "nope"}, 400),  # bad step name
        ({"loop": "evil"}, 422),  # a broken loop file cannot start
        ({"loop": "<script>alert(1)</script>"}, 422),
        ({"loop": "../../etc/passwd"}, 422),
        ({"loop": "t", "step": "../x"}, 422),
        ({"loop": "t", "with": {"x": 1}}, 422),  # unknown fields refused
        ({"loop": "t" * 101}, 422),
        ({}, 422),
    ],
)
def test_bad_starts_are_problems_and_start_nothing(
    client: TestClient, run_settings: Settings, runner: dict[str, str], body: Any, status: int
) -> None:
    response = client.post("/api/v1/runs", json=body, headers=runner)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "<script>" not in response.json()["detail"] or status == 422
    assert service.list_runs(run_settings).data == []


def test_hostile_bodies_and_ids(
    client: TestClient, runner: dict[str, str], reader: dict[str, str]
) -> None:
    huge = client.post(
        "/api/v1/runs",
        content=b'{"loop": "' + b"t" * 10_000_000 + b'"}',
        headers={**runner, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    broken = client.post(
        "/api/v1/runs", content=b'{"loop": ', headers={**runner, "content-type": "application/json"}
    )
    assert broken.status_code == 422 and broken.headers["content-type"] == PROBLEM
    form = client.post("/api/v1/runs", content=b"loop=t", headers={
        **runner, "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert form.status_code == 415
    for run_id in ["..%2F..%2Fetc%2Fpasswd", "..", "run-20250101-000000-abcdef", "%3Cscript%3E"]:
        got = client.get(f"/api/v1/runs/{run_id}", headers=reader)
        assert got.status_code in (404, 422), (run_id, got.status_code)
        assert got.headers["content-type"] == PROBLEM
    cancel = client.post("/api/v1/runs/..%2F..%2Fx/cancel", headers=runner)
    assert cancel.status_code in (404, 422)
    assert client.get("/api/v1/runs?limit=101", headers=reader).status_code == 422
    assert client.get("/api/v1/runs?status=<script>", headers=reader).status_code == 422
    cursor = client.get("/api/v1/runs?starting_after=run-x", headers=reader)
    assert cursor.status_code == 400


def test_list_filters_and_pages(
    client: TestClient, run_settings: Settings, runner: dict[str, str], reader: dict[str, str]
) -> None:
    ids = [client.post("/api/v1/runs", json={"loop": "t"}, headers=runner).json()["run_id"]
           for _ in range(3)]  # fmt: skip
    other = client.post("/api/v1/runs", json={"loop": "other"}, headers=runner).json()["run_id"]
    service.cancel_run(run_settings, ids[0])
    first = client.get("/api/v1/runs?loop=t&limit=2", headers=reader).json()
    assert [r["run_id"] for r in first["data"]] == ids[:0:-1] and first["has_more"]
    rest = client.get(f"/api/v1/runs?loop=t&limit=2&starting_after={ids[1]}", headers=reader)
    assert [r["run_id"] for r in rest.json()["data"]] == [ids[0]]
    assert not rest.json()["has_more"]
    cancelled = client.get("/api/v1/runs?status=cancelled", headers=reader).json()["data"]
    assert [r["run_id"] for r in cancelled] == [ids[0]]
    everything = client.get("/api/v1/runs", headers=reader).json()["data"]
    assert everything[0]["run_id"] == other and len(everything) == 4


def test_cancel_then_cancel_again_is_409(
    client: TestClient, runner: dict[str, str], reader: dict[str, str]
) -> None:
    run_id = client.post("/api/v1/runs", json={"loop": "t"}, headers=runner).json()["run_id"]
    done = client.post(f"/api/v1/runs/{run_id}/cancel", headers=runner)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert {s["status"] for s in done.json()["steps"]} == {"cancelled"}
    again = client.post(f"/api/v1/runs/{run_id}/cancel", headers=runner)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert client.post("/api/v1/runs/run-x/cancel", headers=runner).status_code == 404
    assert client.post(f"/api/v1/runs/{run_id}/cancel", headers=reader).status_code == 403


def test_approve_a_waiting_step(
    client: TestClient, app: FastAPI, run_settings: Settings, runner: dict[str, str]
) -> None:
    run = service.start_run(run_settings, find_loop(run_settings, "t"), inline=True)
    assert {s.name: s.status for s in run.steps}["held"] == "waiting_approval"
    url = f"/api/v1/runs/{run.run_id}/steps/held/approve"
    early = client.post(f"/api/v1/runs/{run.run_id}/steps/second/approve", headers=runner)
    assert early.status_code == 409  # second is not waiting for anyone
    approved = client.post(url, headers=runner)
    assert approved.status_code == 200, approved.text
    assert {s["name"]: s["status"] for s in approved.json()["steps"]}["held"] == "pending"
    assert client.post(url, headers=runner).status_code == 409
    assert client.post(f"/api/v1/runs/{run.run_id}/steps/nope/approve",
                       headers=runner).status_code == 404  # fmt: skip
    drain(run_settings)  # the approval queued the step: run the queue's tasks here
    assert service.get_run(run_settings, run.run_id).status == "succeeded"
    log = client.get("/api/v1/audit-log", headers=bearer(new_key(app, Scope.admin))).json()
    assert log["data"][0]["action"] == "runs.approve.held"


def second_brief(ws: Any) -> str:
    """Another brief beside the seeded one (the same brief under another slug)."""
    import json

    folder = ws.root / "briefs"
    data = json.loads((folder / "content-brief-template.json").read_text())
    data["slug"] = "second-brief"
    (folder / "second-brief.json").write_text(json.dumps(data))
    return "second-brief"


def drain(settings: Settings) -> None:
    """Execute every queued task in this process, as a worker's consumer would."""
    from marketloop.runner.queue import make_huey

    huey, _ = make_huey(settings)
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def test_publish_approved_briefs_starts_a_publish_run(
    client: TestClient, seeded: Any, run_settings: Settings, runner: dict[str, str], app: FastAPI
) -> None:
    none_yet = client.post("/api/v1/briefs/publish", json={"to": "webhook"}, headers=runner)
    assert none_yet.status_code == 400 and "approved" in none_yet.json()["detail"]
    writer = bearer(new_key(app, Scope.write))
    for slug, decision in [("content-brief-template", "approve"), (second_brief(seeded), "reject")]:
        made = client.post(f"/api/v1/briefs/{slug}/review", json={"decision": decision},
                           headers=writer)  # fmt: skip
        assert made.status_code == 201
    headers = {**runner, "Idempotency-Key": "publish-1"}
    started = client.post("/api/v1/briefs/publish", json={"to": "webhook"}, headers=headers)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["loop"] == "briefs-publish" and [s["action"] for s in run["steps"]] == [
        "publish.webhook"
    ]
    again = client.post("/api/v1/briefs/publish", json={"to": "webhook"}, headers=headers)
    assert again.json()["run_id"] == run["run_id"]
    definition = service.store_for(run_settings).definition(run["run_id"])
    assert definition["steps"]["publish"]["with"] == {"only": ["content-brief-template"]}
    bad = client.post("/api/v1/briefs/publish", json={"to": "<script>"}, headers=runner)
    assert bad.status_code == 422


def test_a_publish_run_sends_only_the_approved_briefs(
    make_settings: Callable[..., Settings], seeded: Any, tmp_path: Path
) -> None:
    from marketloop.fakes.server import LocalServer
    from marketloop.fakes.webhook_receiver import WebhookReceiver

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    fake = WebhookReceiver(secret)
    with LocalServer(fake.app) as server:
        settings = make_settings(webhooks={"secret": secret, "urls": [f"{server.url}/hooks/a"]})
        app = create_app(settings)
        writer, runner = bearer(new_key(app, Scope.write)), bearer(new_key(app, Scope.run))
        with TestClient(app) as client:
            slugs = ["content-brief-template", second_brief(seeded)]
            review = {"decision": "approve", "comment": "<script>ok</script>"}
            client.post(f"/api/v1/briefs/{slugs[0]}/review", json=review, headers=writer)
            started = client.post("/api/v1/briefs/publish", json={"to": "webhook"}, headers=runner)
            assert started.status_code == 202
            drain(settings)
            run = client.get(started.headers["location"], headers=runner | writer)
        done = service.get_run(settings, started.json()["run_id"])
    assert done.status == "succeeded", done
    assert [e["data"]["brief"]["slug"] for e in fake.events] == [slugs[0]]
    assert run.status_code == 403  # reading a run takes the read scope


def test_run_limit_is_per_key(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(
        runner={"loops": loop_files(tmp_path / "loops")}, api={"limits": {"run": "2/minute"}}
    )
    app = create_app(settings)
    runner = bearer(new_key(app, Scope.run))
    with TestClient(app) as client:
        codes = [client.post("/api/v1/runs", json={"loop": "t"}, headers=runner) for _ in range(3)]
    assert [c.status_code for c in codes] == [202, 202, 429]
    assert codes[2].headers["retry-after"] and codes[2].headers["ratelimit-limit"] == "2"
    assert len(service.list_runs(settings).data) == 2


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
