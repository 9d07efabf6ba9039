"""Expected mart contents for the tiny warehouse of conftest.tiny_data (hand-computed there)."""

from __future__ import annotations

from typing import Any

from pytest import approx
from tests.quality.warehouses import D1, D2, D3

Rows = list[dict[str, Any]]


def _one(rows: Rows, **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"{match}: {found}"
    return found[0]


def check_first_build(marts: dict[str, Rows]) -> None:
    pages = marts["page_performance"]
    assert [(r["page_key"], r["date"]) for r in pages] == [
        ("shop.test/", D1),
        ("shop.test/", D2),
        ("shop.test/blog/post", D1),
        ("shop.test/pricing", D2),
    ]
    assert sum(r["sessions"] for r in pages) == 300  # the (other) row is not a page
    assert sum(r["clicks"] for r in pages) == 43  # web search only
    home = _one(pages, page_key="shop.test/", date=D1)
    assert (home["sessions"], home["key_events"], home["total_revenue"]) == (100, 5.0, 50.0)
    assert (home["clicks"], home["impressions"]) == (15, 200)
    assert (home["ctr"], home["position"]) == (approx(0.075), approx(3.0))
    assert (home["in_crawl"], home["crawl_status"], home["indexable"]) == (True, 200, True)
    assert (home["issues_critical"], home["issues_warning"], home["issues_notice"]) == (0, 0, 0)
    post = _one(pages, page_key="shop.test/blog/post", date=D1)
    assert (post["sessions"], post["clicks"], post["impressions"]) == (50, 4, 50)
    assert post["crawl_url"] == "https://www.shop.test/blog/post"  # the 200, not the 301
    assert post["issues_critical"] == 1
    pricing = _one(pages, page_key="shop.test/pricing", date=D2)
    assert (pricing["sessions"], pricing["clicks"], pricing["impressions"]) == (30, 4, 100)
    assert pricing["position"] == approx(7.0)
    assert (pricing["indexable"], pricing["issues_warning"], pricing["issues_notice"]) == (
        False,
        1,
        1,
    )

    queries = marts["query_performance"]
    assert sum(r["clicks"] for r in queries) == 44  # every search type
    shop_d2 = _one(queries, query="shop", date=D2, search_type="web")
    assert (shop_d2["clicks"], shop_d2["impressions"], shop_d2["pages"]) == (21, 240, 2)
    assert shop_d2["position"] == approx(700 / 240)
    assert _one(queries, query="shop", date=D1, search_type="image")["clicks"] == 1
    pairs = marts["query_page_performance"]
    shop_pricing = _one(pairs, query="shop", page_key="shop.test/pricing", date=D2)
    assert (shop_pricing["clicks"], shop_pricing["position"]) == (1, approx(10.0))

    leads = {r["page_key"]: r for r in marts["landing_page_leads"]}
    assert set(leads) == {"shop.test/blog/post", "shop.test/pricing", "(unknown)"}
    post_leads = leads["shop.test/blog/post"]
    assert (post_leads["contacts"], post_leads["leads"], post_leads["customers"]) == (2, 1, 1)
    assert (post_leads["deals"], post_leads["deal_value"], post_leads["won_deal_value"]) == (
        1,
        500.0,
        0.0,
    )
    pricing_leads = leads["shop.test/pricing"]
    assert (pricing_leads["contacts"], pricing_leads["marketing_qualified"]) == (1, 1)
    assert (pricing_leads["deal_value"], pricing_leads["won_deal_value"]) == (1000.0, 1000.0)
    assert (leads["(unknown)"]["contacts"], leads["(unknown)"]["deals"]) == (1, 0)
    assert sum(r["deal_value"] for r in leads.values()) == 1500.0  # archived d3 left out


def check_second_build(marts: dict[str, Rows]) -> None:
    pages = marts["page_performance"]
    assert _one(pages, page_key="shop.test/", date=D2)["sessions"] == 125  # late correction
    # outside the lookback (0 days) but in a new load: rebuilt all the same, with its search data
    home_d1 = _one(pages, page_key="shop.test/", date=D1)
    assert (home_d1["sessions"], home_d1["clicks"]) == (999, 15)
    new_day = _one(pages, page_key="shop.test/", date=D3)
    assert (new_day["sessions"], new_day["clicks"]) == (10, None)
    assert sum(r["sessions"] for r in pages) == 300 - 100 + 999 - 120 + 125 + 10
