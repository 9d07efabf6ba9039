"""Which briefs are published, where, and since when: the app database's record that closes the
loop (the quality stage loads it into the warehouse, where the `content_performance` mart
measures each published URL before and after its publication; docs/quality.md).

One row per brief (`slug`). Publishing a brief (Notion page created or updated, webhook event
delivered) records it with the time of its first successful publication and its `target_url`
(update and consolidate briefs); a new piece has no URL until it goes live, when
`marketloop briefs live SLUG --url URL [--at DATE]` records its URL and go-live time (also used
to correct either). Table on `marketloop.appdb.Base`, created by the `integrations` Alembic
branch (integrations_0002_published_briefs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base, session_factory
from marketloop.content.brief import Brief

COLUMNS = ("slug", "cluster", "action", "url", "published_at", "channel", "recorded_at")


class PublishedBrief(Base):
    __tablename__ = "published_briefs"

    slug: Mapped[str] = mapped_column(String(300), primary_key=True)
    cluster: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(16))  # new, update, consolidate
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(16))  # notion, webhook, live (set by hand)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def record_published(db_url: str, brief: Brief, channel: str, at: datetime | None = None) -> None:
    """Note that `brief` was published: the first publication wins, later ones change nothing
    (re-publishing a Notion page in place is not a new publication)."""
    now = datetime.now(UTC)
    try:
        with session_factory(db_url).begin() as session:
            if session.get(PublishedBrief, brief.slug) is not None:
                return
            session.add(
                PublishedBrief(
                    slug=brief.slug,
                    cluster=brief.cluster,
                    action=brief.action,
                    url=brief.target_url,
                    published_at=at or now,
                    channel=channel,
                    recorded_at=now,
                )
            )
    except IntegrityError:
        return  # another channel's publish step (run side by side) recorded it first: it wins


def mark_live(
    db_url: str, slug: str, url: str, at: datetime, brief: Brief | None = None
) -> dict[str, Any]:
    """Record (or correct) the live URL of a brief and when it went live; returns the row."""
    now = datetime.now(UTC)
    with session_factory(db_url).begin() as session:
        row = session.get(PublishedBrief, slug)
        if row is None:
            row = PublishedBrief(
                slug=slug,
                cluster=brief.cluster if brief else slug,
                action=brief.action if brief else "new",
                channel="live",
            )
            session.add(row)
        row.url, row.published_at, row.recorded_at = url, at, now
        row.channel = "live"
        return _as_dict(row)


def published_briefs(db_url: str) -> list[dict[str, Any]]:
    """Every published brief, oldest publication first (times in UTC)."""
    query = select(PublishedBrief).order_by(PublishedBrief.published_at, PublishedBrief.slug)
    with session_factory(db_url)() as session:
        return [_as_dict(row) for row in session.scalars(query)]


def _as_dict(row: PublishedBrief) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in COLUMNS}
    for name in ("published_at", "recorded_at"):
        stamp = values[name]
        if stamp is not None and stamp.tzinfo is None:  # SQLite drops the offset; stored as UTC
            values[name] = stamp.replace(tzinfo=UTC)
    return values
