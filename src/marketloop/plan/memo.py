"""The weekly status memo: progress, variance against the baseline, escalations, decisions
needed and next week, as data (pure), then Markdown and a self-contained HTML report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from marketloop.plan.tracker import View
from marketloop.plan.views import buffer_dict, escalation_rows, pull_dict, status_dict, task_rows
from marketloop.report import charts, render

STATUS_COLOURS = {
    "done": "#16a34a",
    "critical": "#dc2626",
    "pushed": "#f59e0b",
    "blocked": "#a21caf",
    "late": "#dc2626",
    "slipped": "#dc2626",
    "planned": "#2563eb",
    "buffer": "#06b6d4",
}


@dataclass(frozen=True)
class Memo:
    title: str
    today: date
    status: dict[str, Any]
    done_this_week: list[dict[str, Any]]
    variance: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    decisions: list[str]
    next_week: list[dict[str, Any]]
    corrections: list[dict[str, Any]]


def build_memo(view: View) -> Memo:
    sprint = view.plan.sprint
    today = sprint.local_date(view.at)
    rows = [r for r in task_rows(view) if not str(r["status"]).startswith("buffer")]
    week_ago, week_ahead = today - timedelta(days=7), today + timedelta(days=7)
    return Memo(
        title=f"{view.plan.name}: status memo, week ending {today:%a %b %d, %Y}",
        today=today,
        status=status_dict(view),
        done_this_week=[
            r for r in rows if r["status"] == "done" and week_ago < r["forecast"] <= today
        ],
        variance=[r for r in rows if r["variance"] or r["status"] in {"blocked", "late"}],
        escalations=escalation_rows(view),
        decisions=decisions(view),
        next_week=[
            r
            for r in task_rows(view)
            if r["status"] != "done" and today < r["forecast"] <= week_ahead
        ],
        corrections=[
            {
                "id": r.id,
                "event": r.event.seq,
                "kind": r.event.kind,
                "task": r.event.task,
                "at": sprint.local_date(r.at),
                "reason": r.reason,
            }
            for r in view.state.retractions
        ],
    )


def decisions(view: View) -> list[str]:
    plan = view.plan
    decider = plan.holder(plan.escalation.decision_role).name
    found = [
        f"{decider}: {e.task} — {e.reason}. Add resourcing or trade scope?"
        for e in view.escalations
        if e.role == plan.escalation.decision_role
    ]
    if view.rebaseline.due:
        found.append(f"Approve re-baselining: {view.rebaseline.explanation}.")
    found.extend(
        f"Accept deferring {', '.join(use.deferred)} past buffer {use.task}."
        for use in view.schedule.buffers
        if use.deferred
    )
    today = plan.sprint.local_date(view.at)
    pulls = [pull_dict(plan, pull) for pull in view.schedule.pulls if pull.date >= today]
    found.extend(
        f"Confirm pulling {p['item']} ({p['title']}) into {p['date']} for {p['owner']}."
        for p in pulls
    )
    return found


def markdown(memo: Memo) -> str:
    s = memo.status
    lines = [
        f"# {memo.title}",
        "",
        f"- Sprint day {s['sprint_day']} ({s['phase'] or 'outside the sprint'}), "
        f"{s['done']}/{s['total']} tasks done, baseline v{s['baseline_version']}",
        f"- Ends {s['end']['forecast']} (baseline {s['end']['baseline']})",
        f"- Critical path: {' → '.join(s['critical_path']) or 'none open'}",
        f"- Re-baselining: {s['rebaseline']['explanation']}",
        "",
        "## Done this week",
        *(_bullets([f"{r['task']} {r['focus']} ({r['owner']})" for r in memo.done_this_week])),
        "",
        "## Variance against the baseline",
        "",
        "| task | owner | baseline | forecast | variance (business days) | status |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['task']} | {r['owner']} | {r['baseline']} | {r['forecast']} | "
            f"{r['variance']:+d} | {r['status']} |"
            for r in memo.variance
        ),
        "",
        "## Escalations",
        *(
            _bullets(
                [
                    f"{e['task']} → {e['to']} ({e['person']}) via {e['channel']}: {e['reason']}"
                    for e in memo.escalations
                ]
            )
        ),
        "",
        "## Decisions needed",
        *(_bullets(memo.decisions)),
        "",
        "## Next week",
        *(
            _bullets(
                [
                    f"{r['forecast']} {r['task']} {r['focus']} ({r['owner']}) — {r['status']}"
                    for r in memo.next_week
                ]
            )
        ),
        "",
        "## Buffer days",
        *(_bullets([f"{b['task']} ({b['date']}): {b['note']}" for b in s["buffers"]])),
        "",
        "## Corrections",
        *(_bullets([_correction(c) for c in memo.corrections])),
    ]
    return "\n".join(lines) + "\n"


def _correction(c: dict[str, Any]) -> str:
    return f"{c['at']}: event {c['event']} ({c['kind']} {c['task'] or ''}) retracted: {c['reason']}"


def _bullets(items: list[str]) -> list[str]:
    return [f"- {item}" for item in items] or ["- none"]


def html(memo: Memo, view: View) -> str:
    return render(
        "marketloop.plan",
        "memo.html",
        title=memo.title,
        memo=memo,
        s=memo.status,
        chart=gantt_chart(view),
        buffers=[buffer_dict(b) for b in view.schedule.buffers],
    )


def gantt_chart(view: View) -> Markup:
    plan, schedule = view.plan, view.schedule
    sprint = plan.sprint
    last = max(plan.last_day, sprint.day_of(schedule.end))
    bars: list[tuple[str, int, int, str]] = []
    ghosts: dict[str, int] = {}
    for task in sorted(plan.tasks, key=lambda t: t.day):
        forecast = schedule.forecasts.get(task.id)
        if forecast is None:
            bars.append((task.id, task.day - 1, 1, "buffer"))
            continue
        key: str = forecast.status if forecast.status in STATUS_COLOURS else "planned"
        if forecast.critical and key == "planned":
            key = "critical"
        bars.append((task.id, sprint.day_of(forecast.date) - 1, 1, key))
        ghosts[task.id] = sprint.day_of(forecast.baseline) - 1
    columns = [str(day) for day in range(1, last + 1)]
    shaded = [d - 1 for d in range(1, last + 1) if not sprint.is_business_day(sprint.date_of(d))]
    today = sprint.day_of(sprint.local_date(view.at)) - 1
    chart = charts.gantt(
        bars,
        columns,
        ghosts=ghosts,
        shaded=shaded,
        today=today if 0 <= today < last else None,
        colours=STATUS_COLOURS,
    )
    return chart + charts.legend(list(STATUS_COLOURS), STATUS_COLOURS)
