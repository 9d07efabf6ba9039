"""Outbound webhooks: signed, retried, deduplicated and recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from marketloop.config import app_db_url
from marketloop.errors import ConfigError
from marketloop.fakes.server import LocalServer
from marketloop.integrations import records
from marketloop.integrations.errors import WebhookError
from marketloop.integrations.redact import redact_url
from marketloop.integrations.signing import LEGACY_HEADER, legacy_sign
from marketloop.integrations.webhook_batch import send_many
from marketloop.integrations.webhooks import (
    Delivery,
    Event,
    WebhookSender,
    brief_event,
    send_event,
)
from marketloop.workspace import Workspace

from .conftest import SECRET, Receiver, make_brief, make_settings


def sender(
    workspace: Workspace, receiver: Receiver, **extra: Any
) -> tuple[WebhookSender, list[float]]:
    slept: list[float] = []
    return WebhookSender(
        make_settings(workspace, receiver=receiver, **extra), sleep=slept.append
    ), slept


def test_an_event_arrives_signed_with_an_idempotency_key(
    workspace: Workspace, receiver: Receiver
) -> None:
    event = Event(type="escalation", data={"task": "T-12"})
    [delivery] = send_event(event, make_settings(workspace, receiver=receiver))
    assert delivery.delivered and delivery.status == 200 and delivery.attempts == 1
    [received] = receiver.fake.events
    assert received == {
        "type": "escalation",
        "id": event.id,
        "occurred_at": received["occurred_at"],
        "data": {"task": "T-12"},
    }
    assert receiver.fake.rejected_signatures == 0


def test_the_receiver_refuses_a_wrong_secret(workspace: Workspace, receiver: Receiver) -> None:
    settings = make_settings(workspace, receiver=receiver, webhooks={"secret": "not-the-secret"})
    [delivery] = send_event(Event(type="ping"), settings)
    assert (
        not delivery.delivered and delivery.status == 401 and delivery.attempts == 1
    )  # 4xx: final
    assert receiver.fake.rejected_signatures == 1 and receiver.fake.events == []


def test_the_signature_covers_the_exact_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    from marketloop.config import load_settings

    settings = load_settings(
        overrides={"webhooks": {"secret": SECRET, "urls": ["https://hooks.example.com/h/1"]}}
    )
    with WebhookSender(settings, transport=httpx.MockTransport(handler)) as send:
        send.deliver(Event(type="ping", id="evt_1"), "https://hooks.example.com/h/1", force=True)
    [request] = seen
    assert Webhook(SECRET).verify(request.content, dict(request.headers))["id"] == "evt_1"
    assert request.headers["webhook-id"] == request.headers["Idempotency-Key"] == "evt_1"
    assert request.headers["Content-Type"] == "application/json"
    stamp = int(request.headers["webhook-timestamp"])  # the old header, for one release
    assert request.headers[LEGACY_HEADER] == legacy_sign(request.content, SECRET, stamp)


def test_a_standardwebhooks_receiver_verifies_every_attempt_with_one_id(
    workspace: Workspace,
) -> None:
    """A receiver built on the `standardwebhooks` package: the first two attempts fail, the
    third is accepted; each attempt verifies and all carry the same webhook-id."""
    seen: list[tuple[str, str, str]] = []
    answers = [500, 429, 200]

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError:
            return web.json_response({"error": "bad signature"}, status=401)
        headers = request.headers
        seen.append(
            (headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"])
        )
        status = answers.pop(0)
        return web.json_response({}, status=status, headers={"Retry-After": "0"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    with LocalServer(app) as server:
        settings = make_settings(
            workspace, webhooks={"secret": SECRET, "urls": [f"{server.url}/hook"], "backoff": 0}
        )
        event = Event(type="brief.created", data={"title": "<script>alert('x')</script>"})
        with WebhookSender(settings, sleep=lambda _: None) as send:
            [delivery] = send.send(event)
    assert delivery.delivered and delivery.attempts == 3
    assert [msg_id for msg_id, _, _ in seen] == [event.id] * 3


def test_legacy_signature_can_be_switched_off() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    from marketloop.config import load_settings

    hooks = {"secret": SECRET, "urls": ["https://h.example.com/1"], "legacy_signature": False}
    settings = load_settings(overrides={"webhooks": hooks})
    with WebhookSender(settings, transport=httpx.MockTransport(handler)) as send:
        send.deliver(Event(type="ping"), "https://h.example.com/1", force=True)
    assert LEGACY_HEADER not in seen[0].headers and "webhook-signature" in seen[0].headers


def test_a_malformed_whsec_secret_stops_before_sending(workspace: Workspace) -> None:
    settings = make_settings(workspace, webhooks={"secret": "whsec_tooshort", "urls": []})
    with pytest.raises(ConfigError, match="whsec_"):
        WebhookSender(settings)


def test_500_then_success_is_retried(workspace: Workspace, receiver: Receiver) -> None:
    receiver.fake.fail_next = [500, 502]
    send, slept = sender(workspace, receiver)
    with send:
        [delivery] = send.send(Event(type="ping"))
    assert delivery.delivered and delivery.attempts == 3 and len(slept) == 2
    assert len(receiver.fake.events) == 1


def test_429_retry_after_is_honoured(workspace: Workspace, receiver: Receiver) -> None:
    receiver.fake.fail_next, receiver.fake.retry_after = [429], "7"
    send, slept = sender(workspace, receiver)
    with send:
        [delivery] = send.send(Event(type="ping"))
    assert delivery.delivered and slept == [7.0]


def test_retries_run_out_and_the_failure_is_recorded(
    workspace: Workspace, receiver: Receiver
) -> None:
    receiver.fake.fail_next = [503] * 10
    send, slept = sender(workspace, receiver, webhooks={"retries": 2})
    with send:
        [delivery] = send.send(Event(type="ping", id="evt_down"))
    assert len(slept) == 2
    assert not delivery.delivered and delivery.attempts == 3 and delivery.status == 503
    [row] = records.recent_deliveries(send.db_url)
    assert (row.event_id, row.delivered, row.attempts, row.status) == ("evt_down", False, 3, 503)
    assert "HTTP 503" in (row.error or "")


def test_an_unreachable_receiver_is_retried_then_recorded(workspace: Workspace) -> None:
    settings = make_settings(
        workspace,
        webhooks={
            "urls": ["http://127.0.0.1:9/hooks/x"],
            "secret": SECRET,
            "retries": 1,
            "backoff": 0,
        },
    )
    [delivery] = send_event(Event(type="ping"), settings)
    assert not delivery.delivered and delivery.status is None and delivery.attempts == 2
    assert "ConnectError" in (delivery.error or "")


def test_an_event_is_not_delivered_twice_to_one_url(
    workspace: Workspace, receiver: Receiver
) -> None:
    event = brief_event(make_brief())
    assert brief_event(make_brief()).id == event.id  # same brief, same event
    assert brief_event(make_brief(h1="Other")).id != event.id
    settings = make_settings(workspace, receiver=receiver)
    [first] = send_event(event, settings)
    [second] = send_event(event, settings)
    assert first.delivered and not first.skipped and second.skipped
    [forced] = send_event(event, settings, force=True)
    assert forced.delivered and not forced.skipped
    assert (
        receiver.fake.attempts == 2
        and receiver.fake.repeats == 1
        and len(receiver.fake.events) == 1
    )


def test_many_events_to_many_urls_in_a_batch(workspace: Workspace, receiver: Receiver) -> None:
    other = receiver.url.replace("/zap/", "/crm/")
    events = [Event(type="brief.created", data={"n": n}) for n in range(12)]
    send, _ = sender(
        workspace, receiver, webhooks={"urls": [receiver.url, other], "concurrency": 4}
    )
    seen: list[str] = []
    with send:
        deliveries = send_many(send, events, on_delivery=lambda d: seen.append(d.event_id))
        again = send_many(send, events)
    assert [d.event_id for d in deliveries] == [e.id for e in events for _ in range(2)]
    assert all(d.delivered for d in deliveries) and len(seen) == 24
    assert sorted(receiver.fake.hooks) == ["crm"] * 12 + ["zap"] * 12
    assert len(records.recent_deliveries(send.db_url, 100)) == 24  # recorded in batches
    assert all(d.skipped for d in again) and receiver.fake.attempts == 24


def test_deliveries_are_recorded_with_the_url_redacted(
    workspace: Workspace, receiver: Receiver
) -> None:
    settings = make_settings(workspace, receiver=receiver)
    send_event(Event(type="ping", id="evt_rec"), settings)
    [row] = records.recent_deliveries(app_db_url(settings))
    assert row.url == redact_url(receiver.url) and row.url.endswith("/hooks/***")
    assert "AbC123" not in row.url
    assert (row.event_type, row.delivered, row.status, row.attempts) == ("ping", True, 200, 1)
    assert row.latency_ms >= 0 and row.error is None


@pytest.mark.postgres
def test_deliveries_are_recorded_in_postgresql(
    workspace: Workspace, receiver: Receiver, postgres_url: str
) -> None:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://")
    settings = make_settings(workspace, receiver=receiver, app_db_url=url)
    event = Event(type="escalation", id="evt_pg")
    send_event(event, settings)
    [again] = send_event(event, settings)
    assert again.skipped  # the record is what tells
    [row] = records.recent_deliveries(url)
    assert (row.event_id, row.delivered, row.status) == ("evt_pg", True, 200)


def test_no_secret_no_sending(workspace: Workspace, receiver: Receiver) -> None:
    settings = make_settings(workspace, webhooks={"urls": [receiver.url]})
    with pytest.raises(ConfigError, match="MARKETLOOP_WEBHOOKS_SECRET"):
        send_event(Event(type="ping"), settings)


def test_no_url_is_a_clear_error(workspace: Workspace) -> None:
    settings = make_settings(workspace, webhooks={"secret": SECRET})
    with pytest.raises(WebhookError, match="MARKETLOOP_WEBHOOKS_URLS"):
        send_event(Event(type="ping"), settings)


@pytest.mark.parametrize(
    "url", ["http://hooks.example.com/x", "ftp://example.com/x", "hooks.example.com"]
)
def test_insecure_or_odd_urls_are_refused(workspace: Workspace, url: str) -> None:
    settings = make_settings(workspace, webhooks={"secret": SECRET})
    with pytest.raises(WebhookError):
        send_event(Event(type="ping"), settings, urls=[url])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://hooks.zapier.com/hooks/catch/123456/abcdef/",
            "https://hooks.zapier.com/hooks/***",
        ),
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/services/***"),
        (
            "https://user:pass@example.com:8443/webhooks?token=abc#x",
            "https://example.com:8443/webhooks?***",
        ),
        ("https://example.com/s3cr3t-T0ken", "https://example.com/***"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_no_secret_reaches_the_logs(
    workspace: Workspace,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from marketloop.observe.logging import configure_logging

    configure_logging("debug")
    caplog.set_level(logging.DEBUG)
    receiver.fake.fail_next = [500]
    send_event(Event(type="ping"), make_settings(workspace, receiver=receiver))
    logged = caplog.text + capsys.readouterr().err
    assert "webhook.delivery" in logged  # we did log the delivery
    assert "AbC123" not in logged and SECRET not in logged


def test_an_interrupted_batch_keeps_the_record_of_what_was_sent(
    workspace: Workspace, receiver: Receiver
) -> None:
    events = [Event(type="brief.created", data={"n": n}) for n in range(10)]
    seen: list[Delivery] = []

    def interrupt(delivery: Delivery) -> None:
        seen.append(delivery)
        if len(seen) == 3:
            raise KeyboardInterrupt

    receiver.fake.delay = 0.05  # one at a time, slow enough for the interrupt to come first
    send, _ = sender(workspace, receiver, webhooks={"concurrency": 1})
    with send, pytest.raises(KeyboardInterrupt):
        send_many(send, events, on_delivery=interrupt)
    recorded = {row.event_id for row in records.recent_deliveries(send.db_url, 100)}
    received = {e["id"] for e in receiver.fake.events}
    assert {d.event_id for d in seen} <= recorded == received  # all that was sent is recorded
    assert len(received) < len(events)  # and the queued rest was not sent
    again, _ = sender(workspace, receiver)
    with again:
        rest = send_many(again, events)  # the next run sends only the others
    assert sum(d.skipped for d in rest) == len(recorded)
    assert {e["id"] for e in receiver.fake.events} == {e.id for e in events}
    assert receiver.fake.repeats == 0
