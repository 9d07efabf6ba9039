"""The fakes the shared contract runs against, each with its official SDK (test dependencies:
notion-client, hubspot-api-client, openai, google-api-python-client for Search Console,
google-analytics-data for GA4, jira for Jira Cloud). See `contract.py`."""

from __future__ import annotations

import base64
import json
from typing import Any

import jira
import notion_client
import openai
import slack_sdk
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.api_core import exceptions as core_exceptions
from google.api_core import retry as retries
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from hubspot import HubSpot
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from tests.contract.contract import Served, Service, serving
from urllib3.util.retry import Retry

from marketloop.fakes.common import DEFAULT_PATHS, Faults, TokenBucket
from marketloop.fakes.ga4 import Ga4Fake
from marketloop.fakes.google_token import GoogleTokens
from marketloop.fakes.gsc import GscFake
from marketloop.fakes.hubspot import HubspotFake
from marketloop.fakes.jira import JiraFake
from marketloop.fakes.notion import BRIEF_SCHEMA, VERSION, NotionFake
from marketloop.fakes.openai import FakeOpenAI
from marketloop.fakes.slack import SlackFake

HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"

# --- Notion ----------------------------------------------------------------------------------


def _notion() -> tuple[Any, Any, str, Any]:
    fake = NotionFake()
    fake.knobs.rate = None
    fake.add_database("Content briefs", BRIEF_SCHEMA)
    return fake, fake.app, fake.token, lambda: len(fake.requests)


def notion_sdk(served: Served, token: str) -> notion_client.Client:
    retry = notion_client.RetryOptions(max_retries=2, max_retry_delay_ms=100)
    return notion_client.Client(auth=token, base_url=served.url, retry=retry)


def _notion_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, notion_client.APIResponseError)
    return exc.status, str(exc.code.value if hasattr(exc.code, "value") else exc.code)


NOTION = Service(
    name="notion",
    start=serving(_notion),
    client=notion_sdk,
    read=lambda sdk: sdk.users.list(),
    unknown=lambda sdk: sdk.request(path="workspaces/everything", method="GET"),
    throttle=lambda served: served.fake.fail_next(429, retry_after=1),
    error_of=_notion_error,
    api_error=(notion_client.APIResponseError,),
    unknown_error=(400, "invalid_request_url"),
    auth_error=(401, "unauthorized"),
    headers=lambda token: {"Authorization": f"Bearer {token}", "Notion-Version": VERSION},
    known_path="/v1/users",
)

# --- HubSpot ---------------------------------------------------------------------------------


def _hubspot() -> tuple[Any, Any, str, Any]:
    fake = HubspotFake(tokens={HUBSPOT_TOKEN})
    return fake, fake.app(), HUBSPOT_TOKEN, lambda: fake.requests


def hubspot_sdk(served: Served, token: str) -> HubSpot:
    # the SDK retries what urllib3's Retry says; HubSpot's docs recommend honouring Retry-After
    retry = Retry(total=3, status_forcelist=(429,), allowed_methods=None, backoff_factor=0)
    return HubSpot(access_token=token, host=served.url, retry=retry)


def _hubspot_throttle(served: Served) -> None:
    """A real ten-second-rolling limit of one request per second, already used up."""
    fake: HubspotFake = served.fake
    fake.rate_limit = (1, 1.0)
    fake._bucket = TokenBucket(1, 1.0)
    fake._bucket.take()


def _hubspot_error(exc: BaseException) -> tuple[int, str]:
    body = json.loads(exc.body)  # type: ignore[attr-defined]
    return exc.status, body.get("category") or body["errorType"]  # type: ignore[attr-defined]


HUBSPOT = Service(
    name="hubspot",
    start=serving(_hubspot),
    client=hubspot_sdk,
    read=lambda sdk: sdk.crm.contacts.basic_api.get_page(limit=1),
    unknown=lambda sdk: sdk.crm.owners.owners_api.get_page(),
    throttle=_hubspot_throttle,
    error_of=_hubspot_error,
    api_error=(ContactsApiException, OwnersApiException),
    unknown_error=(404, "OBJECT_NOT_FOUND"),
    auth_error=(401, "INVALID_AUTHENTICATION"),
    close=lambda sdk: None,  # each API object has its own urllib3 pool, freed with it
    known_path="/crm/v3/objects/contacts",
)

# --- OpenAI-compatible -----------------------------------------------------------------------


