"""Schedules: cron in a time zone, a missed slot fires once, one worker fires each slot, and
one scheduled run per loop at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from marketloop.config import Settings, app_db_url
from marketloop.runner import schedule, service
from marketloop.runner.model import Loop, Schedule
from marketloop.runner.slots import Slots
from marketloop.runner.store import Store
from marketloop.runner.worker import Scheduler

MakeLoop = Callable[..., Loop]


def test_slots_follow_the_time_zone_across_daylight_saving() -> None:
    standup = Schedule(cron="0 9 * * MON-FRI", timezone="America/Los_Angeles")
    friday = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)  # PST (UTC-8)
    monday, tuesday = schedule.next_slots(standup, friday, 2)
    assert monday.astimezone(UTC) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # PDT: 09:00 = 16:00Z
    assert tuesday.astimezone(UTC) == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert schedule.latest_slot(standup, friday) == datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


def test_a_missed_schedule_fires_once_not_per_slot() -> None:
    hourly = Schedule(cron="0 * * * *")
    at = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert schedule.due(hourly, None, at) is None  # never seen: nothing is owed
    last = at - timedelta(days=2)  # 48 slots missed
    assert schedule.due(hourly, last, at) == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert schedule.due(hourly, datetime(2026, 12, 7, 12, 0, tzinfo=UTC), at) is None


def _scheduled_runs(settings: Settings) -> list[service.RunView]:
    return [
        r for r in service.list_runs(settings, limit=100).data if r.trigger.startswith("schedule")
    ]


def test_the_scheduler_fires_a_due_slot_once(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop(
        "  a: {action: noop}\n  standup: {action: noop, schedule: {cron: '* * * * *'}}\n",
        schedule="{cron: '* * * * *', timezone: Europe/Paris}",
    )
    store = Store(app_db_url(settings))
    first, second = Scheduler(settings, store, []), Scheduler(settings, store, [])
    first.fire(loop)  # first sight: records the latest slot, fires nothing
    assert _scheduled_runs(settings) == []
    week_ago = datetime.now(UTC) - timedelta(days=7)
    for step in ("", "standup"):
        sched = loop.schedule if not step else loop.steps[step].schedule
        assert sched is not None
        old = Slots(store).last(loop.name, step, sched.cron, sched.timezone)
        assert Slots(store).claim(loop.name, step, sched.cron, sched.timezone, old, week_ago)
    first.fire(loop)
    second.fire(loop)  # the same slot: already claimed
    runs = _scheduled_runs(settings)
    assert sorted(r.trigger for r in runs) == ["schedule", "schedule:standup"]
    whole = next(r for r in runs if r.trigger == "schedule")
    assert [s.name for s in whole.steps] == ["a"]  # standup runs on its own schedule
    assert [s.name for s in next(r for r in runs if r.trigger != "schedule").steps] == ["standup"]


def test_one_scheduled_run_per_loop_at_a_time(settings: Settings, make_loop: MakeLoop) -> None:
    loop = make_loop("  a: {action: noop}\n", schedule="{cron: '* * * * *'}")
    store = Store(app_db_url(settings))
    scheduler = Scheduler(settings, store, [])
    scheduler.fire(loop)
    assert loop.schedule is not None
    cron, zone = loop.schedule.cron, loop.schedule.timezone
    for _ in range(2):  # two slots pass while the first scheduled run is still queued
        old = Slots(store).last(loop.name, "", cron, zone)
        assert Slots(store).claim(
            loop.name, "", cron, zone, old, datetime.now(UTC) - timedelta(hours=1)
        )
        scheduler.fire(loop)
    assert len(_scheduled_runs(settings)) == 1
