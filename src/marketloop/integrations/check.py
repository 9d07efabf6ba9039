"""`marketloop integrations check`: try each configured connection and say what is wrong.

Jira: the credentials (`/myself`) and the project; Slack: the bot token (`auth.test`), or the
incoming webhook (an empty message, which Slack refuses with `no_text` when the webhook exists
and `no_service` when it does not: nothing is posted); PagerDuty: the routing key's form only
(the Events API has no call that does not open an alert); email: connect, TLS and log in
(nothing is sent); Notion: the token, the database shared with the integration and its columns
(as `notion check`); webhooks: a signed `ping` to every URL (as `webhooks test`); the LLM: the
key and the model (`GET /models/MODEL`, no tokens spent). A service with nothing configured is
reported as such, not as an error. `check(settings, name)` tries one (the dashboard's "Test
connection" buttons).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketloop.config import Settings, require_secret
from marketloop.errors import IntegrationError, MarketloopError


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
    return [check(settings, name) for name in PROBES]


def check(settings: Settings, name: str) -> Check:
    """Try the connection of service `name` (a key of PROBES)."""
    configured, probe = PROBES[name]
    if not configured(settings):
        return Check(name, "not configured", "no settings or secrets for it")
    try:
        return Check(name, "ok", probe(settings))
    except MarketloopError as exc:
        return Check(name, "failed", exc.message, exc.hint or "")


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


def _notion(settings: Settings) -> str:
    from marketloop.integrations.notion import NotionClient
    from marketloop.integrations.notion_schema import data_source_id, read_schema

    token = require_secret(settings.notion.token, section="notion", field="token")
    with NotionClient(settings.notion, token) as client:
        source = data_source_id(client, settings.notion)
        schema = read_schema(client.data_source(source), settings.notion)
    return (
        f"data source {schema.data_source_id} is ready for briefs ({len(schema.columns)} columns)"
    )


def _webhooks(settings: Settings) -> str:
    from marketloop.integrations.webhooks import Event, WebhookSender

    once = settings.model_copy(
        update={"webhooks": settings.webhooks.model_copy(update={"retries": 0})}
    )
    with WebhookSender(once) as sender:
        sent = sender.send(Event(type="ping", data={"message": "hello from marketloop"}))
    refused = [d for d in sent if not d.delivered]
    if refused:
        first = refused[0]
        raise IntegrationError(
            f"{len(refused)} of {len(sent)} webhook URLs refused the ping (first: {first.url}: "
            f"{first.error or first.status})",
            hint="check the URL and that the receiver accepts the signing secret",
        )
    return f"{len(sent)} URL(s) accepted a signed ping"


def _llm(settings: Settings) -> str:
    import openai

    from marketloop.content.errors import LlmError
    from marketloop.content.llm.client import OPENAI_URL, endpoint_key

    section = settings.llm
    sdk = openai.OpenAI(api_key=endpoint_key(section), base_url=section.base_url or OPENAI_URL,
                        max_retries=0, timeout=min(section.timeout, 15.0))  # fmt: skip
    try:
        model = sdk.models.retrieve(section.model)
    except openai.APIStatusError as exc:
        raise LlmError(f"the LLM endpoint answered {exc.status_code} for model {section.model}",
                       hint="check [llm] api_key, base_url and model") from None  # fmt: skip
    except openai.APIError:
        raise LlmError(f"cannot reach the LLM endpoint {section.base_url or OPENAI_URL}",
                       hint="check [llm] base_url and the network") from None  # fmt: skip
    finally:
        sdk.close()
    return f"model {model.id} is available"


#: service → (is it configured, the probe that tries it); `integrations check` tries them all
PROBES: dict[str, tuple[Callable[[Settings], bool], Callable[[Settings], str]]] = {
    "notion": (lambda s: s.notion.token is not None, _notion),
    "jira": (lambda s: bool(s.jira.url), _jira),
    "slack": (lambda s: s.slack.token is not None or s.slack.webhook_url is not None, _slack),
    "pagerduty": (lambda s: s.pagerduty.routing_key is not None, _pagerduty),
    "email": (lambda s: s.email.host is not None, _email),
    "webhooks": (lambda s: bool(s.webhooks.urls), _webhooks),
    "llm": (lambda s: s.llm.resolved_provider() == "openai", _llm),
}
