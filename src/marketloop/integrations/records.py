"""What publishing leaves in the app database: every webhook delivery, every Notion publish.

Tables on `marketloop.appdb.Base`, created by the `integrations` Alembic branch
(appdb/migrations/versions/integrations_0001_publishing.py). URLs are stored redacted
(see redact.py); `url_key` identifies a URL without revealing it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base, open_app_db, session_factory


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_event_url", "event_id", "url_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))  # redacted
    url_key: Mapped[str] = mapped_column(String(16))
    delivered: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class NotionPublication(Base):
    __tablename__ = "notion_publications"
    __table_args__ = (Index("ix_notion_publications_marketloop_id", "marketloop_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    marketloop_id: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(16))  # created, updated, partial, failed
    page_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    blocks: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


def save(db_url: str, table: type[WebhookDelivery | NotionPublication], **values: Any) -> None:
    """Insert one row and commit (a Core insert: less than half the time of an ORM add)."""
    with open_app_db(db_url).begin() as connection:
        connection.execute(insert(table).values(created_at=_now(), **values))


def save_many(
    db_url: str, table: type[WebhookDelivery | NotionPublication], rows: list[dict[str, Any]]
) -> None:
    """Insert rows in one transaction: one commit (and one fsync) for a whole batch."""
    stamp = _now()
    with open_app_db(db_url).begin() as connection:
        connection.execute(insert(table), [{"created_at": stamp, **row} for row in rows])


def delivered_before(db_url: str, event_id: str, url_key: str) -> bool:
    query = select(WebhookDelivery.id).where(
        WebhookDelivery.event_id == event_id,
        WebhookDelivery.url_key == url_key,
        WebhookDelivery.delivered.is_(True),
    )
    with session_factory(db_url)() as session:
        return session.execute(query.limit(1)).first() is not None


def delivered_pairs(db_url: str, event_ids: list[str]) -> set[tuple[str, str]]:
    """(event_id, url_key) of every successful delivery of `event_ids`, in one query per 500."""
    found: set[tuple[str, str]] = set()
    with session_factory(db_url)() as session:
        for start in range(0, len(event_ids), 500):
            query = select(WebhookDelivery.event_id, WebhookDelivery.url_key).where(
                WebhookDelivery.event_id.in_(event_ids[start : start + 500]),
                WebhookDelivery.delivered.is_(True),
            )
            found.update((row[0], row[1]) for row in session.execute(query))
    return found


def recent_deliveries(db_url: str, limit: int = 50) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    with session_factory(db_url)() as session:
        return list(session.scalars(query))


def recent_publications(db_url: str, limit: int = 50) -> list[NotionPublication]:
    query = select(NotionPublication).order_by(NotionPublication.id.desc()).limit(limit)
    with session_factory(db_url)() as session:
        return list(session.scalars(query))
