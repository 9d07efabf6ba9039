"""The plan on its channels: escalations with their reminders and resolutions, the cadence
messages (plan/digest.py) and the weekly memo, each recorded in `notification_deliveries` and
never sent twice for one key and channel.

On a weekend day with a check-in thread open on a channel (the 11:00 check-in posted it),
escalations to that channel go into the thread, as the seed's weekend rule asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketloop.config import Settings
from marketloop.errors import ConfigError, MarketloopError, TransientError
from marketloop.integrations.escalations import ChannelNotifier
from marketloop.plan.digest import Kind, build, digest_key
from marketloop.plan.escalation import Escalation
from marketloop.plan.memo import Memo
from marketloop.plan.notify import NotifyError, NotifyUnavailable, dispatch
from marketloop.plan.tracker import Tracker, View


@dataclass(frozen=True)
class Dispatched:
    sent: list[Escalation]
    reminded: list[Escalation]
    acknowledged: list[str]  # PagerDuty dedup keys
    resolved: list[str]


def dispatch_escalations(
    channels: ChannelNotifier, tracker: Tracker, view: View, at: datetime, remind_after: float
) -> Dispatched:
    """Send what is pending, remind what is overdue and unacknowledged, acknowledge the pages
    of acknowledged escalations, resolve pages whose condition cleared."""
    channels.at = at
    channel = view.plan.escalation.delivery_channel
    thread = channels.log.last(digest_key(view, "checkin"), channel)
    if thread is not None and thread.detail:
        channels.threads[channel] = thread.detail
    sent = dispatch(tracker, view, channels, at)
    acked = set(view.state.acknowledged)
    done = channels.follow_up(view.plan.id, view.escalations, at, remind_after, acked)
    return Dispatched(sent, *done)


def acknowledge_page(settings: Settings, view: View, ref: str, at: datetime) -> list[str]:
    """Tell PagerDuty now that the escalation `ref` names was acknowledged (`plan ack`): its
    open page gets an `acknowledge`, once; the dedup keys acknowledged. When PagerDuty does
    not take it, the acknowledgement stays recorded and the next dispatch sends it."""
    with ChannelNotifier(settings) as channels:
        channels.at = at
        try:
            return channels.acknowledge(view.plan.id, [view.find(ref)])
        except MarketloopError as exc:
            failure = NotifyUnavailable if isinstance(exc, TransientError) else NotifyError
            raise failure(
                f"acknowledged in the plan, but PagerDuty was not told: {exc}",
                hint=(f"{exc.hint}; then " if exc.hint else "")
                + "`marketloop plan escalations --notify` (or the loop's plan.escalations step) "
                "sends it again",
            ) from None


def post_digest(channels: ChannelNotifier, view: View, kind: Kind, channel: str) -> int:
    """Post the `kind` message of the view's day on `channel` (the check-in: its parent, then
    each open item as a reply in its thread); how many messages went out now."""
    _no_page(channel, kind)
    digest = build(kind, view)
    head = channels.log.last(digest.head.key, channel)
    sent = 0
    if head is None:
        ts = channels.deliver(channel, digest.head.key, digest.head.text,
                              subject=digest.head.subject)  # fmt: skip
        sent += 1
    else:
        ts = head.detail
    for reply in digest.replies:
        if channels.log.last(reply.key, channel) is None:
            channels.deliver(channel, reply.key, reply.text, subject=reply.subject, thread_ts=ts)
            sent += 1
    return sent


def send_memo(
    channels: ChannelNotifier, view: View, memo: Memo, text: str, html: str, to: list[str]
) -> int:
    """The memo to each channel in `to` once: email gets the HTML with `text` as its plain
    part; Slack the text; how many went out now."""
    key = f"memo/{view.plan.id}/{memo.today.isoformat()}"
    sent = 0
    for channel in to:
        _no_page(channel, "memo")
    for channel in to:
        if channels.log.last(key, channel) is None:
            channels.deliver(channel, key, text, subject=memo.title, html=html)
            sent += 1
    return sent


def _no_page(channel: str, what: str) -> None:
    if channel.startswith("pagerduty:"):
        raise ConfigError(
            f"the {what} does not go to {channel}: PagerDuty pages someone",
            hint="send it to slack:#channel or email:name@example.com",
        )
