"""The plan's append-only event log in the app database.

`EventLog` can add an event and read them all back; it has no way to change or remove one, and
the database refuses to as well (triggers on SQLite and PostgreSQL reject UPDATE and DELETE on
`plan_events`; see the `plan_0001` migration). A new baseline is an event too, and the unique
(plan, baseline version) pair stops two people from recording the same version at once.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Engine,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketloop.appdb import Base
from marketloop.errors import PlanError
from marketloop.plan.events import KINDS, Event, EventKind


class PlanEventRow(Base):
    __tablename__ = "plan_events"
    __table_args__ = (
        UniqueConstraint("plan_id", "baseline_version"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    task: Mapped[str | None] = mapped_column(String(64))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    baseline_version: Mapped[int | None] = mapped_column(Integer)


class EventLog:
    """Append and read the events of one plan (by the plan's `id`)."""

    def __init__(self, engine: Engine, plan_id: str, actor: str | None = None) -> None:
        self.engine = engine
        self.plan_id = plan_id
        self.actor = actor  # who records (the API key's name); default: the OS user

    def who(self) -> str:
        """Who records: the API key's name, else the OS user."""
        return self.actor or _whoami()

    def events(self) -> list[Event]:
        query = (
            select(PlanEventRow)
            .where(PlanEventRow.plan_id == self.plan_id)
            .order_by(PlanEventRow.id)
        )
        with Session(self.engine) as session:
            return [_to_event(row) for row in session.scalars(query)]

    def append(self, event: Event, actor: str | None = None) -> Event:
        row = PlanEventRow(
            plan_id=self.plan_id,
            kind=event.kind,
            task=event.task,
            effective_at=event.at.astimezone(UTC),
            recorded_at=datetime.now(UTC),
            actor=actor or self.who(),
            data=dict(event.data),
            baseline_version=event.data.get("version") if event.kind == "rebaseline" else None,
        )
        try:
            with Session(self.engine) as session, session.begin():
                session.add(row)
                session.flush()
                seq = row.id
        except IntegrityError:
            raise PlanError(
                f"baseline version {event.data.get('version')} of plan {self.plan_id} was "
                "recorded by someone else a moment ago",
                hint="run `marketloop plan status` to see the new baseline, then decide again",
            ) from None
        return Event(event.kind, event.at, event.task, event.data, seq)


def _to_event(row: PlanEventRow) -> Event:
    at = row.effective_at if row.effective_at.tzinfo else row.effective_at.replace(tzinfo=UTC)
    kind: EventKind = row.kind  # type: ignore[assignment]  # the CHECK constraint holds it
    return Event(kind, at, row.task, row.data, row.id)


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
