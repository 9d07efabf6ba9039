"""Cron schedules with time zones (croniter): the next slots, and the slot that is due.

A slot missed while no worker ran fires once when a worker returns (the latest missed slot),
never once per missed slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from marketloop.runner.model import Schedule


def next_slots(schedule: Schedule, after: datetime, count: int = 3) -> list[datetime]:
    it = croniter(schedule.cron, after.astimezone(ZoneInfo(schedule.timezone)))
    return [it.get_next(datetime) for _ in range(count)]


def latest_slot(schedule: Schedule, at: datetime) -> datetime:
    """The newest slot at or before `at`, in UTC."""
    local = (at + timedelta(seconds=1)).astimezone(ZoneInfo(schedule.timezone))
    slot: datetime = croniter(schedule.cron, local).get_prev(datetime)
    return slot.astimezone(UTC)


def due(schedule: Schedule, last: datetime | None, at: datetime) -> datetime | None:
    """The slot to fire now, if one passed since `last` (None: never recorded, fire nothing)."""
    if last is None:
        return None
    slot = latest_slot(schedule, at)
    return slot if slot > last else None
