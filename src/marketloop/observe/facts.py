"""Facts that live in the app database, read when Prometheus scrapes (never pushed): runs by
loop and status, each loop's last success, schedule interval and registration (first sight of
its schedule, so a loop that never succeeded can be stale too), source freshness (from the
newest `quality` step's facts), the queue depth (steps enqueued and not started).

From the settings: the LLM budget, and each source's freshness threshold, taken from the same
`[quality.freshness.SOURCE] load_warn_hours` that dbt's source freshness uses (one truth).

A database that cannot be read gives no facts for that scrape (and `marketloop_facts_up 0`),
never a failed /metrics: the process metrics stay visible while the database is away.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from marketloop.quality.config import QualitySettings
from marketloop.runner.model import Schedule
from marketloop.runner.schedule import next_slots
from marketloop.runner.tables import RunRow, ScheduleRow, StepRow

log = structlog.get_logger("marketloop.observe")


class DatabaseFacts(Collector):
    def __init__(
        self,
        engine: Engine,
        monthly_budget: float | None = None,
        freshness_thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.engine = engine
        self.monthly_budget = monthly_budget
        self.freshness_thresholds = dict(freshness_thresholds or {})

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("marketloop_facts_up", "1 when the app database could be read")
        try:
            with Session(self.engine) as session:
                families = list(_families(session))
        except Exception as exc:
            log.warning("metrics: app database unreadable", error=str(exc))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        if self.monthly_budget is not None:
            budget = GaugeMetricFamily(
                "marketloop_llm_monthly_budget_usd", "The monthly LLM budget in the settings"
            )
            budget.add_metric([], self.monthly_budget)
            yield budget
        threshold = GaugeMetricFamily(
            "marketloop_source_freshness_threshold_seconds",
            "Age of a source's newest load past which SourceStale fires "
            "([quality.freshness.SOURCE] load_warn_hours)",
            labels=["source"],
        )
        for source, seconds in sorted(self.freshness_thresholds.items()):
            threshold.add_metric([source], seconds)
        yield threshold


def _families(session: Session) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "marketloop_loop_runs",
        "Runs by loop and status (finished and not)",
        labels=["loop", "status"],
    )
    counted = session.execute(
        select(RunRow.loop, RunRow.status, func.count()).group_by(RunRow.loop, RunRow.status)
    )
    for loop, status, count in counted:
        runs.add_metric([loop, status], count)
    yield runs

    last = GaugeMetricFamily(
        "marketloop_loop_last_success_timestamp_seconds",
        "When the loop's newest successful run finished (Unix time)",
        labels=["loop"],
    )
    newest = session.execute(
        select(RunRow.loop, func.max(RunRow.finished_at))
        .where(RunRow.status == "succeeded")
        .group_by(RunRow.loop)
    )
    for loop, finished in newest:
        if finished is not None:
            last.add_metric([loop], _aware(finished).timestamp())
    yield last

    interval = GaugeMetricFamily(
        "marketloop_loop_schedule_interval_seconds",
        "Seconds between two slots of the loop's schedule (whole-loop schedules only)",
        labels=["loop"],
    )
    registered = GaugeMetricFamily(
        "marketloop_loop_registered_timestamp_seconds",
        "When a worker first saw the loop's schedule, or its changed cron (Unix time)",
        labels=["loop"],
    )
    for row in session.scalars(select(ScheduleRow).where(ScheduleRow.step == "")):
        interval.add_metric([row.loop], schedule_interval(row.cron, row.timezone))
        since = row.registered_at or row.last_slot
        registered.add_metric([row.loop], _aware(since).timestamp())
    yield interval
    yield registered

    depth = GaugeMetricFamily(
        "marketloop_queue_depth", "Steps enqueued for a worker and not started yet"
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(StepRow)
        .where(StepRow.status == "pending", StepRow.enqueued_at.is_not(None))
    )
    depth.add_metric([], waiting or 0)
    yield depth
    yield _freshness(session)


def _freshness(session: Session) -> Metric:
    """Seconds since each source's newest load, from the newest quality step that saw it."""
    family = GaugeMetricFamily(
        "marketloop_source_freshness_seconds",
        "Seconds since the source's newest load into the warehouse (newest quality check)",
        labels=["source"],
    )
    moment = datetime.now(UTC)
    for source, when in newest_loads(session).items():
        family.add_metric([source], max((moment - when).total_seconds(), 0.0))
    return family


def newest_loads(session: Session) -> dict[str, datetime]:
    """Source → its newest load into the warehouse, as the newest finished quality step saw
    it (the facts `quality` records); sorted by source, empty before any quality run."""
    facts: Any = session.scalars(
        select(StepRow.facts)
        .where(StepRow.action == "quality", StepRow.status.in_(("succeeded", "failed")))
        .order_by(StepRow.finished_at.desc())
        .limit(1)
    ).first()
    loaded: dict[str, Any] = (facts or {}).get("loaded") or {}
    found = {}
    for source, at in sorted(loaded.items()):
        if isinstance(at, str):
            try:
                found[source] = _aware(datetime.fromisoformat(at))
            except ValueError:
                continue
    return found


def schedule_interval(cron: str, timezone: str) -> float:
    first, second = next_slots(Schedule(cron=cron, timezone=timezone), datetime.now(UTC), 2)
    return (second - first).total_seconds()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def freshness_thresholds(quality: QualitySettings) -> dict[str, float]:
    """Seconds per source past which its newest load is stale: dbt's load warn threshold."""
    return {name: rule.load_warn_hours * 3600.0 for name, rule in quality.freshness.items()}
