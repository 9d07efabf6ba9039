"""The signed-webhook notifier against a local receiver that checks the signature."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from marketloop.appdb import open_app_db
from marketloop.fakes.server import LocalServer
from marketloop.integrations.signing import SIGNATURE_HEADER, verify
from marketloop.plan.model import Plan
from marketloop.plan.notify import NotifyError, NotifyUnavailable, WebhookNotifier, dispatch
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker

SECRET = "whsec-test-secret"


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(body, request.headers.get(SIGNATURE_HEADER, ""), SECRET):
            return web.json_response({"error": "bad signature"}, status=401)
        if self.status != 200:
            return web.json_response(
                {"error": "busy"}, status=self.status, headers={"Retry-After": "7"}
            )
        self.bodies.append(json.loads(body))
        return web.json_response({"ok": True})


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    with LocalServer(app) as server:
        yield hook, server.url + "/hook"


def test_webhook_signs_sends_once_and_records_what_was_sent(
    example: Plan, receiver: tuple[Receiver, str], tmp_path: Path
) -> None:
    hook, url = receiver
    tracker = Tracker(
        example, EventLog(open_app_db(f"sqlite:///{tmp_path / 'app.db'}"), example.id)
    )
    start = datetime(2026, 12, 1, 18, tzinfo=UTC)  # 10:00 PT on day 1
    tracker.slip("day7", 3, "licenses pending", start)
    notifier = WebhookNotifier(url, SECRET)
    sent = dispatch(tracker, tracker.view(start), notifier, start)
    assert [e.task for e in sent] == ["day7"]
    payload = hook.bodies[0]
    assert payload["type"] == "plan.escalation" and payload["plan"] == "PRJ-AIML-002"
    assert payload["escalation"]["to"] == "Executive Sponsor"  # type: ignore[index]
    assert dispatch(tracker, tracker.view(start), notifier, start) == []
    assert len(hook.bodies) == 1

    hook.status = 503
    tracker.slip("day12", 2, "cluster credentials", start)
    with pytest.raises(NotifyUnavailable) as caught:
        dispatch(tracker, tracker.view(start), notifier, start)
    assert caught.value.transient and caught.value.retry_after == 7
    assert [e.task for e in tracker.view(start).pending] == ["day12"]  # nothing recorded

    notifier.close()
    with (
        pytest.raises(NotifyError, match="refused it with 401"),
        WebhookNotifier(url, "wrong") as bad,
    ):
        dispatch(tracker, tracker.view(start), bad, start)


def test_unreachable_receiver_is_transient(example: Plan, tmp_path: Path) -> None:
    tracker = Tracker(
        example, EventLog(open_app_db(f"sqlite:///{tmp_path / 'app.db'}"), example.id)
    )
    start = datetime(2026, 12, 1, 18, tzinfo=UTC)
    tracker.slip("day7", 3, "licenses pending", start)
    with (
        pytest.raises(NotifyUnavailable, match="not delivered"),
        WebhookNotifier("http://127.0.0.1:9/hook", SECRET, timeout=2) as notifier,
    ):
        dispatch(tracker, tracker.view(start), notifier, start)
