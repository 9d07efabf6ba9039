"""The contract every SaaS fake keeps with its official SDK (see `contract.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.contract.contract import Served, Service


@pytest.fixture
def sdk_for(service: Service, served: Served) -> Iterator[Callable[[str], Any]]:
    """SDK clients pointed at the fake (by token), closed after the test."""
    made: list[Any] = []

    def make(token: str) -> Any:
        made.append(service.client(served, token))
        return made[-1]

    yield make
    for client in made:
        service.close(client)


def test_a_cheap_read_works(
    service: Service, served: Served, sdk_for: Callable[[str], Any]
) -> None:
    assert service.read(sdk_for(served.token)) is not None


def test_an_unknown_route_is_the_services_json_error(
    service: Service, served: Served, sdk_for: Callable[[str], Any]
) -> None:
    sdk = sdk_for(served.token)
    with pytest.raises(service.api_error) as caught:
        service.unknown(sdk)
    assert service.error_of(caught.value) == service.unknown_error


def test_a_wrong_token_is_the_sdks_auth_error(
    service: Service, served: Served, sdk_for: Callable[[str], Any]
) -> None:
    sdk = sdk_for(served.token + "-wrong")
    with pytest.raises(service.api_error) as caught:
        service.read(sdk)
    assert service.error_of(caught.value) == service.auth_error


def test_a_429_is_retried_by_the_sdk_and_then_succeeds(
    service: Service, served: Served, sdk_for: Callable[[str], Any]
) -> None:
    sdk = sdk_for(served.token)
    service.throttle(served)
    before = served.hits()
    assert service.read(sdk) is not None
    assert served.hits() - before == 2  # the 429, then the retry that passed


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_no_request_is_answered_with_plain_text(
    service: Service, served: Served, method: str
) -> None:
    headers = service.headers(served.token)
    for path in ("/", "/nope", "/v1/<script>", service.known_path, service.known_path + "/x/y"):
        answer = httpx.request(method, served.url + path, headers=headers, json={}, timeout=10)
        assert answer.headers["content-type"].startswith("application/json"), (path, answer.text)
        answer.json()  # parses


def test_a_body_too_large_for_the_server_is_still_json(service: Service, served: Served) -> None:
    headers = service.headers(served.token) | {"Content-Type": "application/json"}
    big = b'{"x": "' + b"x" * 2_000_000 + b'"}'
    answer = httpx.post(served.url + service.known_path, headers=headers, content=big, timeout=30)
    assert answer.status_code >= 400
    assert answer.headers["content-type"].startswith("application/json"), answer.text[:200]
