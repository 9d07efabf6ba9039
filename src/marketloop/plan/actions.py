"""The delivery plan's actions: `plan.escalations` (send what must be escalated now, once;
with the channels notifier also reminders, and PagerDuty acknowledgements and resolutions),
`plan.memo` (the weekly status memo, optionally sent by email and Slack) and `plan.digest` (the
stand-up digest, the triage reminder and the weekend check-in thread), as
`marketloop plan escalations --notify` and `marketloop plan memo` do. What was sent is
recorded and never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.plan.digest import Kind
from marketloop.plan.tracker import Tracker


class EscalationArgs(Args):
    plan: Path | None = Field(None, description="plan file; default [plan] file, ./plan.yaml")
    notify: bool = Field(True, description="send the ones not sent yet via [plan] notifier")
    at: datetime | None = Field(None, description="evaluate at this moment; default now")


class MemoArgs(Args):
    plan: Path | None = None
    at: datetime | None = None
    send: list[str] = Field(
        default_factory=list,
        description="also send it, once per week, to these channels: email:name@example.com "
        "(HTML with a text part), slack:#channel",
    )


class DigestArgs(Args):
    kind: Kind = Field(
        description="standup (09:00 business days), triage (14:00 business days) or checkin "
        "(11:00 weekend days: a thread, each open item a reply)"
    )
    channel: str | None = Field(None, description="default: the plan's delivery channel")
    plan: Path | None = None
    at: datetime | None = Field(None, description="the moment it is for; default now")


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
    sent, reminded, acked, resolved = [], 0, 0, 0
    if args.notify and ctx.settings.plan.notifier == "webhook":
        with WebhookNotifier(ctx.settings) as hook:
            sent = dispatch(tracker, view, hook, when)
    elif args.notify and ctx.settings.plan.notifier == "channels":
        from marketloop.integrations.escalations import ChannelNotifier
        from marketloop.integrations.plan_channels import dispatch_escalations

        remind = ctx.settings.plan.remind_after_hours
        with ChannelNotifier(ctx.settings) as channels:
            done = dispatch_escalations(channels, tracker, view, when, remind)
        sent, reminded, resolved = done.sent, len(done.reminded), len(done.resolved)
        acked = len(done.acknowledged)
    elif args.notify:
        notifier: Notifier = ConsoleNotifier(console)
        sent = dispatch(tracker, view, notifier, when)
    facts = {"escalations": len(view.escalations), "sent": len(sent)}
    summary = f"{len(view.escalations)} escalations, {len(sent)} sent now"
    if reminded or acked or resolved:
        facts |= {"reminded": reminded, "acknowledged": acked, "resolved": resolved}
        summary += f", {reminded} reminded, {acked} pages acknowledged, {resolved} resolved"
    return ActionResult(facts=facts, summary=summary)


def memo(ctx: ActionContext, args: MemoArgs) -> ActionResult:
    from marketloop.plan.memo import build_memo, html
    from marketloop.report import write_report

    tracker = _tracker(ctx, args.plan)
    view = tracker.view(_moment(tracker, args.at))
    built = build_memo(view)
    path = ctx.workspace.reports_dir / f"plan-memo-{view.plan.id}-{built.today}.html"
    page = html(built, view)
    write_report(path, page)
    summary = f"memo of {built.today}"
    if args.send:
        from marketloop.integrations.escalations import ChannelNotifier
        from marketloop.integrations.plan_channels import send_memo
        from marketloop.plan.memo import markdown

        with ChannelNotifier(ctx.settings) as channels:
            sent = send_memo(channels, view, built, markdown(built), page, args.send)
        summary += f", sent to {sent} channel(s) now"
    return ActionResult(outputs={"memo": str(path)}, summary=summary)


def digest(ctx: ActionContext, args: DigestArgs) -> ActionResult:
    from marketloop.integrations.escalations import ChannelNotifier
    from marketloop.integrations.plan_channels import post_digest
    from marketloop.plan.digest import due

    tracker = _tracker(ctx, args.plan)
    view = tracker.view(_moment(tracker, args.at))
    today = tracker.plan.sprint.local_date(view.at)
    if not due(args.kind, view):
        return ActionResult(
            facts={"sent": 0}, summary=f"no {args.kind} on {today:%a %b %d} (plan calendar)"
        )
    channel = args.channel or tracker.plan.escalation.delivery_channel
    with ChannelNotifier(ctx.settings) as channels:
        sent = post_digest(channels, view, args.kind, channel)
    return ActionResult(
        facts={"sent": sent}, summary=f"{args.kind} of {today}: {sent} message(s) to {channel}"
    )


ACTIONS = [
    Action(
        "plan.escalations",
        EscalationArgs,
        escalations,
        "send the plan's pending escalations once (`marketloop plan escalations --notify`)",
        outputs="plan events (app database)",
    ),
    Action(
        "plan.digest",
        DigestArgs,
        digest,
        "the stand-up digest, the triage reminder or the weekend check-in thread, once a day",
        outputs="messages on the plan's channel (notification_deliveries)",
    ),
    Action(
        "plan.memo",
        MemoArgs,
        memo,
        "the weekly status memo (`marketloop plan memo`)",
        outputs="WORKSPACE/reports/plan-memo-PLAN-DATE.html",
    ),
]
