"""`noop` (and `noop.write`, `noop.read`, `noop.check`): a documented action that does
nothing for a while, for tests, benchmarks and trying out a loop file. It can fail
(transiently, to see retries; terminally), produce a gate result (`gate: {require_ok: true}`
with `ok: false` fails), and append a line to a file when it starts and ends (`log`), so tests
can see how often it ran."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args, GateResult
from marketloop.errors import RunnerError, TransientError


class NoopArgs(Args):
    seconds: float = Field(0.0, ge=0, le=3600, description="sleep this long")
    fail: Literal["never", "transient", "terminal"] = "never"
    fail_attempts: int = Field(1_000_000, ge=0, description="fail only on attempts up to this")
    ok: bool = Field(True, description="the fact a gate judges")
    log: Path | None = Field(None, description="append `start`/`end` lines to this file")


class NoopGate(Args):
    require_ok: bool = True


class NoopTransientError(RunnerError, TransientError):
    pass


def run(ctx: ActionContext, args: NoopArgs) -> ActionResult:
    _log(args.log, f"start {ctx.run_id} {ctx.step} {ctx.attempt}")
    deadline = time.monotonic() + args.seconds
    while (left := deadline - time.monotonic()) > 0 and not ctx.stop.is_set():
        time.sleep(min(left, 0.05))
    if args.fail != "never" and ctx.attempt <= args.fail_attempts:
        if args.fail == "transient":
            raise NoopTransientError(f"noop {ctx.step} failed transiently (attempt {ctx.attempt})")
        raise RunnerError(f"noop {ctx.step} failed (attempt {ctx.attempt})")
    _log(args.log, f"end {ctx.run_id} {ctx.step} {ctx.attempt}")
    outputs = {"log": str(args.log)} if args.log else {}
    return ActionResult(outputs=outputs, facts={"ok": args.ok}, summary="did nothing")


def _log(path: Path | None, line: str) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def judge(gate: NoopGate, result: ActionResult) -> GateResult:
    if gate.require_ok and not result.facts.get("ok"):
        return GateResult(result="fail", reason="noop was told to fail its gate (ok: false)")
    return GateResult(result="pass", reason="ok")


NOOP = "do nothing for `seconds` (tests, benchmarks, trying a loop file)"
ACTIONS = [
    Action("noop", NoopArgs, run, NOOP, gate=NoopGate, judge=judge),
    # the same, declared as the warehouse's stages are, to try the lock and the quality gate
    Action("noop.write", NoopArgs, run, NOOP + "; holds the warehouse lock", writes_warehouse=True),
    Action("noop.read", NoopArgs, run, NOOP + "; reads the warehouse", reads_warehouse=True),
    Action(
        "noop.check",
        NoopArgs,
        run,
        NOOP + "; a gate like quality's",
        gate=NoopGate,
        judge=judge,
        gate_always=True,
        gate_blocks="warehouse_readers",
    ),
]