def _openai() -> tuple[Any, Any, str, Any]:
    fake = FakeOpenAI()
    return fake, fake.app(), "sk-fake", lambda: fake.calls


def openai_sdk(served: Served, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key=token, max_retries=2)


def _openai_throttle(served: Served) -> None:
    served.fake.knobs.rate_limits = 1
    served.fake.knobs.retry_after = 0.05


def _openai_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, openai.APIStatusError)
    body = exc.body if isinstance(exc.body, dict) else {}
    return exc.status_code, str(body.get("code") or body.get("type"))


HELLO = [{"role": "user", "content": "Say hello"}]
OPENAI = Service(
    name="openai",
    start=serving(_openai),
    client=openai_sdk,
    read=lambda sdk: sdk.chat.completions.create(model="gpt-4o-mini", messages=HELLO),
    unknown=lambda sdk: sdk.embeddings.create(model="text-embedding-3-small", input="x"),
    throttle=_openai_throttle,
    error_of=_openai_error,
    api_error=(openai.APIStatusError,),
    unknown_error=(404, "invalid_request_error"),
    auth_error=(401, "invalid_api_key"),
    known_path="/v1/chat/completions",
)


# --- Google: GA4 Data API and Search Console -------------------------------------------------

GOOGLE_TOKEN = "ya29.contract-test-token"
SITE = "sc-domain:example.com"


def _google_tokens() -> GoogleTokens:
    tokens = GoogleTokens()
    tokens.add_token(GOOGLE_TOKEN, "*")
    return tokens


def _gsc() -> tuple[Any, Any, str, Any]:
    fake = GscFake(_google_tokens(), {SITE: [f"https://example.com{p}" for p in DEFAULT_PATHS]})
    return fake, fake.app(), GOOGLE_TOKEN, lambda: fake.requests


def gsc_sdk(served: Served, token: str) -> Any:
    """google-api-python-client's Search Console service, offline (static discovery). The
    session does not refresh on 401 (the token has no refresh grant), so a 401 surfaces."""
    http = AuthorizedHttp(Credentials(token=token), refresh_status_codes=())
    endpoint = {"api_endpoint": served.url + "/"}
    return build("searchconsole", "v1", http=http, client_options=endpoint, static_discovery=True)


def execute(request: Any) -> Any:
    """`execute` with the client's own retries (429, 5xx), without its random back-off sleep."""
    request._rand = lambda: 0.0
    return request.execute(num_retries=2)


def gsc_query(sdk: Any, **body: Any) -> Any:
    query = {"startDate": "2024-04-01", "endDate": "2024-04-02", "dimensions": ["query"]} | body
    return execute(sdk.searchanalytics().query(siteUrl=SITE, body=query))


def inject_429(served: Served) -> None:
    """The next data request answers 429 RESOURCE_EXHAUSTED once (GA4 and Search Console)."""
    faults: Faults = served.fake.faults
    faults.fail_status, faults.retry_after = 429, 1
    faults.fail_on_page, faults.fail_times = faults.pages + 1, faults.failures + 1


def _http_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, HttpError)
    return exc.status_code, json.loads(exc.content)["error"]["status"]


SEARCH_CONSOLE = Service(
    name="search-console",
    start=serving(_gsc),
    client=gsc_sdk,
    read=gsc_query,
    unknown=lambda sdk: execute(sdk.sites().list()),
    throttle=inject_429,
    error_of=_http_error,
    api_error=(HttpError,),
    unknown_error=(404, "NOT_FOUND"),
    auth_error=(401, "UNAUTHENTICATED"),
    known_path="/webmasters/v3/sites/x/searchAnalytics/query",
)


def _ga4() -> tuple[Any, Any, str, Any]:
    fake = Ga4Fake(_google_tokens(), {"123": ("example.com", DEFAULT_PATHS)})
    return fake, fake.app(), GOOGLE_TOKEN, lambda: fake.requests


def ga4_sdk(served: Served, token: str) -> BetaAnalyticsDataClient:
    """google-analytics-data over its REST transport (the fake speaks HTTP/JSON, not gRPC)."""
    endpoint = {"api_endpoint": served.url}
    client = BetaAnalyticsDataClient(
        transport="rest", credentials=Credentials(token=token), client_options=endpoint
    )
    client._transport._session._refresh_status_codes = ()  # see gsc_sdk: let a 401 surface
    return client


