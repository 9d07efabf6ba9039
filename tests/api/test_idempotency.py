"""Idempotency-Key with Stripe's semantics on the POSTs that do work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketloop.api.tables import AuditEntry, IdempotencyRecord

REVIEW = "/api/v1/briefs/content-brief-template/review"


def _count(app, action: str) -> int:
    with Session(app.state.api.engine) as session:
        return len(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_same_key_same_request_replays_without_doing_it_again(
    app, client: TestClient, seeded, keys
) -> None:
    headers = {"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "k-1"}
    first = client.post(REVIEW, headers=headers, json={"decision": "approve", "comment": "ok"})
    again = client.post(REVIEW, headers=headers, json={"comment": "ok", "decision": "approve"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert _count(app, "briefs.approved") == 1


def test_same_key_other_body_is_refused(client: TestClient, seeded, keys) -> None:
    headers = {"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "k-2"}
    client.post(REVIEW, headers=headers, json={"decision": "approve"})
    other = client.post(REVIEW, headers=headers, json={"decision": "reject"})
    assert other.status_code == 422 and "different request" in other.json()["detail"]


def test_nothing_is_stored_when_validation_fails(app, client: TestClient, seeded, keys) -> None:
    headers = {"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "k-3"}
    assert client.post(REVIEW, headers=headers, json={"decision": "maybe"}).status_code == 422
    fixed = client.post(REVIEW, headers=headers, json={"decision": "reject"})
    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers
    failed = client.post(
        "/api/v1/briefs/no-such-brief/review",
        json={"decision": "reject"},
        headers={**headers, "Idempotency-Key": "k-4"},
    )
    assert failed.status_code == 404
    with Session(app.state.api.engine) as session:
        stored = session.scalars(select(IdempotencyRecord.idempotency_key)).all()
    assert stored == ["k-3"]


def test_keys_expire_after_the_window(app, client: TestClient, seeded, keys) -> None:
    headers = {"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "k-5"}
    client.post(REVIEW, headers=headers, json={"decision": "approve"})
    with Session(app.state.api.engine) as session, session.begin():
        session.execute(
            update(IdempotencyRecord).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    later = client.post(REVIEW, headers=headers, json={"decision": "reject"})
    assert later.status_code == 201 and later.json()["decision"] == "rejected"


def test_keys_belong_to_one_api_key(app, client: TestClient, seeded, keys) -> None:
    body = {"decision": "approve"}
    client.post(
        REVIEW,
        json=body,
        headers={"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "shared"},
    )
    from tests.api.conftest import new_key

    from marketloop.api.scopes import Scope

    other = new_key(app, Scope.write, name="other")
    second = client.post(
        REVIEW, json=body, headers={"Authorization": f"Bearer {other}", "Idempotency-Key": "shared"}
    )
    assert "idempotent-replayed" not in second.headers and _count(app, "briefs.approved") == 2


def test_bad_idempotency_keys(client: TestClient, seeded, keys) -> None:
    for bad in ("", "x" * 256, "caf\u00e9"):
        response = client.post(
            REVIEW,
            json={"decision": "approve"},
            headers={"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": bad.encode()},
        )
        assert response.status_code == 400, bad


def test_a_key_still_running_is_409(app, client: TestClient, seeded, keys) -> None:
    from tests.api.conftest import key_id

    from marketloop.api.idempotency import request_hash

    body = b'{"decision": "approve"}'
    with Session(app.state.api.engine) as session, session.begin():
        session.add(
            IdempotencyRecord(
                key_id=key_id(app, keys["write"]),
                idempotency_key="busy",
                request_hash=request_hash("POST", REVIEW, "", body),
                created_at=datetime.now(UTC),
            )
        )  # the first request with this key has not answered yet
    response = client.post(
        REVIEW,
        content=body,
        headers={
            "Authorization": f"Bearer {keys['write']}",
            "Idempotency-Key": "busy",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 409 and "still running" in response.json()["detail"]
    assert _count(app, "briefs.approved") == 0
