"""Rows and objects for people and machines: what `plan show`, `plan status` and the memo
print, built from a `View` (pure). Dates stay `date` objects; the output edge formats them."""

from __future__ import annotations

from typing import Any

from marketloop.plan.buffers import BufferUse, Pull
from marketloop.plan.escalation import SHORT_ID, Escalation, escalation_id
from marketloop.plan.events import Event
from marketloop.plan.fallback import priority_class
from marketloop.plan.model import Plan, Task
from marketloop.plan.tracker import View

TASK_COLUMNS = (
    "task", "day", "weekday", "baseline", "forecast", "status", "variance", "slack",
    "critical", "focus", "owner",
)  # fmt: skip


def task_rows(view: View) -> list[dict[str, Any]]:
    plan = view.plan
    buffers = {use.task: use for use in view.schedule.buffers}
    rows = []
    for task in sorted(plan.tasks, key=lambda t: t.day):
        if task.kind == "buffer":
            rows.append(_buffer_row(plan, task, buffers[task.id]))
            continue
        f = view.schedule.forecasts[task.id]
        rows.append(
            {
                "task": task.id,
                "day": task.day,
                "weekday": f.date.strftime("%a"),
                "baseline": f.baseline,
                "forecast": f.date,
                "status": f.status,
                "variance": f.variance,
                "slack": f.slack,
                "critical": f.critical,
                "focus": task.focus,
                "owner": plan.owner_label(task),
                "after": list(task.after),
                "effort": task.effort,
                "priority": priority_class(plan, task.id)[1],
                "reason": f.reason,
                "deliverable": task.deliverable,
                "prerequisites": list(task.prerequisites),
            }
        )
    return rows


def _buffer_row(plan: Plan, task: Task, use: BufferUse) -> dict[str, Any]:
    return {
        "task": task.id,
        "day": task.day,
        "weekday": use.date.strftime("%a"),
        "baseline": use.date,
        "forecast": use.date,
        "status": f"buffer: {use.mode}",
        "variance": 0,
        "slack": None,
        "critical": False,
        "focus": task.focus,
        "owner": plan.owner_label(task),
        "after": [],
        "effort": task.effort,
        "priority": None,
        "reason": use.note,
        "deliverable": task.deliverable,
        "prerequisites": list(task.prerequisites),
    }


def buffer_dict(use: BufferUse) -> dict[str, Any]:
    return {
        "task": use.task,
        "date": use.date,
        "mode": use.mode,
        "prior_day": use.prior_day,
        "pushed": list(use.pushed),
        "pulled": [p.item for p in use.pulls],
        "open_issues": list(use.open_issues),
        "deferred": list(use.deferred),
        "note": use.note,
    }


def pull_dict(plan: Plan, pull: Pull) -> dict[str, Any]:
    title = next(item.title for item in plan.backlog if item.id == pull.item)
    return {
        "item": pull.item,
        "title": title,
        "date": pull.date,
        "owner": plan.people[pull.owner].name if pull.owner in plan.people else pull.owner,
        "effort": pull.effort,
        "because": pull.because,
    }


def escalation_rows(
    view: View, escalations: tuple[Escalation, ...] | None = None
) -> list[dict[str, Any]]:
    """The escalations in force (or `escalations`), each with its short id and who
    acknowledged it when."""
    rows = []
    for e in view.escalations if escalations is None else escalations:
        ack = view.acknowledged(e)
        rows.append(
            {"id": escalation_id(view.plan.id, e)[:SHORT_ID], **e.as_dict(),
             "acknowledged_by": ack and ack.by, "acknowledged_at": ack and ack.at}
        )  # fmt: skip
    return rows


def sprint_day(view: View) -> int:
    return view.plan.sprint.day_of(view.plan.sprint.local_date(view.at))


def status_dict(view: View) -> dict[str, Any]:
    plan, schedule = view.plan, view.schedule
    forecasts = schedule.forecasts.values()
    day = sprint_day(view)
    phase = next((p.name for p in plan.phases if p.first_day <= day <= p.last_day), None)
    return {
        "plan": plan.id,
        "name": plan.name,
        "at": plan.sprint.local(view.at),
        "sprint_day": day,
        "phase": phase,
        "baseline_version": schedule.baseline_version,
        "done": sum(f.status == "done" for f in forecasts),
        "total": len(plan.work),
        "end": {"baseline": max(f.baseline for f in forecasts), "forecast": schedule.end},
        "critical_path": list(schedule.critical_path),
        "tasks": [r for r in task_rows(view) if r["status"] != "done"],
        "buffers": [buffer_dict(use) for use in schedule.buffers],
        "pulls": [pull_dict(plan, p) for p in schedule.pulls],
        "rebaseline": _rebaseline_dict(view),
        "escalations": escalation_rows(view),
    }


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "at": event.at,
        "task": event.task,
        "data": dict(event.data),
        "seq": event.seq,
    }


def recorded_dict(event: Event, before: View, after: View) -> dict[str, Any]:
    """A recorded event and what it changed: forecasts that moved, the pushes and pulls in force
    after it, escalations it raised (not there before), and whether a re-baseline is due."""
    old = before.schedule.forecasts
    moved = [
        {"task": f.task, "from": old[f.task].date, "to": f.date, "status": f.status,
         "reason": f.reason}
        for f in after.schedule.forecasts.values()
        if f.date != old[f.task].date
    ]  # fmt: skip
    known = {e.key for e in before.escalations}
    return {
        "event": event_dict(event),
        "consequences": {
            "moved": moved,
            "pushes": [
                {"task": f.task, "to": f.date, "reason": f.reason}
                for f in after.schedule.forecasts.values()
                if f.status == "pushed"
            ],
            "pulls": [pull_dict(after.plan, p) for p in after.schedule.pulls],
            "new_escalations": escalation_rows(
                after, tuple(e for e in after.escalations if e.key not in known)
            ),
            "rebaseline": _rebaseline_dict(after),
            "end": {"before": before.schedule.end, "after": after.schedule.end},
        },
    }


def _rebaseline_dict(view: View) -> dict[str, Any]:
    return {
        "due": view.rebaseline.due,
        "slipping_critical": list(view.rebaseline.slipping),
        "explanation": view.rebaseline.explanation,
    }
