"""The same app on a PostgreSQL app database: migrations, keys, usage, idempotency, events."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import bearer, key_id, new_key

from marketloop.api.app import create_app
from marketloop.api.scopes import Scope

pytestmark = pytest.mark.postgres


def test_keys_reviews_idempotency_and_audit_on_postgres(
    make_settings, seeded, postgres_url: str
) -> None:
    app = create_app(make_settings(app_db_url=postgres_url))
    admin, writer = new_key(app, Scope.admin), new_key(app, Scope.write, name="pg-writer")
    review = "/api/v1/briefs/content-brief-template/review"
    with TestClient(app, raise_server_exceptions=False) as client:
        made = client.post(
            "/api/v1/keys", headers=bearer(admin), json={"name": "n8n", "scopes": ["read"]}
        )
        assert made.status_code == 201
        assert client.get("/api/v1/scopes", headers=bearer(made.json()["key"])).status_code == 200
        headers = {**bearer(writer), "Idempotency-Key": "pg-1"}
        first = client.post(review, headers=headers, json={"decision": "approve"})
        again = client.post(review, headers=headers, json={"decision": "approve"})
        assert first.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        other = client.post(review, headers=headers, json={"decision": "reject"})
        assert other.status_code == 422
        gone = client.delete(f"/api/v1/keys/{key_id(app, writer)}", headers=bearer(admin))
        assert gone.status_code == 200
        assert client.post(review, headers=headers, json={"decision": "approve"}).status_code == 401
        log = client.get("/api/v1/audit-log", headers=bearer(admin)).json()["data"]
        assert [e["action"] for e in log] == ["keys.revoke", "briefs.approved", "keys.create"]
        app.state.api.usage.flush()
        listed = client.get("/api/v1/keys", headers=bearer(admin)).json()["data"]
        assert {k["name"]: k["request_count"] for k in listed}["n8n"] == 1
        assert client.get("/readyz").json()["checks"]["app_db"] == "ok"


def test_authorisation_matrix_on_postgres(make_settings, seeded, postgres_url: str) -> None:
    from tests.api.test_authorisation import LIMITS, walk_matrix

    app = create_app(make_settings(app_db_url=postgres_url, api={"limits": LIMITS}))
    keys = {str(s): new_key(app, s, name=f"{s}-key") for s in Scope}
    with TestClient(app, raise_server_exceptions=False) as client:
        walk_matrix(client, app, keys)
