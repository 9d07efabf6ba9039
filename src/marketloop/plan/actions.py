"""The delivery plan's actions: `plan.escalations` (send what must be escalated now, once;
with the channels notifier also reminders, and PagerDuty acknowledgements and resolutions),
`plan.memo` (the weekly status memo, optionally sent by email and Slack) and `plan.digest` (the
stand-up digest, the triage reminder and the weekend check-in thread), as
`marketloop plan escalations --notify` and `marketloop plan memo` do. What was sent is
recorded and never sent twice."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.plan.digest import Kind
from marketloop.plan.model import ChannelName
from marketloop.plan.tracker import Tracker


def _as_text(value: Any) -> Any:
    """A moment YAML already read as a date or date-time (an unquoted `2026-12-14`) back to
    the ISO text `--at` takes, so both read it the same way (`plan.bounds.parse_moment`)."""
    return value.isoformat() if isinstance(value, date) else value


def _iso(value: str | None) -> str | None:
    """Refused at `loop check` when it is not ISO 8601 (the plan's window is checked when the
    step reads the plan)."""
    if value is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value[:100]!r} is not a date or date-time (use ISO 8601, e.g. 2026-12-14, "
                "2026-12-14T16:30 or 2026-12-14T16:30-08:00)"
            ) from None
    return value


#: `at:` of a plan action: read exactly like `--at`
Moment = Annotated[str | None, BeforeValidator(_as_text), AfterValidator(_iso)]


class EscalationArgs(Args):
    plan: Path | None = Field(None, description="plan file; default [plan] file, ./plan.yaml")
    notify: bool = Field(True, description="send the ones not sent yet via [plan] notifier")
    at: Moment = Field(None, description="evaluate at this moment (as `--at`); default now")


class MemoArgs(Args):
    plan: Path | None = None
    at: Moment = Field(None, description="the memo as of this moment (as `--at`)")
    send: list[ChannelName] = Field(
        default_factory=list,
        description="also send it, once per week, to these channels: email:name@example.com "
        "(HTML with a text part), slack:#channel",
    )


class DigestArgs(Args):
    kind: Kind = Field(
        description="standup (09:00 business days), triage (14:00 business days) or checkin "
        "(11:00 weekend days: a thread, each open item a reply)"
    )
    channel: ChannelName | None = Field(None, description="default: the plan's delivery channel")
    plan: Path | None = None
    at: Moment = Field(None, description="the moment it is for (as `--at`); default now")


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
    done = notify(ctx.settings, tracker, view, when, console) if args.notify else None
    sent = done.sent if done else []
    reminded, acked, resolved = (
        (done.reminded, done.acknowledged, done.resolved) if done else (0, 0, 0)
    )
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
