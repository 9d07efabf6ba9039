"""Warehouses for the quality tests: small, hand-checkable rows of the warehouse contract, loaded
with dlt exactly as `marketloop ingest` loads them (so `_dlt_loads` and `_dlt_load_id` exist).

Dates are relative to today: D1 = today - 2 days, D2 = yesterday, D3 = today. Expected numbers
are spelled out next to the rows in `tiny_data`, and asserted in test_marts.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marketloop.config import Settings, load_settings
from marketloop.quality.run import run_quality
from marketloop.quality.sample import load
from marketloop.quality.warehouse import Target, connect, target_from_settings

Data = dict[str, dict[str, list[dict[str, Any]]]]

TODAY = datetime.now(UTC).date()
D1, D2, D3 = TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY
RECENT = datetime.now(UTC) - timedelta(hours=20)


def _ga4(day: date, host: str, path: str, sessions: int, **more: Any) -> dict[str, Any]:
    return {
        "property_id": "p1",
        "date": day,
        "host_name": host,
        "page_path": path,
        "sessions": sessions,
        "active_users": sessions - 5,
        "screen_page_views": sessions * 2,
        "key_events": more.pop("key_events", 0.0),
        "engagement_rate": 0.5,
        "total_revenue": more.pop("revenue", 0.0),
        "is_other_row": more.pop("other", False),
        "thresholding_applied": False,
    }


def _gsc(day: date, search_type: str, query: str, page: str, country: str, device: str,
         clicks: int, impressions: int, position: float) -> dict[str, Any]:  # fmt: skip
    return {
        "site_url": "https://www.shop.test/",
        "search_type": search_type,
        "date": day,
        "query": query,
        "page": page,
        "country": country,
        "device": device,
        "clicks": clicks,
        "impressions": impressions,
        "ctr": clicks / impressions,
        "position": position,
        "data_state": "final",
    }


def _contact(cid: str, stage: str, url: str | None, created_days_ago: int, archived: bool = False):
    created = RECENT - timedelta(days=created_days_ago)
    return {
        "id": cid,
        "email": f"{cid}@example.org",
        "firstname": cid.upper(),
        "lastname": "Test",
        "lifecyclestage": stage,
        "hs_analytics_first_url": url,
        "hs_analytics_source": "ORGANIC_SEARCH",
        "createdate": created,
        "hs_lastmodifieddate": RECENT,
        "archived": archived,
        "archived_at": RECENT if archived else None,
    }


def _deal(did: str, amount: float, stage: str, archived: bool = False) -> dict[str, Any]:
    return {
        "id": did,
        "dealname": f"Deal {did}",
        "amount": amount,
        "dealstage": stage,
        "pipeline": "default",
        "closedate": RECENT,
        "createdate": RECENT - timedelta(days=5),
        "hs_lastmodifieddate": RECENT,
        "archived": archived,
        "archived_at": RECENT if archived else None,
    }


def _page(url: str, status: int, indexable: bool) -> dict[str, Any]:
    return {
        "crawl_id": "c1",
        "url": url,
        "host": url.split("/")[2],
        "depth": 1,
        "found_via": "link",
        "is_internal": True,
        "status": status,
        "content_type": "text/html",
        "fetched_at": RECENT,
        "word_count": 500,
        "indexable": indexable,
    }


def tiny_data() -> Data:
    """Keys: "/" -> shop.test/, "/blog/post/" and "shop.test/blog/post" -> shop.test/blog/post."""
    home, post, pricing = (
        "https://www.shop.test/",
        "https://www.shop.test/blog/post/",
        "https://www.shop.test/pricing",
    )
    return {
        "ga4": {
            "pages": [
                _ga4(D1, "www.shop.test", "/", 100, key_events=5.0, revenue=50.0),
                _ga4(D1, "www.shop.test", "/blog/post/", 40, key_events=2.0),
                _ga4(D1, "shop.test", "/blog/post", 10),  # same page key: 50 sessions on D1
                _ga4(D2, "www.shop.test", "/", 120, key_events=6.0, revenue=60.0),
                _ga4(D2, "www.shop.test", "(other)", 7, other=True),  # not a page
                _ga4(D2, "www.shop.test", "/pricing?ref=nav", 30),
            ],  # sessions of pages: 300
            "traffic_sources": [
                {
                    "property_id": "p1",
                    "date": D2,
                    "session_default_channel_group": "Organic Search",
                    "session_source": "google",
                    "session_medium": "organic",
                    "sessions": 150,
                    "key_events": 6.0,
                    "is_other_row": False,
                    "thresholding_applied": False,
                }
            ],
        },
        "gsc": {
            "search_analytics": [
                _gsc(D1, "web", "shop", home, "usa", "DESKTOP", 10, 100, 2.0),
                _gsc(D1, "web", "shop", home, "gbr", "MOBILE", 5, 100, 4.0),  # home D1: 15/200, 3.0
                _gsc(D1, "web", "blog post", post, "usa", "DESKTOP", 4, 50, 8.0),
                _gsc(D1, "image", "shop", home, "usa", "DESKTOP", 1, 10, 1.0),  # not web
                _gsc(D2, "web", "shop", "https://WWW.shop.test/", "usa", "DESKTOP", 20, 200, 1.5),
                _gsc(D2, "web", "pricing", pricing, "usa", "TABLET", 3, 60, 5.0),
                _gsc(
                    D2, "web", "shop", pricing, "usa", "DESKTOP", 1, 40, 10.0
                ),  # pricing D2: 4/100, 7.0
            ],
        },
        "hubspot": {
            "contacts": [
                _contact("c1", "lead", post + "?utm_source=x", 3),
                _contact("c2", "customer", "https://shop.test/blog/post", 2),
                _contact("c3", "marketingqualifiedlead", pricing, 9),  # oldest contact of d1
                _contact("c4", "lead", post, 1, archived=True),  # left out
                _contact("c5", "subscriber", None, 1),  # (unknown)
            ],
            "companies": [
                {
                    "id": "co1",
                    "name": "Acme",
                    "domain": "acme.test",
                    "industry": "RETAIL",
                    "createdate": RECENT,
                    "hs_lastmodifieddate": RECENT,
                    "archived": False,
                    "archived_at": None,
                }
            ],
            "deals": [
                _deal("d1", 1000.0, "closedwon"),  # -> pricing (c3 is older than c1)
                _deal("d2", 500.0, "appointmentscheduled"),  # -> blog/post
                _deal("d3", 300.0, "closedwon", archived=True),  # left out
            ],
            "contact_companies": [{"contact_id": "c1", "company_id": "co1"}],
            "deal_contacts": [
                {"deal_id": "d1", "contact_id": "c1"},
                {"deal_id": "d1", "contact_id": "c3"},
                {"deal_id": "d2", "contact_id": "c2"},
                {"deal_id": "d3", "contact_id": "c2"},
            ],
        },
        "crawl": {
            "pages": [
                _page(home, 200, True),
                _page("https://www.shop.test/blog/post", 200, True),
                _page("http://shop.test/blog/post/", 301, False),  # same key; the 200 wins
                _page(pricing, 200, False),  # noindex
            ],
            "issues": [
                {
                    "crawl_id": "c1",
                    "check": "h1_missing",
                    "severity": "critical",
                    "url": "https://www.shop.test/blog/post",
                    "detail": "no <h1>",
                },
                {
                    "crawl_id": "c1",
                    "check": "title_too_long",
                    "severity": "warning",
                    "url": pricing,
                    "detail": "72 characters",
                },
                {
                    "crawl_id": "c1",
                    "check": "meta_description_missing",
                    "severity": "notice",
                    "url": pricing,
                    "detail": "",
                },
            ],
        },
    }


def corrections() -> Data:
    """A second load: a late correction on D2, a change on D1 (outside a lookback of 0 days, but
    in a new load, so the incremental mart rebuilds it), a new day D3, and a new HubSpot
    property."""
    return {
        "ga4": {
            "pages": [
                _ga4(D1, "www.shop.test", "/", 999),
                _ga4(D2, "www.shop.test", "/", 125, key_events=6.0, revenue=60.0),
                _ga4(D3, "www.shop.test", "/", 10),
            ]
        },
        "hubspot": {"contacts": [_contact("c5", "subscriber", None, 1) | {"hs_persona": "p1"}]},
    }


def load_data(target: Target, dlt_dir: Path, data: Data, **options: Any) -> None:
    for dataset, tables in data.items():
        load(target, dataset, tables, pipelines_dir=dlt_dir, **options)


def age_loads(target: Target, dataset: str, hours: float) -> None:
    """Pretend every dlt load of `dataset` happened `hours` ago."""
    with connect(target) as wh:
        when = datetime.now(UTC) - timedelta(hours=hours)
        wh.execute(f"update {dataset}._dlt_loads set inserted_at = ?", [when])


def quality_settings(
    workspace: Path, warehouse: dict[str, str] | None = None, **quality: Any
) -> Settings:
    """Settings for `workspace`; `warehouse` is the [warehouse] section (default: DuckDB)."""
    overrides = {"workspace": workspace, "quality": quality, "warehouse": warehouse or {}}
    return load_settings(overrides=overrides)


MART_QUERIES = {
    "page_performance": "select * from marketloop_marts.page_performance order by page_key, date",
    "query_performance": "select * from marketloop_marts.query_performance "
    "order by query, date, search_type",
    "query_page_performance": "select * from marketloop_marts.query_page_performance "
    "order by query, page_key, date, search_type",
    "landing_page_leads": "select * from marketloop_marts.landing_page_leads order by page_key",
}


def read_marts(target: Target) -> dict[str, list[dict[str, Any]]]:
    with connect(target) as wh:
        return {name: wh.rows(sql) for name, sql in MART_QUERIES.items()}


@dataclass
class Built:
    """The tiny warehouse checked twice: before and after `corrections()`."""

    settings: Settings
    target: Target
    first: dict[str, Any]
    second: dict[str, Any]
    marts_first: dict[str, list[dict[str, Any]]]
    marts_second: dict[str, list[dict[str, Any]]]


@contextmanager
def isolated(root: Path) -> Iterator[None]:
    """What the autouse clean_env fixture does, for session-scoped fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("MARKETLOOP_"):
                patch.delenv(key)
        patch.chdir(root)
        yield


def build_twice(root: Path, warehouse: dict[str, str] | None = None, **quality: Any) -> Built:
    with isolated(root):
        settings = quality_settings(root / "ws", warehouse, lookback_days=0, **quality)
        target = target_from_settings(settings)
        if target.path is not None:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        load_data(target, root / "ws" / "dlt", tiny_data())
        first = run_quality(settings)
        marts_first = read_marts(target)
        load_data(target, root / "ws" / "dlt", corrections())
        second = run_quality(settings)
        return Built(settings, target, first, second, marts_first, read_marts(target))
