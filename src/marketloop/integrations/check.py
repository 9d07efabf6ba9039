"""`marketloop integrations check`: try each configured connection and say what is wrong.

Jira: the credentials (`/myself`) and the project; Slack: the bot token (`auth.test`), or the
incoming webhook (an empty message, which Slack refuses with `no_text` when the webhook exists
and `no_service` when it does not: nothing is posted); PagerDuty: the routing key's form only
(the Events API has no call that does not open an alert); email: connect, TLS and log in
(nothing is sent). A service with nothing configured is reported as such, not as an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketloop.config import Settings, require_secret
from marketloop.errors import MarketloopError


@dataclass(frozen=True)
class Check:
    service: str
    status: str  # ok, failed, not configured
    detail: str
    hint: str = ""

    def row(self) -> dict[str, str]:
        return {"service": self.service, "status": self.status, "detail": self.detail,
                "hint": self.hint}  # fmt: skip


def check_all(settings: Settings) -> list[Check]:
    probes: list[tuple[str, bool, Callable[[Settings], str]]] = [
        ("jira", bool(settings.jira.url), _jira),
        ("slack", settings.slack.token is not None or settings.slack.webhook_url is not None,
         _slack),
        ("pagerduty", settings.pagerduty.routing_key is not None, _pagerduty),
        ("email", settings.email.host is not None, _email),
    ]  # fmt: skip
    found = []
    for name, configured, probe in probes:
        if not configured:
            found.append(Check(name, "not configured", "no settings or secrets for it"))
            continue
        try:
            found.append(Check(name, "ok", probe(settings)))
        except MarketloopError as exc:
            found.append(Check(name, "failed", exc.message, exc.hint or ""))
    return found


def _jira(settings: Settings) -> str:
    from marketloop.integrations.jira import JiraClient

    section = settings.jira.model_copy(update={"retries": 0})
    with JiraClient(section) as client:
        me = client.myself()
        detail = f"signed in as {me.get('emailAddress') or me.get('displayName')}"
        if settings.jira.project:
            project = client.project(settings.jira.project)
            detail += f"; project {project['key']} ({project.get('name', '')})"
        return detail


def _slack(settings: Settings) -> str:
    from marketloop.integrations.slack import SlackClient, SlackError

    section = settings.slack
    if section.token is None and section.webhook_url is not None:
        hook = require_secret(section.webhook_url, section="slack", field="webhook_url")
        client = SlackClient(section.model_copy(update={"retries": 0}), webhook_url=hook)
        try:
            client.post("webhook", "")  # refused with no_text by a webhook that exists
        except SlackError as exc:
            if not exc.message.endswith(": no_text"):
                raise
        finally:
            client.close()
        return "incoming webhook answers (posts to its own channel; no threads)"
    client = SlackClient(section, require_secret(section.token, section="slack", field="token"))
    try:
        me = client.auth_test()
    finally:
        client.close()
    return f"bot {me.get('user')} in workspace {me.get('team')}"


def _email(settings: Settings) -> str:
    from marketloop.integrations.mail import EmailClient

    section = settings.email
    with EmailClient(section) as mail:
        where = mail.check()
    return f"{where}: " + (f"logged in as {section.user}" if section.user else "no login")


def _pagerduty(settings: Settings) -> str:
    from marketloop.integrations.pagerduty import PagerDutyError

    key = require_secret(settings.pagerduty.routing_key, section="pagerduty", field="routing_key")
    if len(key) != 32 or not key.isalnum():
        raise PagerDutyError(
            "the PagerDuty routing key is not 32 letters and digits",
            hint="copy the Integration Key of an Events API v2 integration on the service",
        )
    return "routing key well-formed (not sent: any Events API call opens an alert)"
