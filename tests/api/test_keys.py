"""API keys: shown once, stored as prefix + HMAC with a pepper, 401 when missing, unknown,
revoked or expired; admin routes; usage counted without a write per request; the CLI."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.conftest import bearer, key_id, new_key
from tests.support.cli import run

from marketloop.api.app import create_app
from marketloop.api.keys import PEPPER_FILE
from marketloop.api.scopes import Scope
from marketloop.api.tables import ApiKey
from marketloop.cli import app as cli_app
from marketloop.errors import ConfigError


def test_only_prefix_and_hmac_are_stored(app, client: TestClient) -> None:
    key = new_key(app, Scope.read)
    with Session(app.state.api.engine) as session:
        row = session.scalars(select(ApiKey)).one()
    assert key.startswith(row.prefix + "_") and key not in {row.digest, row.prefix}
    assert len(row.digest) == 64
    assert client.get("/api/v1/scopes", headers=bearer(key)).status_code == 200


def test_same_key_under_another_pepper_is_unknown(make_settings, workspace) -> None:
    first = create_app(make_settings(api={"pepper": "a" * 64}))
    key = new_key(first, Scope.read)
    second = create_app(make_settings(api={"pepper": "b" * 64}))
    with TestClient(second, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/scopes", headers=bearer(key)).status_code == 401


def test_revoked_and_expired_keys_are_401(app, client: TestClient, keys) -> None:
    soon = new_key(app, Scope.read, expires=datetime.now(UTC) - timedelta(seconds=1))
    expired = client.get("/api/v1/scopes", headers=bearer(soon))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    victim = new_key(app, Scope.read, name="victim")
    assert client.get("/api/v1/scopes", headers=bearer(victim)).status_code == 200  # now cached
    gone = client.delete(f"/api/v1/keys/{key_id(app, victim)}", headers=bearer(keys["admin"]))
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    revoked = client.get("/api/v1/scopes", headers=bearer(victim))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
    assert client.delete("/api/v1/keys/999999", headers=bearer(keys["admin"])).status_code == 404


def test_create_through_the_api_shows_the_key_once(client: TestClient, keys) -> None:
    made = client.post(
        "/api/v1/keys",
        headers=bearer(keys["admin"]),
        json={"name": "<script>n8n</script>", "scopes": ["read", "run"], "expires": "30d"},
    )
    assert made.status_code == 201
    body = made.json()
    assert client.get("/api/v1/scopes", headers=bearer(body["key"])).status_code == 200
    listed = client.get("/api/v1/keys", headers=bearer(keys["admin"])).json()["data"]
    assert body["key"] not in json.dumps(listed)
    assert {k["name"] for k in listed} >= {"<script>n8n</script>"}
    bad = client.post(
        "/api/v1/keys", headers=bearer(keys["admin"]), json={"name": "x", "scopes": ["root"]}
    )
    assert bad.status_code == 422


def test_usage_is_counted_in_memory_and_flushed(app, client: TestClient) -> None:
    key = new_key(app, Scope.read)
    for _ in range(5):
        client.get("/api/v1/scopes", headers=bearer(key))
    with Session(app.state.api.engine) as session:
        assert session.scalars(select(ApiKey)).one().request_count == 0  # not written yet
    app.state.api.usage.flush()
    with Session(app.state.api.engine) as session:
        row = session.scalars(select(ApiKey)).one()
    assert row.request_count == 5 and row.last_used_at is not None


def test_pepper_is_required_outside_local_mode(make_settings) -> None:
    with pytest.raises(ConfigError, match=r"api\.pepper is not set"):
        create_app(make_settings(mode="production"))
    with pytest.raises(ConfigError, match="MARKETLOOP_API_PEPPER"):
        create_app(make_settings(mode="production", api={"pepper": "changeme"}))
    create_app(make_settings(mode="production", api={"pepper": "x" * 64}))


def test_local_pepper_is_generated_private_and_kept(make_settings, workspace) -> None:
    first = create_app(make_settings())
    path = workspace.root / PEPPER_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = new_key(first, Scope.read)
    again = create_app(make_settings())
    with TestClient(again) as client:
        assert client.get("/api/v1/scopes", headers=bearer(key)).status_code == 200
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        create_app(make_settings())


def test_cli_create_list_revoke_audit(cli, workspace) -> None:
    ws = ["--workspace", str(workspace.root)]
    made = cli.invoke(
        cli_app,
        [
            "keys",
            "create",
            "--name",
            "zap [/]",
            "--scopes",
            "read,run",
            "--expires",
            "90d",
            "--format",
            "json",
            *ws,
        ],
    )
    assert made.exit_code == 0, made.output
    assert "`marketloop keys create --scopes` is deprecated" in made.stderr  # still works
    body = json.loads(made.stdout)
    assert body["key"].startswith(body["prefix"] + "_") and body["scopes"] == ["read", "run"]
    listed = cli.invoke(cli_app, ["keys", "list", "--format", "json", *ws])
    assert body["key"] not in listed.stdout and json.loads(listed.stdout)[0]["name"] == "zap [/]"
    table = cli.invoke(cli_app, ["keys", "list", *ws])
    assert table.exit_code == 0 and "zap" in table.stdout  # "[/]" is data, not Rich markup
    assert cli.invoke(cli_app, ["keys", "revoke", str(body["id"]), *ws]).exit_code == 0
    audit = json.loads(cli.invoke(cli_app, ["keys", "audit", "--format", "json", *ws]).stdout)
    assert [e["action"] for e in audit] == ["keys.revoke", "keys.create"]


def test_cli_errors_are_one_line(workspace) -> None:
    ws = ["--workspace", str(workspace.root)]
    code, _, err = run("keys", "create", "--name", "x", "--scope", "sudo", *ws)
    assert code == 2 and "unknown scope sudo" in err
    code, _, err = run("keys", "create", "--name", "x", "--scope", "", *ws)
    assert code == 2 and "--scope" in err  # an empty list: refused, not a crash
    code, _, err = run(
        "keys", "create", "--name", "x", "--scope", "read", "--expires", "2001-01-01", *ws
    )
    assert code == 2 and "in the past" in err
    code, _, err = run("keys", "revoke", "999", *ws)
    assert code == 3 and "no API key with id 999" in err
