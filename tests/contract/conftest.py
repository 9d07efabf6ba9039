"""Fixtures of the contract suite: each fake served on 127.0.0.1 for its official SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.contract.contract import Served, Service
from tests.contract.services import HUBSPOT, JIRA, NOTION, OPENAI, SERVICES


@pytest.fixture(params=SERVICES, ids=[s.name for s in SERVICES])
def service(request: pytest.FixtureRequest) -> Service:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def served(service: Service) -> Iterator[Served]:
    with service.start() as running:
        yield running


def _serve(service: Service) -> Iterator[Served]:
    with service.start() as running:
        yield running


@pytest.fixture
def notion() -> Iterator[Served]:
    yield from _serve(NOTION)


@pytest.fixture
def hubspot() -> Iterator[Served]:
    yield from _serve(HUBSPOT)


@pytest.fixture
def openai_fake() -> Iterator[Served]:
    yield from _serve(OPENAI)


@pytest.fixture
def jira_fake() -> Iterator[Served]:
    yield from _serve(JIRA)
