"""The create stage's tables in the app database (Alembic branch `content`):

content_llm_calls     the token and cost ledger: one row per LLM call (or cache hit)
content_eval_runs     one row per `marketloop eval run`
content_eval_results  one row per case × prompt variant × model of a run
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base


class LlmCall(Base):
    __tablename__ = "content_llm_calls"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(sa.String(32))  # brief | draft | judge | reask
    label: Mapped[str] = mapped_column(sa.String(200))  # the brief slug or eval case id
    model: Mapped[str] = mapped_column(sa.String(200))
    prompt_version: Mapped[str | None] = mapped_column(sa.String(100))
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(sa.Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)
    cache_hit: Mapped[bool] = mapped_column(default=False)
    retries: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(32))  # ok | invalid | refused | error


class EvalRun(Base):
    __tablename__ = "content_eval_runs"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    suite: Mapped[str] = mapped_column(sa.String(200))
    suite_path: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    variants: Mapped[list[str]] = mapped_column(sa.JSON)
    models: Mapped[list[str]] = mapped_column(sa.JSON)
    cases: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16))  # running | finished | failed


class EvalResult(Base):
    __tablename__ = "content_eval_results"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        sa.ForeignKey("content_eval_runs.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[str] = mapped_column(sa.String(200))
    variant: Mapped[str] = mapped_column(sa.String(200))
    model: Mapped[str] = mapped_column(sa.String(200))
    passed: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)  # share of assertions passed
    assertions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    judge: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    prompt_versions: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    latency_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(sa.Float, default=0.0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    output: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the brief and the draft
