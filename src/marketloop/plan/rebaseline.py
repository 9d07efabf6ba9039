"""The re-baselining protocol (pure): no wholesale re-planning unless two or more items on
the baseline's critical path slip at the same time.

"Slipping" means a task's own date is behind its baseline right now (a recorded slip, a
blocker or lateness); tasks that only wait for another task do not count, since the push/pull
rules already handle them. When the protocol allows it, the new baseline takes today's
forecasts as its dates; the old baselines stay on record, and the variance of every task
against the baseline it replaces is recorded with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from marketloop.plan.events import Event, State
from marketloop.plan.model import Plan
from marketloop.plan.schedule import Schedule, baseline_dates, latest_dates, on_buffers


@dataclass(frozen=True)
class Verdict:
    due: bool
    slipping: tuple[str, ...]  # critical-path tasks slipping now
    needed: int

    @property
    def explanation(self) -> str:
        names = ", ".join(self.slipping) or "none"
        if self.due:
            return f"{len(self.slipping)} critical-path items slip at once ({names}): re-baseline"
        return (
            f"{len(self.slipping)} critical-path item(s) slipping ({names}); re-baselining needs "
            f"{self.needed} at once, so push/pull handles it without wholesale re-planning"
        )


def baseline_critical(plan: Plan, state: State) -> set[str]:
    """Tasks without slack in the baseline itself (before any slip)."""
    dates = baseline_dates(plan, state)
    deadline = max(dates[t.id] for t in plan.work)
    latest = latest_dates(plan, deadline, on_buffers(plan, dates))
    sprint = plan.sprint
    return {t.id for t in plan.work if sprint.business_days_between(dates[t.id], latest[t.id]) <= 0}


def verdict(plan: Plan, state: State, schedule: Schedule) -> Verdict:
    critical = baseline_critical(plan, state)
    slipping = tuple(
        f.task
        for f in schedule.forecasts.values()
        if f.task in critical and f.status != "done" and f.own > f.baseline
    )
    needed = plan.adjustments.rebaseline_min_critical_slips
    return Verdict(len(slipping) >= needed, slipping, needed)


def rebaseline_event(
    plan: Plan, state: State, schedule: Schedule, at: datetime, reason: str
) -> Event:
    """The event recording a new baseline; raises nothing, so call `verdict` first."""
    version = (state.baselines[-1].version if state.baselines else 1) + 1
    dates: dict[str, date] = baseline_dates(plan, state)
    variance: dict[str, int] = {}
    for f in schedule.forecasts.values():
        dates[f.task] = f.date
        variance[f.task] = f.variance
    return Event(
        "rebaseline",
        at,
        data={
            "version": version,
            "reason": reason,
            "dates": {k: v.isoformat() for k, v in sorted(dates.items())},
            "variance": variance,
            "slipping": list(verdict(plan, state, schedule).slipping),
        },
    )
