"""`marketloop loop demo` (what `make demo` runs): examples/loops/demo.yaml through the runner.

The loop is the weekly loop on the bundled sample site and fakes, offline. Before the run, this
module serves the sample site and starts the fakes (GA4, Search Console, HubSpot, an
OpenAI-compatible API, Notion, a webhook receiver, Jira Cloud) on 127.0.0.1; the settings of the
run point at them, and the loop file names the rest through `${DEMO_*}` variables set here (the
sample site's URL, the sample keyword files, the eval suite, the example plan and its moment).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from marketloop.config import Settings
from marketloop.workspace import Workspace

DEMO_LOOP = "demo.yaml"
PAGES = 60
KEYWORDS = 90


def demo_loop_path() -> Path:
    """examples/loops/demo.yaml: packaged in a wheel, or in the source checkout."""
    packaged = Path(__file__).parent / "examples" / DEMO_LOOP
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "examples" / "loops" / DEMO_LOOP


def eval_suite_path() -> Path:
    """examples/evals/briefs.yaml (packaged beside demo.yaml as briefs-eval.yaml)."""
    packaged = Path(__file__).parent / "examples" / "briefs-eval.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "examples" / "evals" / "briefs.yaml"


@dataclass
class Demo:
    settings: Settings  # pointing at the fakes
    env: dict[str, str]  # the same as MARKETLOOP_* and DEMO_* variables (for worker processes)
    notion: Any  # the NotionFake, to look at what was published
    receiver: Any  # the WebhookReceiver
    slack: Any = None  # the SlackFake escalations are posted to
    where: dict[str, str] = field(default_factory=dict)  # fake -> its address, to print


@contextmanager
def demo_environment(settings: Settings) -> Iterator[Demo]:
    """The sample site and fakes, running; the settings that point at them; `DEMO_*` set."""
    from marketloop.fakes.jira import JiraFake
    from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
    from marketloop.fakes.openai import FakeOpenAI
    from marketloop.fakes.pagerduty import PagerDutyFake
    from marketloop.fakes.server import LocalServer
    from marketloop.fakes.slack import SlackFake
    from marketloop.fakes.webhook_receiver import WebhookReceiver
    from marketloop.ingest.demo import PROPERTY_ID, SiteSample, fake_services
    from marketloop.integrations.escalations_demo import CHANNELS as DEMO_CHANNELS
    from marketloop.integrations.escalations_demo import ROUTING_KEY as DEMO_ROUTING_KEY
    from marketloop.plan.demo import example_plan_path
    from marketloop.plan.loader import load_plan
    from marketloop.sample import SampleSite
    from marketloop.sample.keywords import generate

    workspace = Workspace(settings.workspace).ensure()
    sample = SampleSite(pages=PAGES)
    with ExitStack() as stack:
        site = stack.enter_context(sample.serve())
        base = site.url.rstrip("/")
        urls = [base + path for path in sample.site.pages]
        host = base.split("://", 1)[1]
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        sections = stack.enter_context(fake_services(SiteSample(host, site.url, urls), tmp))
        llm = FakeOpenAI()
        llm_url = stack.enter_context(LocalServer(llm.app())).url + "/v1"
        notion = NotionFake()
        notion.knobs.rate, notion.knobs.burst = 20.0, 20
        database_id, _ = notion.add_database("Content briefs", BRIEF_SCHEMA)
        receiver = WebhookReceiver(secrets.token_hex(16))
        notion_url = stack.enter_context(LocalServer(notion.app)).url
        hooks_url = stack.enter_context(LocalServer(receiver.app)).url
        jira = JiraFake({"SEO": "Website SEO"}, lag=2.0, rate=(50, 1.0))  # search lag on
        jira_url = stack.enter_context(LocalServer(jira.app)).url
        jira_email, jira_token = next(iter(jira.accounts.items()))
        slack, pagerduty = SlackFake(channels=DEMO_CHANNELS), PagerDutyFake({DEMO_ROUTING_KEY})
        slack_url = stack.enter_context(LocalServer(slack.app)).url
        pagerduty_url = stack.enter_context(LocalServer(pagerduty.app)).url
        users = {name: cid for cid, name in DEMO_CHANNELS.items() if cid.startswith("U")}
        sections |= {
            "crawl": site.crawl_overrides(),
            "ga4": {**sections["ga4"], "property_id": PROPERTY_ID},
            "gsc": {**sections["gsc"], "site": site.url},
            "llm": {
                "provider": "openai",
                "base_url": llm_url,
                "model": "gpt-4o-mini",
                "api_key": SecretStr(llm.knobs.api_key or ""),
            },
            "notion": {
                "token": SecretStr(notion.token),
                "database_id": database_id,
                "data_source_id": None,
                "base_url": notion_url,
                "rate": 20.0,
                "burst": 10,
            },
            "webhooks": {"urls": [f"{hooks_url}/hooks/demo"], "secret": SecretStr(receiver.secret)},
            "jira": {
                "url": jira_url,
                "email": jira_email,
                "token": SecretStr(jira_token),
                "project": "SEO",
                "rate": 40.0,
            },
            # escalations go out on the plan's own channels, to a fake Slack and PagerDuty
            "plan": {"notifier": "channels"},
            "slack": {
                "token": SecretStr(slack.token),
                "base_url": slack_url + "/api",
                "users": users,
            },
            "pagerduty": {"routing_key": SecretStr(DEMO_ROUTING_KEY), "base_url": pagerduty_url},
        }
        keywords, serps = generate(KEYWORDS).write(workspace.root / "keywords")
        plan = load_plan(example_plan_path())
        moment = plan.sprint.at_time(plan.sprint.date_of(14), time(17))
        variables = {
            "DEMO_SITE_URL": site.url,
            "DEMO_KEYWORDS": str(keywords),
            "DEMO_SERPS": str(serps),
            "DEMO_EVAL_SUITE": str(eval_suite_path()),
            "DEMO_PLAN": str(example_plan_path()),
            "DEMO_PLAN_AT": moment.isoformat(),
        }
        stack.enter_context(_environment(**variables))
        env = variables | _as_env(sections)
        where = {"Jira Cloud": jira_url, "Slack": slack_url, "PagerDuty": pagerduty_url}
        yield Demo(_with(settings, sections), env, notion, receiver, slack, where)


def _as_env(sections: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Settings sections as MARKETLOOP_SECTION_FIELD variables (lists and tables as JSON)."""
    env = {}
    for section, values in sections.items():
        for name, given in values.items():
            if given is None:
                continue
            value = given.get_secret_value() if isinstance(given, SecretStr) else given
            text = json.dumps(value) if isinstance(value, list | dict) else str(value)
            env[f"MARKETLOOP_{section.upper()}_{name.upper()}"] = text
    return env


def _with(settings: Settings, sections: dict[str, dict[str, Any]]) -> Settings:
    updates = {}
    for name, values in sections.items():
        section = getattr(settings, name)
        updates[name] = type(section).model_validate({**section.model_dump(), **values})
    return settings.model_copy(update=updates)


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
