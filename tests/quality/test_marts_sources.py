"""The marts when sources arrive late, overlap or disagree: a Search Console backfill connected
after GA4, a site verified as both a domain and a URL-prefix property, two GA4 properties, crawl
URLs that share a page key, deals without a contact or lost, and a file loaded with
`ingest file` (load freshness). On DuckDB and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.quality.warehouses import (
    TODAY,
    Data,
    _contact,
    _deal,
    _ga4,
    _gsc,
    _page,
    isolated,
    load_data,
    quality_settings,
    read_marts,
)

from marketloop.quality.run import run_quality
from marketloop.quality.warehouse import connect, target_from_settings

DAYS = [TODAY - timedelta(days=n) for n in range(10, -1, -1)]  # 11 days, older than the lookback
POST = "https://shop.test/blog/post"
PAGE_KEYS = yaml.safe_load((Path(__file__).parent / "cases" / "page_keys.yaml").read_text())


def first_load() -> Data:
    """GA4 alone first (two properties measure the site), with the crawl and HubSpot."""
    return {
        "ga4": {
            "pages": [_ga4(day, "www.shop.test", "/blog/post/", 10) for day in DAYS]
            + [_ga4(DAYS[-1], "www.shop.test", "/blog/post/", 4) | {"property_id": "p2"}]
        },
        "crawl": {
            "pages": [
                _page(POST, 200, True),
                _page("http://shop.test/blog/post", 301, False),
                _page(POST + "?page=2", 200, False),
                *(_page(case["url"], 404, False) | {"host": "shop.test"} for case in PAGE_KEYS),
            ],
            "issues": [
                _issue("h1_missing", "critical", POST),
                _issue("redirect_chain", "warning", "http://shop.test/blog/post"),
                _issue("duplicate_title", "critical", POST + "?page=2"),
            ],
        },
        "hubspot": {
            "contacts": [_contact("c1", "lead", POST, 3), _contact("c2", "lead", None, 2)],
            "deals": [
                _deal("d1", 1000.0, "closedwon"),
                _deal("d2", 700.0, "closedlost"),
                _deal("d3", 400.0, "appointmentscheduled"),  # no contact
            ],
            "deal_contacts": [
                {"deal_id": "d1", "contact_id": "c1"},
                {"deal_id": "d2", "contact_id": "c2"},
            ],
        },
        "files": {"keywords": [{"keyword": "blog post", "volume": 90}]},  # `ingest file`
    }


def gsc_backfill() -> Data:
    """Search Console connected later: 11 days, each search reported by both properties."""
    rows = []
    for day in DAYS:
        prefix = _gsc(day, "web", "post", POST, "usa", "DESKTOP", 1, 10, 4.0)
        domain = prefix | {"site_url": "sc-domain:shop.test", "clicks": 2, "impressions": 8}
        rows += [prefix, domain]
    # a row only the URL-prefix property reports (anonymised in the other): kept, not dropped
    rows.append(_gsc(DAYS[-1], "web", "post pricing", POST, "usa", "MOBILE", 3, 20, 6.0))
    return {"gsc": {"search_analytics": rows}}


def _issue(check: str, severity: str, url: str) -> dict[str, Any]:
    return {"crawl_id": "c1", "check": check, "severity": severity, "url": url, "detail": ""}


@dataclass
class Overlap:
    first: dict[str, Any]
    second: dict[str, Any]
    marts: dict[str, list[dict[str, Any]]]
    keys: dict[str, str]  # crawled URL -> its page key


def build(root: Path, warehouse: dict[str, str] | None = None) -> Overlap:
    with isolated(root):
        settings = quality_settings(root / "ws", warehouse)  # the default lookback: 3 days
        target = target_from_settings(settings)
        if target.path is not None:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        load_data(target, root / "ws" / "dlt", first_load())
        first = run_quality(settings)
        load_data(target, root / "ws" / "dlt", gsc_backfill())
        second = run_quality(settings)
        with connect(target) as wh:
            rows = wh.rows("select url, page_key from marketloop_staging.stg_crawl__pages")
        return Overlap(first, second, read_marts(target), {r["url"]: r["page_key"] for r in rows})


@pytest.fixture(scope="module")
def overlap(tmp_path_factory: pytest.TempPathFactory) -> Overlap:
    return build(tmp_path_factory.mktemp("overlap"))


def check(built: Overlap) -> None:
    pages = built.marts["page_performance"]
    assert [r["date"] for r in pages] == DAYS
    # the whole backfill reached the page mart, each search once (from the domain property)
    assert [r["clicks"] for r in pages] == [2] * (len(DAYS) - 1) + [2 + 3]
    assert [r["impressions"] for r in pages] == [8] * (len(DAYS) - 1) + [8 + 20]
    assert sum(r["clicks"] for r in built.marts["query_performance"]) == 2 * len(DAYS) + 3
    # GA4: one property per page and day (p1, with more sessions), not p1 + p2
    assert [r["sessions"] for r in pages] == [10] * len(DAYS)
    # the open issues of the crawl URL chosen (the 200 without a query), not of its key-mates
    today = pages[-1]
    assert today["crawl_url"] == POST
    assert (today["issues_critical"], today["issues_warning"]) == (1, 0)

    leads = {r["page_key"]: r for r in built.marts["landing_page_leads"]}
    assert set(leads) == {"shop.test/blog/post", "(unknown)", "(no contact)"}
    post = leads["shop.test/blog/post"]
    assert (post["deals"], post["deal_value"], post["won_deal_value"]) == (1, 1000.0, 1000.0)
    lost = leads["(unknown)"]
    assert (lost["deals"], lost["deal_value"], lost["open_deal_value"]) == (1, 0.0, 0.0)
    orphan = leads["(no contact)"]
    assert (orphan["contacts"], orphan["deals"], orphan["open_deal_value"]) == (0, 1, 400.0)

    freshness = {(f["source"], f["table"]): f["status"] for f in built.second["freshness"]}
    assert freshness[("files", "dlt_loads")] == "pass"
    files = next(s for s in built.second["sources"] if s["source"] == "files")
    assert (files["present"], files["tables"], files["load_status"]) == (True, ["keywords"], "pass")

    assert built.first["status"] == "warn"  # two GA4 properties report the same page and day
    warned = {t["name"] for t in built.second["tests"] if t["status"] == "warn"}
    assert any("stg_gsc__search_analytics" in name for name in warned), warned


def check_page_keys(built: Overlap) -> None:
    assert {c["url"]: built.keys[c["url"]] for c in PAGE_KEYS} == {
        c["url"]: c["key"] for c in PAGE_KEYS
    }


def test_duckdb_sources_that_arrive_late_or_overlap(overlap: Overlap) -> None:
    check(overlap)


@pytest.mark.parametrize("case", PAGE_KEYS, ids=[c["url"] for c in PAGE_KEYS])
def test_duckdb_page_keys(overlap: Overlap, case: dict[str, str]) -> None:
    assert overlap.keys[case["url"]] == case["key"]


@pytest.mark.postgres
def test_postgres_sources_that_arrive_late_or_overlap(postgres_url: str, tmp_path: Path) -> None:
    built = build(tmp_path, {"destination": "postgres", "credentials": postgres_url})
    check(built)
    check_page_keys(built)  # the same keys as DuckDB
