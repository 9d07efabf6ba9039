"""The action registry: every stage action a loop step, the API or the CLI can start.

Each stage declares its actions in its own `actions.py` (a module-level `ACTIONS` list); this
module collects them. An action is data: a name (`crawl`, `ingest.gsc`, `briefs.generate`), a
pydantic model of its arguments (what a loop file's `with:` is validated against, and what the
API's schema is made from), the function that runs it, what it outputs, whether it writes or
reads the warehouse, and, for actions that can stop a loop, a gate model and its judge.

    result = get_action("audit").run(context, AuditArgs(...))
    result.outputs   {"report": "/ws/reports/audit-X.html"}, paths of datasets and reports
    result.facts     {"critical": 3, ...}, what a gate judges

Adding an action is one small module: write the function, list it in that module's `ACTIONS`,
and name the module in `STAGE_MODULES`.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from marketloop import yamlguard
from marketloop.config import Settings
from marketloop.errors import RunnerError
from marketloop.workspace import Workspace

STAGE_MODULES = (
    "marketloop.crawl.actions",
    "marketloop.audit.actions",
    "marketloop.ingest.actions",
    "marketloop.quality.actions",
    "marketloop.keywords.actions",
    "marketloop.content.actions",
    "marketloop.integrations.actions",
    "marketloop.plan.actions",
    "marketloop.runner.noop",
)


class Args(yamlguard.ExactNumbers):
    """Base of action argument (and gate) models: unknown keys are errors (a typo fails `loop
    check`), and so are a boolean or nan/inf where a number is expected."""

    model_config = ConfigDict(extra="forbid")


class GateResult(BaseModel):
    result: Literal["pass", "fail"]
    reason: str


@dataclass
class ActionContext:
    """What an action gets besides its arguments: settings, the run and step it serves."""

    settings: Settings
    run_id: str = "manual"
    step: str = "manual"
    attempt: int = 1
    #: set when the step is cancelled or timed out; long actions may check it between units
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.settings.workspace).ensure()

    @property
    def key(self) -> str:
        """A name unique to this run's step, stable across attempts (idempotency keys)."""
        return f"{self.run_id}-{self.step}"


@dataclass
class ActionResult:
    outputs: dict[str, str] = field(default_factory=dict)  # label -> path
    facts: dict[str, Any] = field(default_factory=dict)  # JSON-ready; what a gate judges
    summary: str = ""


Judge = Callable[[Any, ActionResult], GateResult]


@dataclass(frozen=True)
class Action:
    name: str
    args: type[BaseModel]
    run: Callable[[ActionContext, Any], ActionResult]
    summary: str
    outputs: str = ""  # what it writes, in words (docs, `loop check`)
    writes_warehouse: bool = False  # takes the warehouse write lock
    reads_warehouse: bool = False  # skipped when a quality gate upstream fails
    gate: type[BaseModel] | None = None  # the step's `gate:` model, when it yields a result
    judge: Judge | None = None
    gate_always: bool = False  # judged even when the step names no gate (quality)
    #: "downstream": a failing gate skips every step after it; "warehouse_readers": only those
    #: that read the warehouse (the quality gate, as dbt build skips after a failed test)
    gate_blocks: Literal["downstream", "warehouse_readers"] = "downstream"

    def parse_args(self, values: dict[str, Any]) -> BaseModel:
        return self.args.model_validate(values)

    def execute(self, context: ActionContext, values: dict[str, Any]) -> ActionResult:
        return self.run(context, self.parse_args(values))


@cache
def registry() -> dict[str, Action]:
    """Every action, by name, from the stage modules (imported on first use)."""
    found: dict[str, Action] = {}
    for module in STAGE_MODULES:
        for action in importlib.import_module(module).ACTIONS:
            if action.name in found:
                raise RunnerError(f"action {action.name} is declared twice ({module})")
            found[action.name] = action
    return found


def get_action(name: str) -> Action:
    actions = registry()
    if name not in actions:
        close = difflib.get_close_matches(name, actions, n=1)
        hint = f"did you mean {close[0]}?" if close else "see `marketloop loop actions`"
        raise RunnerError(f"unknown action {name!r}", hint=hint)
    return actions[name]
