"""The plan on its channels through the runner's actions: the 09:00 stand-up digest, the 11:00
weekend check-in thread (escalations that day go into it), reminders of unresolved
escalations, `plan ack` (PagerDuty acknowledged once, reminders stopped), PagerDuty resolved
when a blocker clears, and the weekly memo by email (a real SMTP server) and Slack. Fake Slack
and PagerDuty on 127.0.0.1; nothing is sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests import hostile
from tests.plan.conftest import EXAMPLE
from tests.smtp import smtp_server

from marketloop.actions import ActionContext, get_action
from marketloop.appdb import open_app_db, session_factory
from marketloop.config import Settings, app_db_url, load_settings
from marketloop.errors import IntegrationError
from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.integrations.deliveries import Deliveries, NotificationDelivery
from marketloop.plan.escalation import escalation_id
from marketloop.plan.loader import load_plan
from marketloop.plan.notify import tell_pagerduty
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker

PT = ZoneInfo("America/Los_Angeles")
KEY = "R0UTINGKEY00000000000000000AIML0"
CHANNEL = "C0AIML0001"
HOSTILE = "<!channel> vendor <script>x</script> & =cmd|'/c calc'!A1 [/b]"
SUNDAY = datetime(2026, 12, 6, 9, 30, tzinfo=PT)  # day 6, the first weekend buffer


@dataclass
class Env:
    slack: SlackFake
    pagerduty: PagerDutyFake
    settings: Settings
    urls: tuple[str, str]

    def run(self, action: str, **args: Any) -> dict[str, Any]:
        found = get_action(action)
        context = ActionContext(self.settings, run_id="r-1", step=action)
        model = found.args.model_validate({"plan": str(EXAMPLE), **args})
        return dict(found.run(context, model).facts)

    def tracker(self) -> Tracker:
        """The example plan, its first week done on time (so nothing but what a test records
        escalates)."""
        plan = load_plan(EXAMPLE)
        tracker = Tracker(plan, EventLog(open_app_db(app_db_url(self.settings)), plan.id))
        if not tracker.log.events():
            for day in range(1, 6):
                tracker.done(f"day{day}", datetime(2026, 12, day, 17, tzinfo=PT))
        return tracker

    def texts(self, channel: str = CHANNEL) -> list[str]:
        return [m["text"] for m in self.slack.messages if m["channel"] == channel]

    def cli(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> hostile.Outcome:
        """`marketloop plan ARGS` on this workspace, with the channels notifier and the fake
        PagerDuty (settings from the environment, as a person's shell has them)."""
        env = {
            "WORKSPACE": str(self.settings.workspace),
            "PLAN_NOTIFIER": "channels",
            "PAGERDUTY_ROUTING_KEY": KEY,
            "PAGERDUTY_BASE_URL": self.settings.pagerduty.base_url,
            "PAGERDUTY_RETRIES": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(f"MARKETLOOP_{name}", value)
        return hostile.run("plan", *args, "--plan", str(EXAMPLE))

    def page_id(self, at: datetime) -> str:
        """The id of the escalation in force at `at` that pages (the SRE on-call)."""
        tracker = self.tracker()
        [page] = [e for e in tracker.view(at).escalations if e.channel.startswith("pagerduty:")]
        return escalation_id(tracker.plan.id, page)


def _settings(tmp_path: Path, urls: tuple[str, str], **more: Any) -> Settings:
    return load_settings(
        overrides={
            "workspace": tmp_path / "ws",
            "plan": {"notifier": "channels", "remind_after_hours": 4},
            "slack": {
                "token": "xoxb-1111-2222-fakefakefake",
                "base_url": urls[0] + "/api",
                "users": {"alex.rivera": "U0ALEX"},
            },
            "pagerduty": {"routing_key": KEY, "base_url": urls[1]},
        }
        | more  # `slack=...` replaces the whole section
    )


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    slack = SlackFake(channels={CHANNEL: "aiml-delivery", "U0ALEX": "alex.rivera"})
    pagerduty = PagerDutyFake({KEY})
    with LocalServer(slack.app) as s, LocalServer(pagerduty.app) as p:
        urls = (s.url, p.url)
        yield Env(slack, pagerduty, _settings(tmp_path, urls), urls)


def test_the_standup_digest_goes_out_once_on_business_days(env: Env) -> None:
    tuesday = datetime(2026, 12, 8, 9, 0, tzinfo=PT)
    env.tracker().block("day8", HOSTILE, tuesday.replace(hour=8))
    assert env.run("plan.digest", kind="standup", at=tuesday) == {"sent": 1}
    assert env.run("plan.digest", kind="standup", at=tuesday.replace(hour=10)) == {"sent": 0}
    [text] = env.texts()
    assert text.startswith("Daily stand-up, AI Marketing Automation Sprint: Tue Dec 08")
    assert "day8" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    blocks = env.slack.messages[0]["blocks"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": blocks[0]["text"]["text"]}
    assert "<!channel>" in blocks[0]["text"]["text"]  # plain_text: shown as typed, never parsed
    assert env.run("plan.digest", kind="triage", at=tuesday.replace(hour=14)) == {"sent": 1}
    assert env.run("plan.digest", kind="standup", at=SUNDAY) == {"sent": 0}  # the weekend
    assert len(env.texts()) == 2


def test_the_weekend_checkin_is_a_thread_and_escalations_join_it(env: Env) -> None:
    tracker = env.tracker()
    tracker.block("day7", "waiting on GA4 access " + HOSTILE, SUNDAY)
    at = SUNDAY.replace(hour=11)
    assert env.run("plan.digest", kind="checkin", at=at) == {"sent": 4}  # parent + 3 items
    assert env.run("plan.digest", kind="checkin", at=at) == {"sent": 0}
    parent, *replies = env.slack.messages
    assert parent["text"].startswith("Weekend async check-in") and parent["thread_ts"]
    assert [r["thread_ts"] for r in replies] == [parent["ts"]] * 3
    assert [r["text"].split(":")[0] for r in replies] == ["Blocker", "Escalation", "Buffer day6"]
    # the weekend escalation (level 1: the delivery channel) goes into the thread
    assert env.run("plan.escalations", at=at.replace(minute=5))["sent"] == 1
    assert env.slack.messages[-1]["thread_ts"] == parent["ts"]
    assert env.slack.messages[-1]["text"].startswith("Escalation (PRJ-AIML-002): day7")
    # new items later that day are more replies, nothing else: a second blocker (and its
    # escalation), and day7 climbing to the sponsor after 4 hours
    tracker.block("day8", "second blocker", at.replace(hour=12))
    assert env.run("plan.digest", kind="checkin", at=at.replace(hour=13)) == {"sent": 3}
    assert [m["text"][:40] for m in env.slack.messages[-3:]] == [
        "Blocker: day8 (Avery Chen (ML Engineer))",
        "Escalation: day7 → Executive Sponsor (Al",
        "Escalation: day8 → Project Lead (Sam Jac",
    ]
    assert {m["thread_ts"] for m in env.slack.messages[1:]} == {parent["ts"]}
    assert env.run("plan.digest", kind="checkin", at=datetime(2026, 12, 7, 11, tzinfo=PT)) == {
        "sent": 0
    }  # Monday is a business day


def test_unresolved_escalations_are_reminded_and_pages_resolved(env: Env) -> None:
    tracker = env.tracker()
    tracker.block("day7", "vendor down", SUNDAY)
    db = Deliveries(app_db_url(env.settings))

    def run(hours: float) -> dict[str, Any]:
        return env.run("plan.escalations", at=SUNDAY + timedelta(hours=hours))

    assert run(0)["sent"] == 1  # the Project Lead in #aiml-delivery
    assert run(2) == {"escalations": 1, "sent": 0}  # nothing due yet
    # 4 h unresolved: the sponsor now, and the lead reminded (4 h after the first message)
    assert run(4) == {"escalations": 2, "sent": 1, "reminded": 1, "acknowledged": 0, "resolved": 0}
    assert run(4.5) == {"escalations": 2, "sent": 0}
    sent_by_channel = {r.channel: r.action for r in db.delivered(None, key_prefix="esc/")}
    assert sent_by_channel == {"slack:#aiml-delivery": "remind", "slack:@alex.rivera": "send"}
    reminders = [t for t in env.texts() if t.startswith("Reminder: escalation")]
    assert len(reminders) == 1 and "day7" in reminders[0]
    assert run(8)["sent"] == 1 and env.pagerduty.pages == 1  # the SRE is paged
    facts = run(8.5)
    assert facts["sent"] == 0 and env.pagerduty.pages == 1  # PagerDuty is never reminded
    tracker.unblock("day7", "vendor back", SUNDAY.replace(hour=18, minute=40))
    facts = run(9.25)
    assert facts["resolved"] == 1 and set(env.pagerduty.incidents.values()) == {"resolved"}
    assert [e["event_action"] for e in env.pagerduty.events] == ["trigger", "resolve"]
    assert env.pagerduty.events[1]["dedup_key"] == env.pagerduty.events[0]["dedup_key"]
    assert "resolved" not in run(9.5)  # once


def test_the_memo_goes_by_email_and_to_slack_once_a_week(env: Env, tmp_path: Path) -> None:
    with smtp_server(tmp_path / "smtp") as smtp:
        env.settings = _settings(tmp_path, env.urls, email=smtp.settings())
        to = ["email:sam@samsjackson.dev", "slack:#aiml-delivery"]
        friday = datetime(2026, 12, 11, 17, tzinfo=PT)
        env.tracker().block("day10", HOSTILE, friday.replace(hour=9))
        env.run("plan.memo", at=friday, send=to)
        env.run("plan.memo", at=friday.replace(hour=18), send=to)  # the same week: not again
        [mail] = smtp.inbox.messages()
    assert mail["Subject"].strip().startswith("AI Marketing Automation Sprint: status memo")
    html, text = mail.get_body(("html",)), mail.get_body(("plain",))
    assert html is not None and text is not None
    assert "&lt;script&gt;" in html.get_content() and "<script>x" not in html.get_content()
    assert HOSTILE in text.get_content()
    [posted] = env.texts()
    assert posted.startswith("# AI Marketing Automation Sprint: status memo")


def test_a_memo_to_pagerduty_is_refused(env: Env) -> None:
    with pytest.raises(Exception, match="PagerDuty pages someone"):
        env.run("plan.memo", at=SUNDAY, send=["pagerduty:AIML-Auto"])
    assert env.pagerduty.events == []


def test_slack_by_incoming_webhook_only(env: Env, tmp_path: Path) -> None:
    hook = env.slack.webhook_url(env.urls[0], CHANNEL)
    env.settings = _settings(tmp_path, env.urls, slack={"webhook_url": hook})
    env.tracker().block("day7", HOSTILE, SUNDAY)
    assert env.run("plan.escalations", at=SUNDAY)["sent"] == 1
    [message] = env.slack.messages
    assert message["via"] == "webhook" and "&lt;!channel&gt;" in message["text"]
    removed = hook.rsplit("/", 1)[0] + "/removed"
    env.settings = _settings(tmp_path, env.urls, slack={"webhook_url": removed})
    with pytest.raises(IntegrationError) as caught:
        env.run("plan.digest", kind="checkin", at=SUNDAY)
    assert "no_service" in caught.value.message and "WEBHOOK_URL" in (caught.value.hint or "")
    assert removed not in str(caught.value)  # the webhook URL is a secret
    with session_factory(app_db_url(env.settings))() as session:
        rows = session.scalars(select(NotificationDelivery).order_by("id")).all()
    assert [(r.delivered, r.channel) for r in rows] == [
        (True, "slack:#aiml-delivery"), (False, "slack:#aiml-delivery")
    ]  # fmt: skip
    assert rows[1].error and "no_service" in rows[1].error and removed not in rows[1].error


def test_an_escalation_by_email_once_and_without_injected_headers(env: Env, tmp_path: Path) -> None:
    from marketloop.integrations.escalations import ChannelNotifier
    from marketloop.plan.escalation import Escalation

    with smtp_server(tmp_path / "smtp") as smtp:
        settings = _settings(tmp_path, env.urls, email=smtp.settings())
        task = "day7\r\nBcc: victim@example.org"
        to = "email:sam@samsjackson.dev"
        e = Escalation(task, 1, "lead", "Project Lead", "Sam Jackson", to, HOSTILE, ("blocker",))
        with ChannelNotifier(settings) as channels:
            channels.send("PRJ", e)
            channels.send("PRJ", e)  # delivered before: not again
        [mail] = smtp.inbox.messages()
        assert smtp.inbox.envelopes[0].rcpt_tos == ["sam@samsjackson.dev"]
    assert mail["Bcc"] is None and mail["Subject"] == "Escalation: day7 Bcc: victim@example.org"
    assert HOSTILE in mail.get_content() and mail["Message-ID"]
    [row] = Deliveries(app_db_url(settings)).delivered(None, key_prefix="esc/PRJ/")
    assert row.channel == "email:sam@samsjackson.dev" and row.detail == mail["Message-ID"]


BY = f"{hostile.FORMULA} {hostile.MARKUP}"


def test_an_acknowledged_page_is_acknowledged_once_then_resolved(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = env.tracker()
    tracker.block("day7", "vendor down", SUNDAY)
    for hours in (0, 4, 8):
        env.run("plan.escalations", at=SUNDAY + timedelta(hours=hours))
    assert env.pagerduty.pages == 1 and set(env.pagerduty.incidents.values()) == {"triggered"}
    at = (SUNDAY + timedelta(hours=8.25)).isoformat()
    short = env.page_id(SUNDAY + timedelta(hours=8))[:8]
    acked = env.cli(monkeypatch, "ack", short, "--by", BY, "--at", at)
    assert acked.code == 0, acked.stderr
    assert "day7, level 3) acknowledged by" in acked.stderr and hostile.FORMULA in acked.stderr
    hostile.assert_markup_inert(acked.stderr)
    [dedup] = env.pagerduty.incidents
    assert env.pagerduty.incidents == {dedup: "acknowledged"}  # at once, not at the next run
    assert f"PagerDuty incident {dedup} acknowledged" in acked.stderr
    again = env.cli(monkeypatch, "ack", dedup, "--at", at)  # by its dedup key this time
    assert again.code == 3 and "already acknowledged by" in again.stderr
    assert env.run("plan.escalations", at=SUNDAY + timedelta(hours=8.5)) == {
        "escalations": 3, "sent": 0
    }  # fmt: skip  # acknowledged once: not again by the next run
    assert [e["event_action"] for e in env.pagerduty.events] == ["trigger", "acknowledge"]
    listed = env.cli(monkeypatch, "escalations", "--format", "csv", "--at", at)
    assert "'" + hostile.FORMULA.replace('"', '""') in listed.stdout  # neutralised in CSV
    tracker.unblock("day7", "vendor back", SUNDAY.replace(hour=18, minute=40))
    facts = env.run("plan.escalations", at=SUNDAY + timedelta(hours=9.25))
    assert facts["resolved"] == 1 and env.pagerduty.incidents == {dedup: "resolved"}
    events = env.pagerduty.events
    assert [e["event_action"] for e in events] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in events} == {dedup}
    rows = Deliveries(app_db_url(env.settings)).delivered(None, None, ("acknowledge",))
    assert [(r.channel, r.detail) for r in rows] == [("pagerduty:AIML-Auto", dedup)]


def test_an_acknowledged_escalation_is_not_reminded_but_still_climbs(env: Env) -> None:
    tracker = env.tracker()
    tracker.block("day7", "vendor down", SUNDAY)
    assert env.run("plan.escalations", at=SUNDAY)["sent"] == 1  # the lead in #aiml-delivery
    [lead] = tracker.view(SUNDAY).escalations
    event = tracker.acknowledge(escalation_id(tracker.plan.id, lead)[:4], "sam.jackson",
                                SUNDAY + timedelta(hours=1))  # fmt: skip
    assert event.kind == "acknowledge" and event.data["by"] == "sam.jackson"
    # 4 h unresolved: the sponsor all the same (the seed's rule is "unresolved"), no reminder
    assert env.run("plan.escalations", at=SUNDAY + timedelta(hours=4)) == {
        "escalations": 2, "sent": 1
    }  # fmt: skip
    assert not [t for t in env.texts() if t.startswith("Reminder")]
    # a mistaken acknowledgement is retracted: the reminders resume
    tracker.retract(event.seq, "acked the wrong one", SUNDAY + timedelta(hours=4, minutes=10))
    facts = env.run("plan.escalations", at=SUNDAY + timedelta(hours=4, minutes=15))
    assert facts["reminded"] == 1 and len([t for t in env.texts() if t.startswith("Rem")]) == 1
    # acknowledged before it went out: the page is never sent (that person already knows)
    at = SUNDAY + timedelta(hours=8)
    tracker.acknowledge(env.page_id(at), "taylor.brooks", at)
    assert env.run("plan.escalations", at=at)["sent"] == 0 and env.pagerduty.events == []


def test_pagerduty_down_when_acknowledging_is_retried_by_the_next_run(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = env.tracker()
    tracker.block("day7", "vendor down", SUNDAY)
    at = SUNDAY + timedelta(hours=8)
    env.run("plan.escalations", at=at)
    page = env.page_id(at)
    with LocalServer(PagerDutyFake({KEY}).app) as gone:
        closed = gone.url
    env.settings = env.settings.model_copy(
        update={"pagerduty": env.settings.pagerduty.model_copy(update={"base_url": closed})}
    )
    failed = env.cli(monkeypatch, "ack", page, "--by", "sam", "--at", at.isoformat())
    assert failed.code != 0
    assert "acknowledged in the plan, but PagerDuty was not told" in failed.stderr
    assert "plan escalations --notify" in failed.stderr
    assert tracker.view(at).state.acknowledged  # recorded all the same
    env.settings = _settings(Path(str(env.settings.workspace)).parent, env.urls)
    facts = env.run("plan.escalations", at=at + timedelta(minutes=5))
    assert facts["acknowledged"] == 1 and set(env.pagerduty.incidents.values()) == {"acknowledged"}


def test_tell_pagerduty_is_what_the_cli_and_the_api_both_show(env: Env) -> None:
    tracker = env.tracker()
    tracker.block("day7", "vendor down", SUNDAY)
    at = SUNDAY + timedelta(hours=8)
    env.run("plan.escalations", at=at)
    page = env.page_id(at)
    tracker.acknowledge(page, "sam", at)
    webhook = env.settings.model_copy(
        update={"plan": env.settings.plan.model_copy(update={"notifier": "console"})}
    )
    assert tell_pagerduty(webhook, tracker.view(at), page, at) is None  # nothing to tell
    with LocalServer(PagerDutyFake({KEY}).app) as gone:
        closed = gone.url
    down = env.settings.model_copy(
        update={"pagerduty": env.settings.pagerduty.model_copy(update={"base_url": closed,
                                                                       "retries": 0})}
    )  # fmt: skip
    failed = tell_pagerduty(down, tracker.view(at), page, at)
    assert failed is not None and failed.acknowledged == [] and failed.error is not None
    assert failed.as_dict()["error"] == failed.error.message
    assert "PagerDuty was not told" in str(failed.as_dict()["error"])
    told = tell_pagerduty(env.settings, tracker.view(at), page, at)
    assert told is not None and told.error is None
    assert told.as_dict() == {"acknowledged": list(env.pagerduty.incidents), "error": None}
    assert set(env.pagerduty.incidents.values()) == {"acknowledged"}


def test_an_unknown_or_ambiguous_id_is_refused_with_the_ids(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.tracker().block("day7", "vendor down", SUNDAY)
    at = (SUNDAY + timedelta(hours=1)).isoformat()
    short = env.cli(monkeypatch, "ack", "ab", "--at", at)
    assert short.code == 3 and "is too short" in short.stderr and "(day7)" in short.stderr
    unknown = env.cli(monkeypatch, "ack", "ffffffff" + hostile.MARKUP, "--at", at)
    assert unknown.code == 3 and "matches 0 escalations" in unknown.stderr
    hostile.assert_markup_inert(unknown.stderr)
    nobody = env.cli(monkeypatch, "ack", "abcd", "--by", " ", "--at", at)
    assert nobody.code == 2 and "--by" in nobody.stderr
    assert not env.tracker().view(SUNDAY + timedelta(hours=1)).state.acknowledged
