"""docs/fakes.md says, per fake, what it implements and what it refuses: every route the fakes
serve and every refusal they declare must be on that page."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from tests.contract.services import SERVICES

from marketloop.fakes import ga4, gsc, notion_http, notion_rules, openai_params

DOCS = (Path(__file__).parents[2] / "docs" / "fakes.md").read_text(encoding="utf-8")


def _routes(app: web.Application) -> set[str]:
    return {
        r.resource.canonical
        for r in app.router.routes()
        if r.resource is not None and "{tail" not in r.resource.canonical
    }


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_every_route_a_fake_serves_is_documented(service: object) -> None:
    with service.start() as served:  # type: ignore[attr-defined]
        app = served.fake.app if isinstance(served.fake.app, web.Application) else served.fake.app()
        missing = sorted(route for route in _routes(app) if route not in DOCS)
    assert missing == []


def test_every_declared_refusal_is_documented() -> None:
    names = [name for _, _, name in notion_http.UNSUPPORTED]
    names += list(openai_params.REFUSED)
    names += sorted(ga4.DOCUMENTED) + sorted(gsc.DOCUMENTED)
    names += sorted({key for _, refused in notion_rules.BODY_KEYS.values() for key in refused})
    assert [name for name in names if f"`{name}`" not in DOCS] == []


def test_every_service_in_the_contract_has_a_section() -> None:
    titles = {"notion": "Notion", "hubspot": "HubSpot", "openai": "OpenAI"}
    titles |= {"search-console": "Search Console", "ga4": "GA4", "jira": "Jira Cloud"}
    titles |= {"slack": "Slack"}
    assert all(f"## {titles[s.name]}" in DOCS for s in SERVICES)
