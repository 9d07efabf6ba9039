"""The app database's side of the Jira sync: which Jira issue holds which ticket.

One row per (project, fingerprint), written right after Jira confirms each change, so a run
cut short loses nothing and the next run (seconds later, while Jira's search still lags)
finds what the last one created. Table made by appdb/migrations/versions/integrations_0003.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base, session_factory


class JiraTicketRow(Base):
    __tablename__ = "jira_tickets"

    project: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32), primary_key=True)
    issue_key: Mapped[str] = mapped_column(String(64))
    check: Mapped[str] = mapped_column(String(100))
    site: Mapped[str] = mapped_column(String(500))
    count: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # open, done
    attachment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Known:
    """A mapping row as plain data (what the pure planner compares)."""

    fingerprint: str
    issue_key: str
    check: str
    site: str
    count: int
    digest: str
    state: str
    attachment_id: str | None = None


def load(db_url: str, project: str) -> dict[str, Known]:
    query = select(JiraTicketRow).where(JiraTicketRow.project == project)
    with session_factory(db_url)() as session:
        return {
            r.fingerprint: Known(
                r.fingerprint,
                r.issue_key,
                r.check,
                r.site,
                r.count,
                r.digest,
                r.state,
                r.attachment_id,
            )
            for r in session.scalars(query)
        }


def save(db_url: str, project: str, rows: list[Known]) -> None:
    """Insert or replace rows in one transaction."""
    if not rows:
        return
    now = datetime.now(UTC)
    with session_factory(db_url)() as session, session.begin():
        keys = [r.fingerprint for r in rows]
        for start in range(0, len(keys), 500):
            session.execute(
                delete(JiraTicketRow).where(
                    JiraTicketRow.project == project,
                    JiraTicketRow.fingerprint.in_(keys[start : start + 500]),
                )
            )
        session.add_all(JiraTicketRow(project=project, updated_at=now, **r.__dict__) for r in rows)
