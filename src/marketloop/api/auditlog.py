"""The audit log: one row per write action (who, which key, what, when, from where).

The API records every POST and DELETE that changes something; `marketloop keys create|revoke`
record theirs with `client="cli"`. `marketloop keys audit` and `GET /api/v1/audit-log` read it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from marketloop.api.tables import AuditEntry


def record(
    engine: Engine,
    *,
    actor: str,
    key_id: int | None,
    action: str,
    target: str,
    client: str,
    detail: dict[str, Any] | None = None,
) -> None:
    entry = AuditEntry(
        at=datetime.now(UTC), actor=actor[:120], key_id=key_id, action=action,
        target=target[:300], client=client[:64], detail=detail or {},
    )  # fmt: skip
    with Session(engine) as session, session.begin():
        session.add(entry)


def entries(engine: Engine, *, limit: int, before: int | None = None) -> list[dict[str, Any]]:
    """Newest first; `before` is the id of the last entry of the previous page."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    with Session(engine) as session:
        return [
            {"id": e.id, "at": e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC),
             "actor": e.actor, "key_id": e.key_id, "action": e.action, "target": e.target,
             "client": e.client, "detail": e.detail}
            for e in session.scalars(query)
        ]  # fmt: skip
