"""The fakes the shared contract runs against, each with its official SDK (test dependencies:
notion-client, hubspot-api-client, openai). Slack and Jira fakes plug in here when they exist:
see `contract.py`."""

from __future__ import annotations

import json
from typing import Any

import notion_client
import openai
from hubspot import HubSpot
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from tests.contract.contract import Served, Service, serving
from urllib3.util.retry import Retry

from marketloop.fakes.common import TokenBucket
from marketloop.fakes.hubspot import HubspotFake
from marketloop.fakes.notion import BRIEF_SCHEMA, NotionFake
from marketloop.fakes.openai import FakeOpenAI

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
)

SERVICES = (NOTION, HUBSPOT, OPENAI)
