"""Sending escalations: one `Notifier` protocol, a console and a signed-webhook implementation.

`dispatch` sends what is pending and records a `notified` event for each one sent, so running
`plan escalations --notify` again does not send it twice (the key is task + level + reason: a
changed reason is news and goes out again). If a send fails, what went out before it is
already recorded and the rest goes out on the next run.

The webhook signs its body with `integrations.signing` (header `X-Marketloop-Signature`). Its
sending part is one small method, so the shared webhook sender (retries, delivery records)
can take its place behind the same protocol. Slack and PagerDuty adapters plug in the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Protocol

import httpx
from rich.console import Console

from marketloop.errors import PlanError, TransientError
from marketloop.integrations.signing import SIGNATURE_HEADER, sign
from marketloop.plan.escalation import Escalation
from marketloop.plan.tracker import Tracker, View


class NotifyError(PlanError):
    """An escalation could not be delivered and retrying will not help (4xx, bad URL)."""


class NotifyUnavailable(NotifyError, TransientError):
    """The receiver is unreachable, rate-limited or failing (5xx): try again later."""


class Notifier(Protocol):
    name: str

    def send(self, plan_id: str, escalation: Escalation) -> None: ...


class ConsoleNotifier:
    name = "console"

    def __init__(self, console: Console) -> None:
        self.console = console

    def send(self, plan_id: str, escalation: Escalation) -> None:
        e = escalation
        who = f"[bold]{plan_id} → {e.to}[/] ({e.person}) via {e.channel}"
        self.console.print(f"{who}: [bold]{e.task}[/] {e.reason}")


class WebhookNotifier:
    name = "webhook"

    def __init__(
        self, url: str, secret: str, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self.url = url
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout)

    def __enter__(self) -> WebhookNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def send(self, plan_id: str, escalation: Escalation) -> None:
        body = json.dumps(
            {
                "type": "plan.escalation",
                "plan": plan_id,
                "sent_at": datetime.now(UTC).isoformat(),
                "escalation": escalation.as_dict(),
            },
            ensure_ascii=False,
        ).encode()
        self._post(body, escalation.task)

    def _post(self, body: bytes, task: str) -> None:
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifyUnavailable(
                f"escalation for {task} not delivered to {self.url}: {type(exc).__name__}",
                hint="check [plan] webhook_url; nothing was recorded, so the next run retries",
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After", "")
            raise NotifyUnavailable(
                f"escalation for {task}: {self.url} answered {response.status_code}",
                hint="try again later; nothing was recorded for it",
                retry_after=float(retry_after) if retry_after.isdigit() else None,
            )
        if response.status_code >= 400:
            raise NotifyError(
                f"escalation for {task}: {self.url} refused it with {response.status_code}",
                hint="check that [plan] webhook_secret matches the receiver's (a 401 says not)",
            )


def dispatch(tracker: Tracker, view: View, notifier: Notifier, at: datetime) -> list[Escalation]:
    """Send every pending escalation once; return the ones sent now."""
    sent = []
    for escalation in view.pending:
        notifier.send(tracker.plan.id, escalation)
        tracker.record_sent(escalation, at, notifier.name)
        sent.append(escalation)
    return sent
