"""A terminal Gantt chart of the schedule (rich): one column per sprint day, weekends and
buffer days shaded, the baseline slot marked where a task moved, the critical path in red."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from marketloop.clikit import plain
from marketloop.plan.model import Task
from marketloop.plan.tracker import View

STYLES = {
    "done": "green",
    "blocked": "bold magenta",
    "pushed": "yellow",
    "late": "bold red",
    "slipped": "bold red",
}
LEGEND = (
    "█ forecast (red: critical path, green: done, yellow: pushed to a buffer, magenta: blocked)"
    "  □ baseline slot  ▒ buffer day  · weekend"
)


def gantt(view: View) -> Table:
    plan, schedule = view.plan, view.schedule
    sprint = plan.sprint
    last = max(plan.last_day, sprint.day_of(schedule.end))
    today = sprint.day_of(sprint.local_date(view.at))
    table = Table(
        title=plain(f"{plan.name} · baseline v{schedule.baseline_version}"), caption=LEGEND
    )
    table.add_column("task")
    table.add_column("owner", overflow="ellipsis", max_width=22)
    table.add_column(_header(last, today), no_wrap=True)
    buffer_days = {b.day for b in plan.buffers}
    for task in sorted(plan.tasks, key=lambda t: t.day):
        bar = Text()
        forecast = schedule.forecasts.get(task.id)
        for day in range(1, last + 1):
            bar.append(*_cell(view, task, day, buffer_days))
        label = Text(
            plain(task.id).plain, style="bold red" if forecast and forecast.critical else ""
        )
        table.add_row(label, plain(plan.people[task.owner].name), bar)
    return table


def _header(last: int, today: int) -> Text:
    header = Text()
    for day in range(1, last + 1):
        header.append(str(day % 10), style="reverse" if day == today else "dim")
    return header


def _cell(view: View, task: Task, day: int, buffer_days: set[int]) -> tuple[str, str]:
    sprint = view.plan.sprint
    when = sprint.date_of(day)
    forecast = view.schedule.forecasts.get(task.id)
    if forecast is None:  # a buffer day's own row
        if day == task.day:
            return "▒", "bold cyan"
    elif when == forecast.date:
        return "█", STYLES.get(forecast.status, "bold red" if forecast.critical else "blue")
    elif when == forecast.baseline:
        return "□", "dim"
    if day in buffer_days:
        return "▒", "grey30"
    return (" ", "") if sprint.is_business_day(when) else ("·", "grey50")
