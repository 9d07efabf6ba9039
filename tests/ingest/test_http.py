"""The HTTP edge: retries honouring Retry-After, backoff, credential errors, malformed JSON."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from marketloop.errors import CredentialError, IngestError, TransientError
from marketloop.ingest.config import HubspotSettings
from marketloop.ingest.http import (
    ApiClient,
    ApiRejected,
    Credential,
    IngestUnavailable,
    StaticToken,
    error_detail,
)
from marketloop.ingest.pacing import Pacer, RateLimitObserver, retry_delay
from marketloop.ingest.stats import RunStats

from .conftest import HUBSPOT_TOKEN, PROPERTY, SITE, Fakes, Google


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (0, None, 0.5),
        (1, None, 1.0),
        (3, None, 4.0),
        (10, None, 8.0),
        (2, 2.5, 2.5),
        (0, 30.0, 30.0),
    ],
)
def test_retry_delay_honours_the_server_else_backs_off_capped(
    attempt: int, retry_after: float | None, expected: float
) -> None:
    assert retry_delay(attempt, retry_after, backoff=0.5, cap=8.0) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"error": {"code": 400, "message": "Field foo is not a valid metric."}}',
            "Field foo is not a valid metric.",
        ),
        (
            b'{"status": "error", "message": "You have reached your secondly limit."}',
            "You have reached your secondly limit.",
        ),
        (
            b'{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}',
            "invalid_grant: Invalid JWT Signature.",
        ),
        (b"<html>Bad Gateway  Bearer abc.def</html>", "<html>Bad Gateway Bearer ***</html>"),
    ],
)
def test_error_detail_takes_the_services_own_words(body: bytes, expected: str) -> None:
    assert error_detail(httpx.Response(400, content=body)) == expected


def test_pacer_spaces_requests() -> None:
    pacer = Pacer(0.05)
    started = time.monotonic()
    for _ in range(4):
        pacer.wait()
    assert time.monotonic() - started >= 0.14


def _client(fakes: Fakes, token: str = HUBSPOT_TOKEN, **settings: object) -> ApiClient:
    section = HubspotSettings(base_url=fakes.urls["hubspot"], backoff=0.01, **settings)  # type: ignore[arg-type]
    credential = Credential("HubSpot private-app token", "MARKETLOOP_HUBSPOT_TOKEN")
    return ApiClient("HubSpot", section, auth=StaticToken(token, credential), stats=RunStats("t"))


def test_429_is_retried_after_the_servers_retry_after(fakes: Fakes) -> None:
    fakes.hubspot.faults.fail_on_page = 1
    fakes.hubspot.faults.fail_status = 429
    fakes.hubspot.faults.fail_times = 2
    fakes.hubspot.faults.retry_after = 1
    with _client(fakes) as client:
        started = time.monotonic()
        body = client.call("GET", "/crm/v3/objects/contacts", params={"limit": 2})
        waited = time.monotonic() - started
    assert len(body["results"]) == 2
    assert client.stats.retries == 2 and client.stats.requests == 3
    assert waited >= 2.0  # 2 × Retry-After, not the 0.01 s backoff


def test_the_hubspot_fake_sends_retry_after_in_whole_seconds(fakes: Fakes) -> None:
    fakes.hubspot.rate_limit = (1, 0.3)  # one request per 0.3 s: the second waits ~0.3 s
    url = fakes.urls["hubspot"] + "/crm/v3/objects/contacts"
    headers = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}
    assert httpx.get(url, headers=headers).status_code == 200
    refused = httpx.get(url, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"  # RFC 9110 delay-seconds: 1*DIGIT


def test_5xx_past_the_retries_is_transient_and_says_nothing_was_loaded(fakes: Fakes) -> None:
    fakes.hubspot.faults.fail_on_page = 1
    fakes.hubspot.faults.fail_status = 503
    with _client(fakes, retries=2) as client, pytest.raises(IngestUnavailable) as info:
        client.call("GET", "/crm/v3/objects/contacts")
    assert isinstance(info.value, TransientError)
    assert "HTTP 503" in info.value.message and "after 2 retries" in info.value.message
    assert "nothing was loaded" in str(info.value)
    assert client.stats.requests == 3


def test_a_retry_after_longer_than_the_cap_stops_at_once(fakes: Fakes) -> None:
    fakes.hubspot.faults.fail_on_page = 1
    fakes.hubspot.faults.fail_status = 429
    fakes.hubspot.faults.retry_after = 3600
    with (
        _client(fakes, backoff_cap=5.0) as client,
        pytest.raises(IngestUnavailable, match="wait 3600 s"),
    ):
        client.call("GET", "/crm/v3/objects/contacts")
    assert client.stats.requests == 1


@pytest.mark.parametrize("expired", [False, True])
def test_401_names_the_credential_and_where_it_was_read(fakes: Fakes, expired: bool) -> None:
    token = "pat-expired" if expired else "pat-wrong"
    if expired:
        fakes.hubspot.expired.add(token)
    with _client(fakes, token=token) as client, pytest.raises(CredentialError) as info:
        client.call("GET", "/crm/v3/objects/contacts")
    message = str(info.value)
    assert "HubSpot rejected the HubSpot private-app token (HTTP 401" in message
    assert "fix MARKETLOOP_HUBSPOT_TOKEN" in message
    assert ("expired" in message) is expired
    assert token not in message


def test_malformed_json_is_a_clear_error(fakes: Fakes) -> None:
    fakes.hubspot.faults.malformed_on_page = 1
    with _client(fakes) as client, pytest.raises(IngestError, match="malformed JSON for GET"):
        client.call("GET", "/crm/v3/objects/contacts")


def test_other_4xx_carry_the_services_message(fakes: Fakes) -> None:
    with _client(fakes) as client, pytest.raises(ApiRejected) as info:
        client.call("GET", "/crm/v3/objects/contacts", params={"limit": 1000})
    assert info.value.status == 400
    assert "limit must be between 1 and 100" in info.value.detail


def test_an_unreachable_host_is_transient_and_names_the_base_url() -> None:
    section = HubspotSettings(base_url="http://127.0.0.1:9", retries=1, backoff=0.01)
    with ApiClient("HubSpot", section, auth=None, stats=RunStats("t")) as client:
        with pytest.raises(IngestUnavailable, match=r"cannot reach HubSpot at http://127.0.0.1:9"):
            client.call("GET", "/crm/v3/objects/contacts")
        assert client.stats.retries == 1


def test_fake_rate_limit_headers_drive_the_pacer(fakes: Fakes) -> None:
    fakes.hubspot.rate_limit = (5, 0.5)  # 5 requests per half second: 10/s sustained
    observer = RateLimitObserver()
    with _client(fakes) as client:
        client.observe = observer
        started = time.monotonic()
        for _ in range(15):
            client.call(
                "GET", "/crm/v3/objects/contacts", params={"limit": 1}, pacer=observer.pacer
            )
        elapsed = time.monotonic() - started
    assert fakes.hubspot.throttled <= 1  # paced, not bounced
    # the floor the headers impose: (15 - 5) / 10 per second = 1.0 s. No ceiling: on a loaded
    # machine a run may take longer for reasons of its own, and that is no pacing error.
    assert elapsed >= 0.85
    assert observer.daily_remaining is not None


GA4_REPORT = f"/v1beta/properties/{PROPERTY}:runReport"
GSC_QUERY = "/webmasters/v3/sites/{site}/searchAnalytics/query"
MALFORMED = [
    ("ga4", "POST", GA4_REPORT, {"dimensions": [{"nam": "date"}]}, 'Unknown name "nam"'),
    ("ga4", "POST", GA4_REPORT, [1, 2], "Root element must be a message"),
    ("ga4", "POST", GA4_REPORT, {"limit": "abc", "dateRanges": [{}]}, "Invalid date: None"),
    (
        "ga4",
        "POST",
        GA4_REPORT,
        {"limit": "abc", "dateRanges": [{"startDate": "yesterday", "endDate": "today"}]},
        "Invalid value at 'limit'",
    ),
    ("gsc", "POST", GSC_QUERY, [1, 2], "Root element must be a message"),
    (
        "gsc",
        "POST",
        GSC_QUERY,
        {"startDate": "2024-06-01", "endDate": "2024-06-02", "dimensions": "date"},
        "Invalid value at 'dimensions'",
    ),
    (
        "gsc",
        "POST",
        GSC_QUERY,
        {"startDate": "2024-06-01", "endDate": "2024-06-02", "rowLimit": "x"},
        "Invalid value at 'rowLimit'",
    ),
    ("hubspot", "GET", "/crm/v3/objects/contacts?limit=abc", None, "limit"),
    ("hubspot", "GET", "/crm/v3/objects/contacts?after=%25%25", None, "paging cursor"),
    ("hubspot", "POST", "/crm/v3/objects/contacts/search", [1], "expected an object"),
    ("hubspot", "POST", "/crm/v3/objects/contacts/search", {"limit": "x"}, "integers"),
    ("hubspot", "POST", "/crm/v4/associations/deals/contacts/batch/read", {"inputs": 3}, "inputs"),
]


@pytest.mark.parametrize(("service", "method", "path", "body", "words"), MALFORMED)
def test_the_fakes_answer_malformed_requests_with_the_services_400(
    fakes: Fakes, google: Google, service: str, method: str, path: str, body: object, words: str
) -> None:
    token = HUBSPOT_TOKEN if service == "hubspot" else google.tokens.add_token("ya29.malformed")
    url = fakes.urls[service] + path.format(site=quote(SITE, safe=""))
    answer = httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    if service == "hubspot":
        assert answer.json()["category"] == "VALIDATION_ERROR"
        assert answer.json()["status"] == "error" and words in answer.json()["message"]
    else:
        assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert words in answer.json()["error"]["message"]
