"""Every message marketloop sends on a channel is a row in `notification_deliveries`: one per
attempt, delivered or not (with the error), so a sent one is never sent again and a failed one
is retried by the next run.

    key       what it is about: `run-<id>` (a run alert), `esc/<plan>/<hash>` (an escalation),
              `digest/<plan>/<kind>/<date>` (a stand-up digest, a triage reminder, ...)
    channel   where: slack:#channel, slack:@person, pagerduty:SERVICE, email:someone@example.com
    action    send | remind (a reminder of an unresolved one) | resolve (PagerDuty, cleared)
    detail    what the service gave back: a Slack `ts` (a thread's parent), a PagerDuty dedup
              key, an email Message-ID
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base, open_app_db, session_factory

SENT = ("send", "remind")


class NotificationDelivery(Base):
    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(200))
    delivered: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(20), default="send", server_default="send")
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)


@dataclass(frozen=True)
class Sent:
    key: str
    channel: str
    action: str
    detail: str | None
    at: datetime


class Deliveries:
    """The delivery log of one app database."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        open_app_db(db_url)

    def record(
        self,
        key: str,
        channel: str,
        *,
        error: str | None = None,
        action: str = "send",
        detail: str | None = None,
        at: datetime | None = None,
    ) -> None:
        row = {"key": key[:200], "channel": channel[:200], "delivered": error is None,
               "error": error, "action": action, "detail": detail and detail[:300]}  # fmt: skip
        with open_app_db(self.db_url).begin() as connection:
            connection.execute(
                # in UTC: SQLite keeps the wall time and drops the zone
                insert(NotificationDelivery).values(
                    created_at=(at or datetime.now(UTC)).astimezone(UTC), **row
                )
            )

    def last(self, key: str, channel: str, actions: tuple[str, ...] = SENT) -> Sent | None:
        """The newest delivered row of `key` on `channel` with one of `actions`."""
        found = self.delivered(key, channel, actions)
        return found[-1] if found else None

    def delivered(
        self, key: str | None, channel: str | None = None, actions: tuple[str, ...] = SENT,
        *, key_prefix: str | None = None,
    ) -> list[Sent]:  # fmt: skip
        """Delivered rows, oldest first: of `key` (or every key starting with `key_prefix`),
        on `channel` (or any), with one of `actions`."""
        t = NotificationDelivery
        query = select(t).where(t.delivered.is_(True), t.action.in_(actions))
        if key is not None:
            query = query.where(t.key == key)
        if key_prefix is not None:
            query = query.where(t.key.startswith(key_prefix, autoescape=True))
        if channel is not None:
            query = query.where(t.channel == channel)
        with session_factory(self.db_url)() as session:
            rows = session.scalars(query.order_by(t.created_at, t.id)).all()
        return [Sent(r.key, r.channel, r.action, r.detail, _utc(r.created_at)) for r in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone
