"""The delivery plan's actions: `plan.escalations` (send what must be escalated now, once) and
`plan.memo` (the weekly status memo), as `marketloop plan escalations --notify` and
`marketloop plan memo` do. Escalations already sent are recorded and never sent twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.plan.tracker import Tracker


class EscalationArgs(Args):
    plan: Path | None = Field(None, description="plan file; default [plan] file, ./plan.yaml")
    notify: bool = Field(True, description="send the ones not sent yet via [plan] notifier")
    at: str | None = Field(None, description="evaluate at this moment (as `--at`); default now")


class MemoArgs(Args):
    plan: Path | None = None
    at: str | None = Field(None, description="the memo as of this moment (as `--at`)")


def _tracker(ctx: ActionContext, plan_file: Path | None) -> Tracker:
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url
    from marketloop.plan.loader import load_plan
    from marketloop.plan.store import EventLog

    plan = load_plan(plan_file or ctx.settings.plan.file or Path("plan.yaml"))
    return Tracker(plan, EventLog(open_app_db(app_db_url(ctx.settings)), plan.id))


def _moment(tracker: Tracker, at: str | None) -> datetime:
    from marketloop.plan.bounds import parse_moment

    return parse_moment(at, tracker.plan, "at")


def escalations(ctx: ActionContext, args: EscalationArgs) -> ActionResult:
    from marketloop.clikit import console
    from marketloop.plan.notify import notify

    tracker = _tracker(ctx, args.plan)
    when = _moment(tracker, args.at)
    view = tracker.view(when)
    sent = notify(ctx.settings, tracker, view, when, console)[1] if args.notify else []
    return ActionResult(
        facts={"escalations": len(view.escalations), "sent": len(sent)},
        summary=f"{len(view.escalations)} escalations, {len(sent)} sent now",
    )


def memo(ctx: ActionContext, args: MemoArgs) -> ActionResult:
    from marketloop.plan.memo import build_memo, html
    from marketloop.report import write_report

    tracker = _tracker(ctx, args.plan)
    view = tracker.view(_moment(tracker, args.at))
    built = build_memo(view)
    path = ctx.workspace.reports_dir / f"plan-memo-{view.plan.id}-{built.today}.html"
    write_report(path, html(built, view))
    return ActionResult(outputs={"memo": str(path)}, summary=f"memo of {built.today}")


ACTIONS = [
    Action(
        "plan.escalations",
        EscalationArgs,
        escalations,
        "send the plan's pending escalations once (`marketloop plan escalations --notify`)",
        outputs="plan events (app database)",
    ),
    Action(
        "plan.memo",
        MemoArgs,
        memo,
        "the weekly status memo (`marketloop plan memo`)",
        outputs="WORKSPACE/reports/plan-memo-PLAN-DATE.html",
    ),
]
