"""The plan step of `marketloop demo`: the example sprint evaluated mid-sprint.

It records a week and a half of progress on the example plan (tasks done, a 1-day slip of
day10 that the day-13 buffer absorbs, a 2-day slip of day14 on the critical path that moves
the launch), prints what must be escalated and writes the weekly memo. The demo's "now" is
day 14 of the sprint, 17:00 in the plan's time zone; events are recorded once per workspace.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from marketloop import config
from marketloop.appdb import open_app_db
from marketloop.clikit import console, plain
from marketloop.plan.loader import load_plan
from marketloop.plan.memo import build_memo, html
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker
from marketloop.report import write_report

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

EXAMPLE = "ai-marketing-sprint.yaml"


def example_plan_path() -> Path:
    """The example plan: packaged in a wheel, or in the source checkout's examples/plans/."""
    packaged = Path(__file__).parent / "examples" / EXAMPLE
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "examples" / "plans" / EXAMPLE


def run(run: DemoRun) -> None:
    plan = load_plan(example_plan_path())
    tracker = Tracker(plan, EventLog(open_app_db(config.app_db_url(run.settings)), plan.id))
    sprint = plan.sprint

    def day(n: int, hour: int) -> datetime:
        return sprint.at_time(sprint.date_of(n), time(hour))

    if not tracker.log.events():
        for n in (1, 2, 3, 4, 5, 7, 8, 9):
            tracker.done(f"day{n}", day(n, 16))
        tracker.slip("day10", 1, "auth middleware needed a security review", day(10, 11))
        tracker.done("day10", day(11, 15))
        tracker.done("day12", day(12, 15))
        tracker.done("day11", day(13, 15))
        tracker.slip("day14", 2, "Zapier premium seats not approved yet", day(14, 10))
    view = tracker.view(day(14, 17))
    done = sum(f.status == "done" for f in view.schedule.forecasts.values())
    path_text = " → ".join(view.schedule.critical_path)
    console.print(
        plain(f"{plan.id} at day 14: {done}/{len(plan.work)} done; critical path {path_text}")
    )
    for e in view.escalations:
        console.print(plain(f"escalate {e.task} → {e.to} ({e.person}) via {e.channel}: {e.reason}"))
    console.print(plain(view.rebaseline.explanation))
    memo = build_memo(view)
    path = run.workspace.reports_dir / f"plan-memo-{plan.id}-{memo.today}.html"
    run.outputs["plan status memo"] = write_report(path, html(memo, view))
