"""Inbound hooks over HTTP: a Standard Webhooks signature (replayed, old, future, forged) or an
API key with the run scope starts the mapped loop or step; and /readyz checks the queue."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import bearer, new_key
from tests.api.test_runs import loop_files

from marketloop.api.app import create_app
from marketloop.api.hooks import sign
from marketloop.api.scopes import Scope
from marketloop.config import Settings
from marketloop.runner import service

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b'{"event": "form.submitted", "name": "<script>alert(1)</script>"}'
HOOKS = {
    "zapier": {"secret": SECRET, "target": "t"},
    "n8n": {"secret": SECRET, "target": "t", "step": "second"},
    "gone": {"secret": SECRET, "target": "deleted-loop"},
    "bare": {"secret": SECRET},
}


@pytest.fixture
def hook_settings(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    return make_settings(runner={"loops": loop_files(tmp_path / "loops")}, api={"hooks": HOOKS})


@pytest.fixture
def app(hook_settings: Settings) -> FastAPI:
    return create_app(hook_settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def signed(msg: str, at: float | None = None, body: bytes = BODY, secret: str = SECRET) -> dict:
    stamp = int(time.time() if at is None else at)
    return {
        "webhook-id": msg,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, msg, stamp, body),
        "content-type": "application/json",
    }


def test_a_signed_hook_starts_its_loop_once_per_message(
    client: TestClient, app: FastAPI, hook_settings: Settings
) -> None:
    headers = signed("msg_1")
    first = client.post("/api/v1/hooks/zapier", content=BODY, headers=headers)
    assert first.status_code == 202, first.text
    run = first.json()
    assert run["trigger"] == "hook" and run["loop"] == "t" and len(run["steps"]) == 3
    assert first.headers["location"] == f"/api/v1/runs/{run['run_id']}"
    replay = client.post("/api/v1/hooks/zapier", content=BODY, headers=headers)
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["run_id"] == run["run_id"]
    step = client.post("/api/v1/hooks/n8n", content=BODY, headers=signed("msg_2"))
    assert [s["name"] for s in step.json()["steps"]] == ["second"]
    assert len(service.list_runs(hook_settings).data) == 2  # the replay started nothing
    log = client.get("/api/v1/audit-log", headers=bearer(new_key(app, Scope.admin))).json()
    assert [(e["action"], e["actor"], e["key_id"]) for e in log["data"]] == [
        ("hooks.n8n", "hook:n8n", None),
        ("hooks.zapier", "hook:zapier", None),
    ]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (lambda: signed("msg_old", time.time() - 301), BODY),  # replayed after the window
        (lambda: signed("msg_future", time.time() + 600), BODY),  # from the future
        (lambda: signed("msg_forged", secret="whsec_" + "QUJD" * 8), BODY),  # wrong secret
        (lambda: signed("msg_body"), BODY + b" "),  # the body changed after signing
        (lambda: {**signed("msg_x"), "webhook-signature": "v1,<script>"}, BODY),
        (lambda: {**signed("msg_y"), "webhook-timestamp": "=HYPERLINK(1)"}, BODY),
        (lambda: {**signed("msg_z"), "webhook-id": ""}, BODY),
    ],
)
def test_bad_signatures_are_401_and_start_nothing(
    client: TestClient, hook_settings: Settings, headers: Callable[[], dict], body: bytes
) -> None:
    response = client.post("/api/v1/hooks/zapier", content=body, headers=headers())
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "www-authenticate" in response.headers
    assert service.list_runs(hook_settings).data == []


def test_a_run_key_may_call_a_hook_too(client: TestClient, app: FastAPI) -> None:
    runner, reader = bearer(new_key(app, Scope.run)), bearer(new_key(app, Scope.read))
    keyed = {**runner, "Idempotency-Key": "k1", "content-type": "application/json"}
    first = client.post("/api/v1/hooks/zapier", content=BODY, headers=keyed)
    assert first.status_code == 202
    assert client.post("/api/v1/hooks/zapier", content=BODY, headers=keyed).json() == first.json()
    assert client.post("/api/v1/hooks/zapier", content=BODY, headers=reader).status_code == 403
    assert client.post("/api/v1/hooks/zapier", content=BODY).status_code == 401


def test_unknown_and_broken_hooks(client: TestClient, app: FastAPI) -> None:
    unknown = client.post("/api/v1/hooks/make", content=BODY, headers=signed("msg_3"))
    assert unknown.status_code == 404
    runner = bearer(new_key(app, Scope.run))
    assert client.post("/api/v1/hooks/make", headers=runner).status_code == 404
    gone = client.post("/api/v1/hooks/gone", content=BODY, headers=signed("msg_4"))
    assert gone.status_code == 404 and "deleted-loop" in gone.json()["detail"]
    bare = client.post("/api/v1/hooks/bare", content=BODY, headers=signed("msg_7"))
    assert bare.status_code == 404 and "no loop" in bare.json()["detail"]
    hostile = client.post("/api/v1/hooks/%3Cscript%3E", content=BODY, headers=signed("msg_5"))
    assert hostile.status_code in (404, 422)
    traversal = client.post("/api/v1/hooks/..%2F..%2Fetc", content=BODY, headers=signed("m6"))
    assert traversal.status_code in (404, 422)


def test_readyz_checks_the_queue_without_details(
    make_settings: Callable[..., Settings], client: TestClient
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["queue"] == "ok"
    down = create_app(make_settings(runner={"queue": "redis://:hunter2@127.0.0.1:1/0"}))
    with TestClient(down) as other:
        answer = other.get("/readyz")
    assert answer.status_code == 503 and answer.json()["checks"]["queue"] == "unavailable"
    assert "127.0.0.1" not in answer.text and "hunter2" not in answer.text
