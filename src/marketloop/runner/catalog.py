"""The loops a server knows: the files of `[runner] loops`, the ones `marketloop worker`
schedules, by the name each declares. The API and the dashboard start runs of these only: a
client names a loop, never a path.

    views = loop_views(settings)                 every file: its DAG and next scheduled time
    one = loop_view(settings, "weekly")          one of them, by name
    loop = find_loop(settings, "weekly")         the Loop (LoopNotKnown, a 404, otherwise)

A file that cannot be read or breaks a rule is listed with its error (naming the file, not
its folder) and cannot be started; when two files declare one name, the first is the loop.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from marketloop.config import Settings
from marketloop.errors import RunnerError
from marketloop.runner.dag import order
from marketloop.runner.loopfile import LoopFileError, load_loop
from marketloop.runner.model import Loop, Schedule
from marketloop.runner.schedule import next_slots


class LoopNotKnown(RunnerError):
    """No loop file of `[runner] loops` declares that name."""

    http_status = 404


class LoopStepView(BaseModel):
    name: str
    action: str
    needs: list[str]
    gate: str | dict[str, Any] | None
    owner: str | None
    schedule: Schedule | None
    next_run: datetime | None


class LoopView(BaseModel):
    name: str
    file: str
    valid: bool
    error: str | None = None
    description: str | None = None
    schedule: Schedule | None = None
    next_run: datetime | None = None
    steps: list[LoopStepView] = []


def _read(path: Path) -> Loop | str:
    try:
        return load_loop(path)
    except LoopFileError as exc:  # the message names the file; the folder stays private
        return str(exc).replace(str(path), path.name)


def _next(schedule: Schedule | None, moment: datetime) -> datetime | None:
    return next_slots(schedule, moment, 1)[0].astimezone(UTC) if schedule else None


def view(loop: Loop, file: str, moment: datetime | None = None) -> LoopView:
    """A loop's steps in the order they can run, each with what it needs and when it runs next
    (its own schedule, or the loop's)."""
    at = moment or datetime.now(UTC)
    steps = [
        LoopStepView(
            name=name,
            action=step.action,
            needs=step.needs,
            gate=step.gate,
            owner=step.owner,
            schedule=step.schedule,
            next_run=_next(step.schedule or loop.schedule, at),
        )
        for name in order({n: s.needs for n, s in loop.steps.items()})
        for step in [loop.steps[name]]
    ]
    return LoopView(
        name=loop.name, file=file, valid=True, description=loop.description,
        schedule=loop.schedule, next_run=_next(loop.schedule, at), steps=steps,
    )  # fmt: skip


def loop_views(settings: Settings, moment: datetime | None = None) -> list[LoopView]:
    """Every file of `[runner] loops`, in the order listed."""
    views = []
    for path in settings.runner.loops:
        read = _read(path)
        if isinstance(read, str):
            views.append(LoopView(name=path.stem, file=path.name, valid=False, error=read))
        else:
            views.append(view(read, path.name, moment))
    return views


def find_loop(settings: Settings, name: str) -> Loop:
    """The loop `name` declares (the first file that does), read now: an edited file counts at
    once. An unknown name is LoopNotKnown; a broken file its LoopFileError."""
    return _find(settings, name)[1]


def loop_view(settings: Settings, name: str, moment: datetime | None = None) -> LoopView:
    path, loop = _find(settings, name)
    return view(loop, path.name, moment)


def _find(settings: Settings, name: str) -> tuple[Path, Loop]:
    for path in settings.runner.loops:
        read = _read(path)
        if isinstance(read, Loop) and read.name == name:
            return path, read
        if isinstance(read, str) and path.stem == name:
            raise LoopFileError(read, hint="fix the loop file; `marketloop loop check FILE`")
    known = ", ".join(v.name for v in loop_views(settings)) or "none"
    raise LoopNotKnown(
        f"no loop {name[:100]!r} in [runner] loops (known: {known[:500]})",
        hint="list the loop file under [runner] loops (MARKETLOOP_RUNNER_LOOPS)",
    )
