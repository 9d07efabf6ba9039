"""Runs and their steps: rows in the app database (migrations: runner_0001, runner_0002).

A run keeps the loop as it was when the run started (`definition`), so a worker needs no loop
file and a run's history does not change when the file does. Schedules keep the slot each loop
(or scheduled step) last fired, so a missed slot fires once, and one worker fires it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.appdb import Base


class RunRow(Base):
    __tablename__ = "runner_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    loop: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # manual, schedule, step
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StepRow(Base):
    __tablename__ = "runner_steps"

    run_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("runner_runs.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)


class ScheduleRow(Base):
    __tablename__ = "runner_schedules"

    loop: Mapped[str] = mapped_column(String(100), primary_key=True)
    step: Mapped[str] = mapped_column(String(100), primary_key=True)  # "" for the whole loop
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    last_slot: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: first sight of this schedule (or of its new cron): a loop never succeeded is stale from here
    registered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


#: the tables themselves, for SQLAlchemy Core on the hot path (settle.py, Store.begin_step)
RUNS = cast(Table, RunRow.__table__)
STEPS = cast(Table, StepRow.__table__)
