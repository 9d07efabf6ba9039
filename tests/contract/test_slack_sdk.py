"""The fake Slack through slack-sdk: threads (what the weekend check-in relies on) and incoming
webhooks with Slack's plain-text answers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import slack_sdk
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from tests.contract.contract import Served
from tests.contract.services import SLACK, slack_sdk_client

CHANNEL = "C0AIML0001"


@pytest.fixture
def slack() -> Iterator[Served]:
    with SLACK.start() as served:
        yield served


@pytest.fixture
def sdk(slack: Served) -> slack_sdk.WebClient:
    return slack_sdk_client(slack, slack.token)


def test_replies_go_into_the_thread(slack: Served, sdk: slack_sdk.WebClient) -> None:
    parent = sdk.chat_postMessage(channel="#aiml-delivery", text="Weekend check-in")
    for n in range(2):
        sdk.chat_postMessage(channel=CHANNEL, text=f"item {n}", thread_ts=parent["ts"])
    sdk.chat_postMessage(channel=CHANNEL, text="not in the thread")
    thread = sdk.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in thread["messages"]] == ["Weekend check-in", "item 0", "item 1"]
    assert thread["messages"][0]["reply_count"] == 2
    assert thread["messages"][1]["thread_ts"] == parent["ts"]
    with pytest.raises(SlackApiError) as caught:
        sdk.conversations_replies(channel=CHANNEL, ts="1.000001")
    assert caught.value.response["error"] == "thread_not_found"


def test_an_archived_channel_is_refused(slack: Served, sdk: slack_sdk.WebClient) -> None:
    slack.fake.archived.add(CHANNEL)
    with pytest.raises(SlackApiError) as caught:
        sdk.chat_postMessage(channel=CHANNEL, text="hello")
    assert caught.value.response["error"] == "is_archived"


def test_an_incoming_webhook_answers_in_plain_text(slack: Served) -> None:
    url = slack.fake.webhook_url(slack.url, CHANNEL)
    hook = WebhookClient(url)
    sent = hook.send(text="<!channel> hello", blocks=[{"type": "divider"}])
    assert (sent.status_code, sent.body) == (200, "ok")
    assert slack.fake.messages[-1]["via"] == "webhook"
    assert slack.fake.messages[-1]["channel"] == CHANNEL
    assert (hook.send(blocks=[]).status_code, hook.send(text="").body) == (400, "no_text")
    gone = WebhookClient(url.rsplit("/", 1)[0] + "/removed")
    assert (gone.send(text="x").status_code, gone.send(text="x").body) == (404, "no_service")
    bad = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert (bad.status_code, bad.text) == (400, "invalid_payload")
    assert bad.headers["content-type"].startswith("text/plain")
    form = httpx.post(url, data={"payload": '{"text": "as a form"}'})
    assert (form.status_code, slack.fake.messages[-1]["text"]) == (200, "as a form")
    slack.fake.archived.add(CHANNEL)
    assert hook.send(text="x").body == "channel_is_archived"


def test_a_webhook_is_paced_per_channel(slack: Served) -> None:
    hook = WebhookClient(slack.fake.webhook_url(slack.url, CHANNEL))
    answers = [hook.send(text=f"m{n}") for n in range(4)]  # a burst of 3 passes
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].body == "rate_limited" and int(answers[-1].headers["Retry-After"][0]) >= 1
