"""`pacing.Paced`, the retry loop the Jira, Slack and PagerDuty clients share: what is retried,
how long it waits, and that every request is counted in
`marketloop_integration_requests_total` (before, the clients reported to a hook nothing
subscribed to, so none of their requests was counted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from marketloop.fakes.pagerduty import PagerDutyFake
from marketloop.fakes.server import LocalServer
from marketloop.fakes.slack import SlackFake
from marketloop.integrations.jira import JiraClient, JiraUnavailable
from marketloop.integrations.jira_config import JiraSettings
from marketloop.integrations.pacing import Paced, TokenBucket
from marketloop.integrations.pagerduty import PagerDutyClient, PagerDutySettings
from marketloop.integrations.slack import SlackClient, SlackSettings
from marketloop.observe.metrics import REGISTRY

KEY = "R0UTINGKEY00000000000000000AIML0"


def counted(service: str, status: str) -> float:
    labels = {"service": service, "status": status}
    return REGISTRY.get_sample_value("marketloop_integration_requests_total", labels) or 0.0


def answers(*statuses: int | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        got = queue.pop(0)
        if isinstance(got, Exception):
            raise got
        headers = {"Retry-After": "7"} if got == 429 else {}
        return httpx.Response(got, headers=headers, json={})

    return handle


@pytest.fixture
def slept() -> list[float]:
    return []


def paced(handler: Callable[[httpx.Request], httpx.Response], slept: list[float],
          bucket: TokenBucket | None = None) -> Paced:  # fmt: skip
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://127.0.0.1")
    return Paced("other", http, retries=2, max_retry_after=60, bucket=bucket, sleep=slept.append)


def test_a_429_waits_its_retry_after_then_passes(slept: list[float]) -> None:
    before = counted("other", "429")
    answer = paced(answers(429, 200), slept).send("GET", "/x")
    assert answer.status_code == 200 and slept == [7.0]
    assert counted("other", "429") == before + 1


def test_a_429_pauses_the_bucket_for_every_request(slept: list[float]) -> None:
    clock = iter(float(n) for n in range(100))
    bucket = TokenBucket(100.0, 1, clock=lambda: next(clock), sleep=slept.append)
    paced(answers(429, 200), slept, bucket).send("GET", "/x")
    assert slept and slept[-1] >= 6.0  # the next acquire waited out Retry-After


def test_5xx_and_no_answer_are_retried_only_when_harmless(slept: list[float]) -> None:
    assert paced(answers(503, 200), slept).send("GET", "/x").status_code == 200
    assert paced(answers(503), slept).send("POST", "/x", retry_5xx=False).status_code == 503
    gone = httpx.ConnectError("refused")
    with pytest.raises(httpx.ConnectError):
        paced(answers(gone), slept).send("POST", "/x", retry_failures=False)
    assert paced(answers(gone, 200), slept).send("GET", "/x").status_code == 200
    retried_out = paced(answers(429, 429, 429), slept).send("GET", "/x")
    assert retried_out.status_code == 429  # the last answer, after `retries`


@pytest.fixture
def fakes() -> Iterator[tuple[SlackFake, PagerDutyFake, str, str]]:
    slack, pagerduty = SlackFake(), PagerDutyFake({KEY})
    with LocalServer(slack.app) as s, LocalServer(pagerduty.app) as p:
        yield slack, pagerduty, s.url, p.url


def test_slack_pagerduty_and_jira_requests_are_counted(
    fakes: tuple[SlackFake, PagerDutyFake, str, str], slept: list[float]
) -> None:
    slack, _, slack_url, pd_url = fakes
    before = {s: (counted(s, "200"), counted(s, "429"), counted(s, "202"), counted(s, "error"))
              for s in ("slack", "pagerduty", "jira")}  # fmt: skip
    client = SlackClient(
        SlackSettings(base_url=slack_url + "/api"), slack.token, sleep=slept.append
    )
    slack.fail_next(retry_after=1)
    client.post("#aiml-delivery", "hello")
    client.close()
    pd = PagerDutyClient(PagerDutySettings(base_url=pd_url), KEY)
    pd.trigger("k1", "s", "src", "error")
    pd.close()
    jira = JiraSettings(url="http://127.0.0.1:9", email="a@example.com", token="t", retries=0)  # type: ignore[arg-type]
    with JiraClient(jira) as client_j, pytest.raises(JiraUnavailable):
        client_j.myself()  # nothing listens on port 9
    assert counted("slack", "429") == before["slack"][1] + 1
    assert counted("slack", "200") == before["slack"][0] + 1
    assert counted("pagerduty", "202") == before["pagerduty"][2] + 1
    assert counted("jira", "error") == before["jira"][3] + 1