#: the retry a caller passes (google-api-core retries nothing on runReport by default); over
#: REST a 429 is `TooManyRequests`
GA4_RETRY = retries.Retry(
    predicate=retries.if_exception_type(core_exceptions.TooManyRequests),
    initial=0.01,
    maximum=0.05,
    timeout=10,
)


def ga4_report(sdk: BetaAnalyticsDataClient, **fields: Any) -> Any:
    request = {
        "property": "properties/123",
        "date_ranges": [{"start_date": "7daysAgo", "end_date": "yesterday"}],
        "dimensions": [{"name": "date"}],
        "metrics": [{"name": "sessions"}],
    } | fields
    return sdk.run_report(request=request, retry=GA4_RETRY)


def _api_core_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, core_exceptions.GoogleAPICallError)
    return int(exc.code or 0), exc.response.json()["error"]["status"]  # type: ignore[union-attr]


GA4 = Service(
    name="ga4",
    start=serving(_ga4),
    client=ga4_sdk,
    read=ga4_report,
    unknown=lambda sdk: sdk.get_metadata(name="properties/123/metadata"),
    throttle=inject_429,
    error_of=_api_core_error,
    api_error=(core_exceptions.GoogleAPICallError,),
    unknown_error=(404, "NOT_FOUND"),
    auth_error=(401, "UNAUTHENTICATED"),
    close=lambda sdk: sdk.transport.close(),
    known_path="/v1beta/properties/123:runReport",
)

# --- Jira Cloud ------------------------------------------------------------------------------


def _jira() -> tuple[Any, Any, str, Any]:
    fake = JiraFake({"SEO": "Website SEO"})
    return fake, fake.app, fake.token, lambda: fake.total_requests


def jira_sdk(served: Served, token: str) -> jira.JIRA:
    """The `jira` package on REST v3, basic auth (email, API token); it retries a 429 after
    twice its Retry-After (capped by max_retry_delay)."""
    email, _, secret = token.partition(":")
    client = jira.JIRA(
        server=served.url,
        basic_auth=(email, secret),
        options={"rest_api_version": "3"},
        get_server_info=False,  # tests that need it (enhanced_search_issues) call server_info
        max_retries=2,
    )
    client._session.max_retry_delay = 1  # the retry sleeps ≤ 1 s
    return client


def _jira_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, jira.JIRAError)
    body = json.loads(exc.text) if exc.text.startswith("{") else {"errorMessages": [exc.text]}
    return int(exc.status_code or 0), body["errorMessages"][0]


def _basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(token.encode()).decode()}


JIRA = Service(
    name="jira",
    start=serving(_jira),
    client=jira_sdk,
    read=lambda sdk: sdk.myself(),
    unknown=lambda sdk: sdk.dashboards(),
    throttle=lambda served: served.fake.fail_next(429, retry_after=0),
    error_of=_jira_error,
    api_error=(jira.JIRAError,),
    unknown_error=(404, "No API route matches GET /rest/api/3/dashboard."),
    auth_error=(401, "Client must be authenticated to access this resource."),
    close=lambda sdk: sdk.close(),
    headers=_basic,
    known_path="/rest/api/3/issue",
)

# --- Slack -----------------------------------------------------------------------------------


def _slack() -> tuple[Any, Any, str, Any]:
    fake = SlackFake()
    return fake, fake.app, fake.token, lambda: fake.requests


def slack_sdk_client(served: Served, token: str) -> slack_sdk.WebClient:
    """slack-sdk's WebClient with its own 429 handler (it sleeps for Retry-After)."""
    client = slack_sdk.WebClient(token=token, base_url=served.url + "/api/")
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    return client


def _slack_error(exc: BaseException) -> tuple[int, str]:
    assert isinstance(exc, SlackApiError)
    return exc.response.status_code, str(exc.response["error"])


SLACK = Service(
    name="slack",
    start=serving(_slack),
    client=slack_sdk_client,
    read=lambda sdk: sdk.auth_test(),
    unknown=lambda sdk: sdk.api_call("admin.everything.delete"),
    throttle=lambda served: served.fake.fail_next(retry_after=0),
    error_of=_slack_error,
    api_error=(SlackApiError,),
    unknown_error=(200, "unknown_method"),
    auth_error=(200, "invalid_auth"),
    close=lambda sdk: None,  # urllib per request: nothing to free
    known_path="/api/chat.postMessage",
)

SERVICES = (NOTION, HUBSPOT, OPENAI, SEARCH_CONSOLE, GA4, JIRA, SLACK)
