"""The delivery plan's actions: `plan.escalations` (send what must be escalated now, once) and
`plan.memo` (the weekly status memo), as `marketloop plan escalations --notify` and
`marketloop plan memo` do. Escalations already sent are recorded and never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.plan.tracker import Tracker


class EscalationArgs(Args):
    plan: Path | None = Field(None, description="plan file; default [plan] file, ./plan.yaml")
    notify: bool = Field(True, description="send the ones not sent yet via [plan] notifier")
    at: datetime | None = Field(None, description="evaluate at this moment; default now")


class MemoArgs(Args):
    plan: Path | None = None
    at: datetime | None = None


def _tracker(ctx: ActionContext, plan_file: Path | None) -> Tracker:
    from marketloop.appdb import open_app_db
    from marketloop.config import app_db_url
    from marketloop.plan.loader import load_plan
    from marketloop.plan.store import EventLog

    plan = load_plan(plan_file or ctx.settings.plan.file or Path("plan.yaml"))
    return Tracker(plan, EventLog(open_app_db(app_db_url(ctx.settings)), plan.id))


def _moment(tracker: Tracker, at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=tracker.plan.sprint.tz)


def escalations(ctx: ActionContext, args: EscalationArgs) -> ActionResult:
    from marketloop.clikit import console
    from marketloop.plan.notify import ConsoleNotifier, Notifier, WebhookNotifier, dispatch

    tracker = _tracker(ctx, args.plan)
    when = _moment(tracker, args.at)
    view = tracker.view(when)
    sent = []
    if args.notify and ctx.settings.plan.notifier == "webhook":
        with WebhookNotifier(ctx.settings) as hook:
            sent = dispatch(tracker, view, hook, when)
    elif args.notify and ctx.settings.plan.notifier == "channels":
        from marketloop.integrations.escalations import ChannelNotifier

        with ChannelNotifier(ctx.settings) as channels:
            sent = dispatch(tracker, view, channels, when)
    elif args.notify:
        notifier: Notifier = ConsoleNotifier(console)
        sent = dispatch(tracker, view, notifier, when)
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
