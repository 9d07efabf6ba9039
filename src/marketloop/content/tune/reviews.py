"""Editor decisions on briefs (`content_reviews`): the approval state training sets are built
from. Append-only; the latest decision per slug counts, so a brief can be approved, rejected
and approved again, and the history stays.

    record(engine, ["crm-software"], "approved", reviewer="ada")
    latest(engine)["crm-software"].decision == "approved"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, insert, select

from marketloop.content.tune.tables import Review
from marketloop.errors import UsageError

Decision = Literal["approved", "rejected"]
DECISIONS = ("approved", "rejected")


@dataclass(frozen=True)
class ReviewState:
    slug: str
    decision: str
    reviewer: str | None
    at: datetime
    note: str | None = None


def record(
    engine: Engine,
    slugs: Sequence[str],
    decision: str,
    *,
    reviewer: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    """One decision on each of `slugs`, in one transaction."""
    if decision not in DECISIONS:
        raise UsageError(f"unknown review decision {decision!r}", hint="approved or rejected")
    if not slugs or not all(slug.strip() for slug in slugs):
        raise UsageError("a review needs the briefs' slugs")
    stamp = at or datetime.now(UTC)
    rows = [
        {"slug": s, "decision": decision, "reviewer": reviewer, "note": note, "created_at": stamp}
        for s in slugs
    ]
    with engine.begin() as connection:
        connection.execute(insert(Review), rows)


def latest(engine: Engine) -> dict[str, ReviewState]:
    """The latest decision per slug."""
    query = select(Review.slug, Review.decision, Review.reviewer, Review.created_at, Review.note)
    states: dict[str, ReviewState] = {}
    with engine.connect() as connection:
        for slug, decision, reviewer, at, note in connection.execute(query.order_by(Review.id)):
            states[slug] = ReviewState(slug, decision, reviewer, as_utc(at), note)
    return states


def as_utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
