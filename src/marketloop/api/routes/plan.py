"""The delivery plan: status, escalations and the weekly memo at a moment (default now), and
recording slip, block, unblock and done events and acknowledging an escalation with the CLI's
validation (plan.tracker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Engine

from marketloop.api import auditlog
from marketloop.api.deps import ClientDep, EngineDep, IdempotencyDep, PrincipalDep, SettingsDep
from marketloop.api.errors import NotFound
from marketloop.api.scopes import PREFIX
from marketloop.clikit import to_jsonable
from marketloop.config import Settings
from marketloop.errors import UsageError
from marketloop.plan.events import Event
from marketloop.plan.loader import load_plan
from marketloop.plan.model import Plan
from marketloop.plan.notify import tell_pagerduty
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker
from marketloop.plan.views import escalation_rows, recorded_dict, status_dict

router = APIRouter(prefix=PREFIX, tags=["plan"])
MAX_DISTANCE = timedelta(days=731)
AtQuery = Annotated[
    datetime | None, Query(description="evaluate at this moment (plan's time zone if naive)")
]


class PlanEvent(BaseModel):
    kind: Literal["slip", "block", "unblock", "done"]
    task: str = Field(min_length=1, max_length=64)
    days: int | None = Field(None, ge=1, le=365, description="slip: business days")
    reason: str = Field("", max_length=2000)
    at: datetime | None = Field(None, description="when it happened (default now)")

    @model_validator(mode="after")
    def _needs(self) -> PlanEvent:
        if self.kind == "slip" and self.days is None:
            raise ValueError("a slip needs days (business days, at least 1)")
        if self.kind in {"slip", "block"} and not self.reason.strip():
            raise ValueError(f"a {self.kind} needs a reason")
        return self


class Acknowledgement(BaseModel):
    by: str | None = Field(
        None, min_length=1, max_length=120, description="who (default: the API key's name)"
    )
    at: datetime | None = Field(None, description="when (default now)")


def open_tracker(settings: Settings, engine: Engine, actor: str | None = None) -> Tracker:
    path = settings.plan.file or Path("plan.yaml")
    if not path.is_file():
        raise NotFound("no plan file", hint="set [plan] file (MARKETLOOP_PLAN_FILE)")
    stat = path.stat()
    plan = _plan(path.resolve(), stat.st_mtime_ns, stat.st_size)
    return Tracker(plan, EventLog(engine, plan.id, actor))


@lru_cache(maxsize=8)
def _plan(path: Path, mtime_ns: int, size: int) -> Plan:
    """The plan file parsed once per version (a `Plan` is frozen: one serves every request;
    parsing the YAML is most of a status request's time)."""
    return load_plan(path)


def _moment(at: datetime | None, tracker: Tracker) -> datetime:
    now = datetime.now(UTC)
    if at is None:
        return now
    moment = at if at.tzinfo else at.replace(tzinfo=tracker.plan.sprint.tz)
    if abs(moment - now) > MAX_DISTANCE:  # the calendar walks day by day: keep it bounded
        raise UsageError(f"at {at.isoformat()} is more than two years from now")
    return moment


@router.get("/plan/status", response_model=dict[str, Any])
def plan_status(settings: SettingsDep, engine: EngineDep, at: AtQuery = None) -> Any:
    """Progress, open tasks, buffers, pulls, whether to re-baseline, escalations."""
    tracker = open_tracker(settings, engine)
    return to_jsonable(status_dict(tracker.view(_moment(at, tracker))))


@router.get("/plan/escalations", response_model=list[dict[str, Any]])
def plan_escalations(settings: SettingsDep, engine: EngineDep, at: AtQuery = None) -> Any:
    """What must be escalated now: to whom, through which channel, and why."""
    tracker = open_tracker(settings, engine)
    return to_jsonable(escalation_rows(tracker.view(_moment(at, tracker))))


@router.get("/plan/memo", response_model=dict[str, Any])
def plan_memo(settings: SettingsDep, engine: EngineDep, at: AtQuery = None) -> Any:
    """The weekly status memo as data, with its Markdown."""
    from marketloop.plan.memo import build_memo, markdown

    tracker = open_tracker(settings, engine)
    memo = build_memo(tracker.view(_moment(at, tracker)))
    return to_jsonable({**asdict(memo), "markdown": markdown(memo)})


@router.post("/plan/events", response_model=dict[str, Any], status_code=201)
def record_event(
    body: PlanEvent, settings: SettingsDep, engine: EngineDep, principal: PrincipalDep,
    idem: IdempotencyDep, address: ClientDep,
) -> JSONResponse:  # fmt: skip
    """Record one event; the answer is the event and what it changed (as `--format json`)."""
    tracker = open_tracker(settings, engine, actor=f"api:{principal.name}")
    when = _moment(body.at, tracker)
    actions: dict[str, Callable[[], Event]] = {
        "slip": lambda: tracker.slip(body.task, body.days or 0, body.reason, when),
        "block": lambda: tracker.block(body.task, body.reason, when),
        "unblock": lambda: tracker.unblock(body.task, body.reason, when),
        "done": lambda: tracker.done(body.task, when),
    }

    def record() -> Any:
        before = tracker.view(when)
        event = actions[body.kind]()
        auditlog.record(
            engine, actor=principal.name, key_id=principal.key_id,
            action=f"plan.{body.kind}", target=f"{tracker.plan.id}/{body.task}",
            client=address, detail=body.model_dump(mode="json"),
        )  # fmt: skip
        return to_jsonable(recorded_dict(event, before, tracker.view(when)))

    return idem.run(record, status_code=201)


@router.post("/plan/escalations/{escalation_id}/ack", response_model=dict[str, Any],
             status_code=201)  # fmt: skip
def acknowledge(
    escalation_id: str, settings: SettingsDep, engine: EngineDep, principal: PrincipalDep,
    idem: IdempotencyDep, address: ClientDep, body: Acknowledgement | None = None,
) -> JSONResponse:  # fmt: skip
    """Acknowledge an escalation in force (`marketloop plan ack`): no more reminders, and with
    the channels notifier its PagerDuty incident is acknowledged now (`pagerduty` in the answer:
    the dedup keys acknowledged, or why PagerDuty was not told; the next dispatch retries)."""
    body = body or Acknowledgement()
    tracker = open_tracker(settings, engine, actor=f"api:{principal.name}")
    when = _moment(body.at, tracker)

    def record() -> Any:
        before = tracker.view(when)
        event = tracker.acknowledge(escalation_id, body.by or principal.name, when)
        auditlog.record(
            engine, actor=principal.name, key_id=principal.key_id, action="plan.acknowledge",
            target=f"{tracker.plan.id}/{event.data['id']}", client=address,
            detail=body.model_dump(mode="json"),
        )  # fmt: skip
        after = tracker.view(when)
        answer = recorded_dict(event, before, after)
        told = tell_pagerduty(settings, after, str(event.data["id"]), when)
        if told is not None:
            answer["pagerduty"] = told.as_dict()
        return to_jsonable(answer)

    return idem.run(record, status_code=201)
