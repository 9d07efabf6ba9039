"""The demo's escalation step: the example plan's escalations to a fake Slack and PagerDuty.

Runs after the plan step (which recorded the example sprint's progress), records a weekend
blocker on day 20 (a Sunday) at 09:00 and dispatches what is pending at four moments as the
ladder climbs (project lead on Slack, the executive sponsor after 4 unresolved hours, PagerDuty
after 8) through the `channels` notifier, twice each, to show that nothing is sent or paged
twice. The fakes stay up until the demo ends; the step prints their addresses and what they
received.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from pydantic import SecretStr
from rich.markup import escape

from marketloop import config
from marketloop.appdb import open_app_db
from marketloop.clikit import console
from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.integrations.escalations import ChannelNotifier
from marketloop.plan.loader import load_plan
from marketloop.plan.notify import dispatch
from marketloop.plan.store import EventLog
from marketloop.plan.tracker import Tracker

if TYPE_CHECKING:
    from marketloop.demo import DemoRun

ROUTING_KEY = "R0UTINGKEY00000000000000000AIML0"
CHANNELS = {"C0AIML0001": "aiml-delivery", "U0SAM": "sam.jackson", "U0ALEX": "alex.rivera"}


def escalations_step(run: DemoRun) -> None:
    from marketloop.plan.demo import example_plan_path

    slack, pagerduty = SlackFake(channels=CHANNELS), PagerDutyFake({ROUTING_KEY})
    slack_url = run.resources.enter_context(LocalServer(slack.app)).url
    pd_url = run.resources.enter_context(LocalServer(pagerduty.app)).url
    users = {name: cid for cid, name in CHANNELS.items() if cid.startswith("U")}
    section = {"token": SecretStr(slack.token), "base_url": slack_url + "/api", "users": users}
    settings = run.settings.model_copy(
        update={
            "slack": run.settings.slack.model_copy(update=section),
            "pagerduty": run.settings.pagerduty.model_copy(
                update={"routing_key": SecretStr(ROUTING_KEY), "base_url": pd_url}
            ),
        }
    )
    plan = load_plan(example_plan_path())
    tracker = Tracker(plan, EventLog(open_app_db(config.app_db_url(settings)), plan.id))
    sprint = plan.sprint
    blocked = sprint.at_time(sprint.date_of(20), time(9))  # day 20 is a Sunday: weekend rule
    task = "day19"
    if not any(e.kind == "block" and e.task == task for e in tracker.log.events()):
        tracker.block(task, "staging cluster down: the load test cannot run", blocked)
    sent = []
    with ChannelNotifier(settings) as notifier:
        for day, hour in ((14, 17), (20, 10), (20, 14), (20, 18)):
            when = sprint.at_time(sprint.date_of(day), time(hour))
            for _ in range(2):  # the second pass finds nothing new to send
                sent += dispatch(tracker, tracker.view(when), notifier, when)
    console.print(
        f"fake Slack at {slack_url}: {len(slack.messages)} messages; fake PagerDuty at {pd_url}: "
        f"{pagerduty.pages} incidents from {len(pagerduty.events)} events; "
        f"{len(sent)} escalations sent, each once"
    )
    for e in sent:
        console.print(
            f"  {escape(e.task)} → {escape(e.to)} via {escape(e.channel)}", highlight=False
        )
