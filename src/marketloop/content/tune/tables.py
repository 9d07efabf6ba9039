"""The tuning tables in the app database (Alembic branch `content`, content_0002):

content_reviews    one row per editor decision on a brief (approved | rejected); the latest
                   row per slug is the brief's review state
content_tune_jobs  one row per `marketloop tune start` (hosted or local)

`content_reviews` is deliberately tiny (slug, decision, reviewer, note, time) so that any face
(CLI `tune review`, an API route, the dashboard) can write it through `reviews.record`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base


class Review(Base):
    __tablename__ = "content_reviews"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(sa.String(200), index=True)
    decision: Mapped[str] = mapped_column(sa.String(16))  # approved | rejected
    reviewer: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TuneJob(Base):
    __tablename__ = "content_tune_jobs"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(16))  # openai | local
    base_model: Mapped[str] = mapped_column(sa.Text)
    dataset: Mapped[str] = mapped_column(sa.Text)
    external_id: Mapped[str | None] = mapped_column(sa.String(200))  # ftjob-… at the provider
    status: Mapped[str] = mapped_column(sa.String(32))
    result_model: Mapped[str | None] = mapped_column(sa.Text)  # ft:… model id or adapter folder
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
