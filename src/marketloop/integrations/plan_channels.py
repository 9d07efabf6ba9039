"""The plan on its channels: escalations with their reminders and resolutions, the cadence
messages (plan/digest.py) and the weekly memo, each recorded in `notification_deliveries` and
never sent twice for one key and channel.

On a weekend day with a check-in thread open on a channel (the 11:00 check-in posted it),
escalations to that channel go into the thread, as the seed's weekend rule asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marketloop.errors import ConfigError
from marketloop.integrations.escalations import ChannelNotifier
from marketloop.plan.digest import Kind, build, digest_key
from marketloop.plan.escalation import Escalation
from marketloop.plan.memo import Memo
from marketloop.plan.notify import dispatch
from marketloop.plan.tracker import Tracker, View


@dataclass(frozen=True)
class Dispatched:
    sent: list[Escalation]
    reminded: list[Escalation]
    resolved: list[str]  # PagerDuty dedup keys


def dispatch_escalations(
    channels: ChannelNotifier, tracker: Tracker, view: View, at: datetime, remind_after: float
) -> Dispatched:
    """Send what is pending, remind what is overdue, resolve pages whose condition cleared."""
    channels.at = at
    channel = view.plan.escalation.delivery_channel
    thread = channels.log.last(digest_key(view, "checkin"), channel)
    if thread is not None and thread.detail:
        channels.threads[channel] = thread.detail
    sent = dispatch(tracker, view, channels, at)
    reminded, resolved = channels.follow_up(view.plan.id, view.escalations, at, remind_after)
    return Dispatched(sent, reminded, resolved)


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
