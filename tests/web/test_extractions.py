"""Custom extractions on the dashboard: the fields on a page's detail, a rule as a column and
a filter of the page explorer; hostile values (HTML, quotes, Rich markup, formula prefixes,
control characters) are shown as inert text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID

PRICING = "https://example.com/pricing"
SHOWN = "=cmd|&#39;/c calc&#39;!A1 &lt;script&gt;alert(1)&lt;/script&gt; &#34;&#39;&amp; [/] bell"


def _urls(html: str) -> list[str]:
    return re.findall(r'class="url"><a href="/site/page\?[^"]*url=([^"&]+)', html)


def _inert(html: str) -> None:
    assert "<script>alert(1)" not in html
    assert "\x07" not in html and "\x1b" not in html


@pytest.mark.usefixtures("seeded")
def test_page_detail_shows_its_fields(client: TestClient, login: Callable) -> None:
    login("viewer")
    html = client.get(f"/site/page?crawl={CRAWL_ID}&url={PRICING}").text
    section = html[html.index("<h2>Custom extraction</h2>") :]
    section = section[: section.index("</section>")]
    assert "price" in section and "(2 matches)" in section and "EUR 19,99<br>" in section
    assert SHOWN in section and "sku" in section and "(1 match)" in section
    _inert(html)
    home = client.get(f"/site/page?crawl={CRAWL_ID}&url=https://example.com/").text
    assert "no match" in home  # price found nothing there
    none = client.get(f"/site/page?crawl={CRAWL_ID}&url=https://example.com/blog/missing").text
    assert "Custom extraction" not in none  # no rule ran on that page


@pytest.mark.usefixtures("seeded")
def test_explorer_shows_a_rule_as_a_column_and_filters_by_it(
    client: TestClient, login: Callable
) -> None:
    login("viewer")
    plain = client.get("/site/pages").text
    assert '<option value="price">price (2)</option>' in plain
    assert '<option value="sku">sku (2)</option>' in plain
    assert '<th scope="col">price</th>' not in plain
    column = client.get("/site/pages?field=price").text
    assert '<th scope="col">price</th>' in column and SHOWN in column
    assert len(_urls(column)) == len(_urls(plain))  # a column, not a filter
    _inert(column)
    only = client.get("/site/pages", params={"field": "price", "value": "CALC"}).text
    assert [u.replace("%3A", ":").replace("%2F", "/") for u in _urls(only)] == [PRICING]
    assert 'name="value" type="search" value="CALC"' in only
    hostile = client.get("/site/pages", params={"field": "price", "value": "<script>\"'"}).text
    assert "No page matches" in hostile and 'value="&lt;script&gt;&#34;&#39;"' in hostile
    unknown = client.get("/site/pages", params={"field": "<b>nope</b>", "value": "x"}).text
    assert "<b>nope</b>" not in unknown and _urls(unknown) == _urls(plain)  # ignored
