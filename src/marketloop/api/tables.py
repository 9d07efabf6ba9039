"""The API's tables in the app database (Alembic branch `api`):

api_keys           one row per key: public prefix, HMAC of the secret, scopes, expiry, usage
api_audit_log      one row per write action: who, which key, what, when, from where
api_idempotency    the stored first response of a POST per (key, Idempotency-Key)

Brief reviews live in the create stage's `content_reviews` (content/tune/reviews.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    request_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class AuditEntry(Base):
    __tablename__ = "api_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))  # the key's name, or the CLI user
    key_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(64))  # e.g. keys.create, plan.slip
    target: Mapped[str] = mapped_column(sa.String(300))
    client: Mapped[str] = mapped_column(sa.String(64))  # address, or "cli"
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class IdempotencyRecord(Base):
    __tablename__ = "api_idempotency"
    __table_args__ = (sa.UniqueConstraint("key_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_id: Mapped[int] = mapped_column(sa.Integer)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    status: Mapped[int | None] = mapped_column(sa.Integer)  # None while the first one runs
    body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
