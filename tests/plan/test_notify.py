"""The webhook notifier: escalations through the shared webhook sender to a local receiver that
checks the signature (`marketloop.fakes.webhook_receiver`)."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from marketloop.appdb import open_app_db
from marketloop.cli import app
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.errors import ConfigError
from marketloop.fakes.server import LocalServer
from marketloop.fakes.webhook_receiver import WebhookReceiver
from marketloop.integrations import records
from marketloop.plan.model import Plan
from marketloop.plan.notify import (
    NotifyError,
    NotifyUnavailable,
    WebhookNotifier,
    dispatch,
    escalation_event,
)
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker
from marketloop.workspace import Workspace

from .conftest import EXAMPLE

SECRET = "whsec-test-secret"
START = datetime(2026, 12, 1, 18, tzinfo=UTC)  # 10:00 PT on day 1


@pytest.fixture
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    fake = WebhookReceiver(SECRET)
    with LocalServer(fake.app) as server:
        yield fake, server.url


def settings_for(workspace: Workspace, url: str | None, **webhooks: Any) -> Settings:
    hooks = {"secret": SECRET, "backoff": 0.01, **webhooks}
    return load_settings(
        overrides={"workspace": workspace.root, "plan": {"webhook_url": url}, "webhooks": hooks}
    )


def tracker_for(example: Plan, settings: Settings) -> Tracker:
    """A tracker on the same app database the sender records its deliveries in."""
    return Tracker(example, EventLog(open_app_db(app_db_url(settings)), example.id))


def test_webhook_signs_sends_once_and_records_what_was_sent(
    example: Plan, receiver: tuple[WebhookReceiver, str], workspace: Workspace
) -> None:
    fake, base = receiver
    settings = settings_for(workspace, f"{base}/hooks/plan", retries=2)
    tracker = tracker_for(example, settings)
    tracker.slip("day7", 3, "licenses pending", START)
    slept: list[float] = []
    notifier = WebhookNotifier(settings, sleep=slept.append)
    sent = dispatch(tracker, tracker.view(START), notifier, START)
    assert [e.task for e in sent] == ["day7"]
    [event] = fake.events  # the receiver verified the signature before accepting it
    assert (
        event["type"] == "plan.escalation"
        and event["id"] == escalation_event(example.id, sent[0]).id
    )
    assert event["data"]["plan"] == "PRJ-AIML-002"
    assert event["data"]["escalation"]["to"] == "Executive Sponsor"
    assert dispatch(tracker, tracker.view(START), notifier, START) == []
    assert fake.attempts == 1 and fake.rejected_signatures == 0

    fake.fail_next, fake.retry_after = [429] * 3, "7"
    tracker.slip("day12", 2, "cluster credentials", START)
    with pytest.raises(NotifyUnavailable, match="answered 429 after 3 attempt") as caught:
        dispatch(tracker, tracker.view(START), notifier, START)
    assert caught.value.transient and caught.value.retry_after == 7 and slept == [7.0, 7.0]
    assert [e.task for e in tracker.view(START).pending] == ["day12"]  # not marked as sent
    notifier.close()

    wrong = settings_for(workspace, f"{base}/hooks/plan", secret="wrong")
    with (
        pytest.raises(NotifyError, match="refused it with 401") as refused,
        WebhookNotifier(wrong) as bad,
    ):
        dispatch(tracker, tracker.view(START), bad, START)
    assert not refused.value.transient and "[webhooks] secret" in str(refused.value)
    assert fake.rejected_signatures == 1 and fake.attempts == 5  # a 401 is not retried


def test_a_503_then_200_is_retried_and_delivered(
    example: Plan, receiver: tuple[WebhookReceiver, str], workspace: Workspace
) -> None:
    fake, base = receiver
    settings = settings_for(workspace, f"{base}/hooks/plan")
    tracker = tracker_for(example, settings)
    tracker.slip("day7", 3, "licenses pending", START)
    fake.fail_next = [503]
    slept: list[float] = []
    with WebhookNotifier(settings, sleep=slept.append) as notifier:
        sent = dispatch(tracker, tracker.view(START), notifier, START)
    assert [e.task for e in sent] == ["day7"] and tracker.view(START).pending == ()
    assert fake.attempts == 2 and len(fake.events) == 1 and len(slept) == 1
    [row] = records.recent_deliveries(app_db_url(settings))
    assert (row.event_type, row.delivered, row.status, row.attempts) == (
        "plan.escalation", True, 200, 2
    )  # fmt: skip


def test_a_delivery_not_marked_as_sent_is_not_delivered_again(
    example: Plan, receiver: tuple[WebhookReceiver, str], workspace: Workspace
) -> None:
    """A crash between delivering and recording `notified`: the next run marks it as sent
    without a second POST (the delivery record knows the event reached that URL)."""
    fake, base = receiver
    settings = settings_for(workspace, f"{base}/hooks/plan")
    tracker = tracker_for(example, settings)
    tracker.slip("day7", 3, "licenses pending", START)
    [escalation] = tracker.view(START).pending
    with WebhookNotifier(settings) as notifier:
        notifier.send(example.id, escalation)  # ... and the process dies here
        assert dispatch(tracker, tracker.view(START), notifier, START) == [escalation]
    assert fake.attempts == 1 and tracker.view(START).pending == ()


def test_without_plan_webhook_url_every_webhooks_url_gets_it(
    example: Plan, receiver: tuple[WebhookReceiver, str], workspace: Workspace
) -> None:
    fake, base = receiver
    urls = [f"{base}/hooks/ops", f"{base}/hooks/zap/AbC123"]
    settings = settings_for(workspace, None, urls=urls)
    tracker = tracker_for(example, settings)
    tracker.slip("day7", 3, "licenses pending", START)
    with WebhookNotifier(settings) as notifier:
        dispatch(tracker, tracker.view(START), notifier, START)
    assert fake.hooks == ["ops", "zap"] and fake.events[0]["id"] == fake.events[1]["id"]


def test_unreachable_receiver_is_transient(example: Plan, workspace: Workspace) -> None:
    settings = settings_for(workspace, "http://127.0.0.1:9/hook", retries=1, timeout=2)
    tracker = tracker_for(example, settings)
    tracker.slip("day7", 3, "licenses pending", START)
    slept: list[float] = []
    with (
        pytest.raises(NotifyUnavailable, match=r"not delivered to .* after 2 attempt"),
        WebhookNotifier(settings, sleep=slept.append) as notifier,
    ):
        dispatch(tracker, tracker.view(START), notifier, START)
    assert len(slept) == 1 and [e.task for e in tracker.view(START).pending] == ["day7"]


def test_missing_url_or_secret_and_moved_settings_stop_with_where_to_set_them(
    workspace: Workspace,
) -> None:
    with pytest.raises(ConfigError, match="no webhook URL") as no_url:
        WebhookNotifier(settings_for(workspace, None))
    assert "MARKETLOOP_PLAN_WEBHOOK_URL" in str(no_url.value)
    no_secret = settings_for(workspace, "http://127.0.0.1:9/hook", secret=None)
    with pytest.raises(ConfigError, match=r"webhooks\.secret is not set") as caught:
        WebhookNotifier(no_secret)
    assert "MARKETLOOP_WEBHOOKS_SECRET" in str(caught.value)
    with pytest.raises(ConfigError, match=r"plan\.webhook_secret moved to webhooks\.secret"):
        load_settings(overrides={"plan": {"webhook_secret": SECRET}})


def test_notify_through_the_cli_sends_by_webhook_once(
    cli: CliRunner,
    receiver: tuple[WebhookReceiver, str],
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, base = receiver
    monkeypatch.setenv("MARKETLOOP_PLAN_NOTIFIER", "webhook")
    monkeypatch.setenv("MARKETLOOP_PLAN_WEBHOOK_URL", f"{base}/hooks/plan")
    monkeypatch.setenv("MARKETLOOP_WEBHOOKS_SECRET", SECRET)

    def run(*args: str) -> str:
        argv = ["plan", *args, "--plan", str(EXAMPLE), "-w", str(workspace.root)]
        result = cli.invoke(app, argv)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    run("block", "day6", "--reason", "connector down", "--at", "2026-12-06T10:00")
    first = run("escalations", "--notify", "--at", "2026-12-06T10:30")
    assert f"sent {len(fake.events)} escalation(s) via webhook; 0 already sent" in first
    again = run("escalations", "--notify", "--at", "2026-12-06T11:00")
    assert f"sent 0 escalation(s) via webhook; {len(fake.events)} already sent" in again
    assert fake.events and fake.attempts == len(fake.events)


def test_the_escalations_step_reads_at_and_notifies_as_the_cli_does(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`plan.escalations` in a loop file: `at` is read as `--at` is (a bare date is the start
    of that day, in the plan's time zone; a moment outside the plan's window is refused), and
    the escalations go out through the same notifier choice (here the console)."""
    from marketloop.actions import ActionContext, get_action
    from marketloop.errors import UsageError

    settings = load_settings(None, {"workspace": tmp_path / "ws", "plan": {"file": EXAMPLE}})
    action = get_action("plan.escalations")
    context = ActionContext(settings, run_id="r1", step="escalate")
    with pytest.raises(UsageError, match="outside plan"):
        action.run(context, action.args.model_validate({"at": "9999-12-31"}))
    at = {"at": "2026-12-14T17:00:00-08:00"}
    first = action.run(context, action.args.model_validate(at))
    assert first.facts["sent"] == first.facts["escalations"] > 0
    assert action.run(context, action.args.model_validate(at)).facts["sent"] == 0  # once
