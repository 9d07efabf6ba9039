"""The authorisation matrix: every operation of the OpenAPI schema, with no key, with a key
that lacks the route's scope, and with a key that has it; and the scope table is complete."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, bearer, key_id, new_key

from marketloop.api.scopes import DESCRIPTIONS, PUBLIC, ROUTES, Scope

PATH_VALUES = {
    "crawl_id": CRAWL_ID,
    "mart": "page_performance",
    "slug": "content-brief-template",
    "run_id": "ev_1",
    "name": "weekly",
    "step": "audit",
    "escalation_id": "deadbeef",
}
BODIES: dict[str, Any] = {
    "/api/v1/plan/events": {"kind": "done", "task": "day01"},
    "/api/v1/briefs/{slug}/review": {"decision": "approve", "comment": "ok"},
    "/api/v1/keys": {"name": "made-in-matrix", "scopes": ["read"]},
    "/api/v1/runs": {"loop": "weekly"},
    "/api/v1/briefs/publish": {"to": "webhook"},
}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
#: the matrix calls every route twice without a key: more than the default anonymous limit
LIMITS = {"anonymous": "10000/minute", "run": "10000/minute"}


@pytest.fixture
def settings(make_settings):
    return make_settings(api={"limits": LIMITS})


def operations(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return sorted((m.upper(), p) for p, ops in schema["paths"].items() for m in ops)


def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], victim: int = 0
) -> Any:
    url = path.replace("{key_id}", str(victim))
    for name, value in PATH_VALUES.items():
        url = url.replace("{" + name + "}", value)
    return client.request(method, url, headers=headers, json=BODIES.get(path))


def test_every_route_has_a_scope_and_every_scope_a_description(client: TestClient) -> None:
    assert set(operations(client)) == set(ROUTES)
    assert set(DESCRIPTIONS) == set(Scope)
    assert {s for s in ROUTES.values() if s != PUBLIC} <= set(Scope)


def test_matrix(client: TestClient, app, seeded, keys) -> None:
    walk_matrix(client, app, keys)


def walk_matrix(client: TestClient, app: Any, keys: dict[str, str]) -> None:
    """Every operation: no key, a malformed key, every wrong scope, the right scope."""
    victim = key_id(app, new_key(app, Scope.read, name="victim"))  # what DELETE revokes
    for method, path in operations(client):
        needed = ROUTES[(method, path)]
        if needed == PUBLIC:
            assert call(client, method, path, {}).status_code == 200, path
            continue
        anonymous = call(client, method, path, {})
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["www-authenticate"].startswith('Bearer realm="marketloop"')
        assert set(anonymous.json()) >= PROBLEM_KEYS
        garbage = call(client, method, path, bearer("mlk_AAAAAAAAAA_" + "A" * 40))
        assert (
            garbage.status_code == 401
            and 'error="invalid_token"' in garbage.headers["www-authenticate"]
        )
        for scope in Scope:
            if scope == needed:
                continue
            wrong = call(client, method, path, bearer(keys[str(scope)]))
            assert wrong.status_code == 403, (method, path, scope, wrong.text)
            assert wrong.headers["content-type"] == "application/problem+json"
        right = call(client, method, path, bearer(keys[str(needed)]), victim)
        assert right.status_code not in (401, 403) and right.status_code < 500, (
            method,
            path,
            right.status_code,
            right.text[:300],
        )


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer  ",
        "bearer x y",
        "Token mlk_x",
        "Bearer \u00e9\u00e9",
        "Bearer mlk_\x00",
    ],
)
def test_malformed_authorization_is_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/scopes", headers={"Authorization": header.encode()})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
