"""The loop file's schema: a loop, its steps and schedules (pydantic, unknown keys refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator

from marketloop import yamlguard

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
#: steps in one loop: the DAG is walked recursively (dag.py), so a deeper chain would exhaust
#: Python's stack (it was reported as "an input file is nested too deeply to read")
MAX_STEPS = 500
MAX_TIMEOUT = 7 * 24 * 3600  # a step's timeout; larger ones overflow the thread wait


class Strict(yamlguard.ExactNumbers):
    """Unknown keys, and a boolean or nan/inf where a number is expected, are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Schedule(Strict):
    cron: str = Field(description="five-field cron expression, e.g. `0 9 * * MON-FRI`")
    timezone: str = Field("UTC", description="IANA time zone the cron is read in")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import CroniterBadDateError, croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a five-field cron expression (m h dom mon dow)")
        try:  # a valid expression for a day that never comes (30 February)
            croniter(value, datetime(2000, 1, 1)).get_next(datetime)
        except CroniterBadDateError:
            raise ValueError(f"{value!r} never fires (no such day)") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


class Step(Strict):
    action: str = Field(description="an action of the registry, e.g. crawl, ingest.gsc")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    needs: list[str] = Field(default_factory=list)
    schedule: Schedule | None = Field(None, description="runs this step on its own schedule")
    retries: int = Field(0, ge=0, le=20, description="retries of transient errors")
    backoff: float | None = Field(None, ge=0, description="seconds before the first retry")
    timeout: float | None = Field(
        None, gt=0, le=MAX_TIMEOUT, description="seconds one attempt may take (at most a week)"
    )
    gate: Literal["manual"] | dict[str, Any] | None = None
    owner: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)

    @field_validator("gate", mode="before")
    @classmethod
    def _gate(cls, value: Any) -> Any:
        """One clear message instead of one per member of the union."""
        if value is None or value == "manual" or isinstance(value, dict):
            return value
        raise ValueError(
            f"{str(value)[:100]!r} is not a gate: write `manual`, or the action's gate as a "
            "mapping, e.g. {fail_on: critical} or {min_pass_rate: 0.8}"
        )


class Loop(Strict):
    name: str = Field(pattern=NAME)
    description: str | None = Field(None, max_length=2000)
    owners: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=200)]] = (
        Field(default_factory=dict)
    )
    schedule: Schedule | None = None
    steps: dict[str, Step] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("steps")
    @classmethod
    def _names(cls, steps: dict[str, Step]) -> dict[str, Step]:
        import re

        for name in steps:
            if not re.match(NAME, name):
                raise ValueError(f"step name {name!r}: letters, digits, _ . - only")
        return steps

    def scheduled_steps(self) -> list[str]:
        """Steps that run on their own schedule (not in the loop's scheduled runs)."""
        return [name for name, step in self.steps.items() if step.schedule is not None]
