"""The loop action `notify`: tell a channel about loop runs that failed or that a gate stopped.

Runs as a step of a watching loop (e.g. every 15 minutes): it reads the newest runs from the
app database and sends one message per failed run to `channel` (`slack:#channel` or
`pagerduty:SERVICE`; PagerDuty's dedup key is the run id, so nothing pages twice). Each attempt
is a row in `notification_deliveries`; a run already delivered to a channel is not sent again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field
from sqlalchemy import Boolean, DateTime, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from marketloop.actions import ActionContext, ActionResult, Args
from marketloop.appdb import Base, open_app_db, session_factory
from marketloop.config import app_db_url
from marketloop.errors import IntegrationError, MarketloopError
from marketloop.integrations.escalations import ChannelNotifier


class NotificationDelivery(Base):
    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(200))
    delivered: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NotifyArgs(Args):
    channel: str = Field(description="slack:#channel, slack:@person or pagerduty:SERVICE")
    loop: str | None = Field(None, description="only runs of this loop; default every loop")
    limit: int = Field(50, ge=1, le=500, description="newest runs looked at")


def message(run_id: str, loop: str, reason: str | None, gated: bool) -> str:
    what = "was stopped by a gate" if gated else "failed"
    return f"marketloop: run {run_id} of loop {loop} {what}: {reason or 'no reason recorded'}"


def notify(ctx: ActionContext, args: NotifyArgs) -> ActionResult:
    from marketloop.runner.store import Store

    db = app_db_url(ctx.settings)
    store = Store(db)
    runs, _ = store.runs(loop=args.loop, limit=args.limit)
    sent, failed = 0, []
    with ChannelNotifier(ctx.settings) as channels:
        for run in runs:
            if (
                run.status != "failed"
                or run.id == ctx.run_id
                or _delivered(db, run.id, args.channel)
            ):
                continue
            gated = any(s.gate and s.gate.get("result") == "fail" for s in store.steps(run.id))
            text = message(run.id, run.loop, run.reason, gated)
            try:
                channels.deliver(args.channel, f"run-{run.id}", text, severity="error")
            except MarketloopError as exc:
                _record(db, run.id, args.channel, False, str(exc))
                failed.append(f"{run.id}: {exc}")
                continue
            _record(db, run.id, args.channel, True, None)
            sent += 1
    if failed:
        raise IntegrationError(
            f"{len(failed)} run alerts not delivered (first: {failed[0]})",
            hint="fix the cause and run the step again: what was delivered is not sent twice",
        )
    return ActionResult(facts={"sent": sent}, summary=f"{sent} run alerts sent to {args.channel}")


def _delivered(db: str, key: str, channel: str) -> bool:
    query = select(NotificationDelivery.id).where(
        NotificationDelivery.key == key,
        NotificationDelivery.channel == channel,
        NotificationDelivery.delivered.is_(True),
    )
    with session_factory(db)() as session:
        return session.execute(query.limit(1)).first() is not None


def _record(db: str, key: str, channel: str, delivered: bool, error: str | None) -> None:
    row = {"key": key, "channel": channel, "delivered": delivered, "error": error}
    with open_app_db(db).begin() as connection:
        connection.execute(insert(NotificationDelivery).values(created_at=datetime.now(UTC), **row))
