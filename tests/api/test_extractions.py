"""Custom extractions through the API: a page's fields, pages by a rule (paged, filtered by a
value), a rule as a column of the pages list and its CSV; hostile values stay data."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from tests.api.conftest import CRAWL_ID, HOSTILE_VALUE, bearer

V1 = f"/api/v1/crawls/{CRAWL_ID}"
PRICING = "https://example.com/pricing"


def test_a_pages_fields_come_back_exactly(client: TestClient, seeded, keys) -> None:
    answer = client.get(f"{V1}/extractions", headers=bearer(keys["read"]),
                        params={"url": PRICING})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "object": "list",
        "has_more": False,
        "data": [{"url": PRICING, "fields": {
            "price": {"values": ["EUR 19,99", HOSTILE_VALUE], "matches": 2},
            "sku": {"values": ["SKU-1"], "matches": 1},
        }}],
    }  # fmt: skip
    # JSON escapes the control characters; nothing is HTML-escaped or cut
    assert "\\u0007" in answer.text and "\\u001b" in answer.text
    assert (
        "<script>alert(1)</script>"
        in json.loads(answer.text)["data"][0]["fields"]["price"]["values"][1]
    )


def test_pages_by_a_rule_are_paged_by_url(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    seen, after = [], None
    while True:
        params = {"name": "price", "limit": 1} | ({"starting_after": after} if after else {})
        page = client.get(f"{V1}/extractions", headers=headers, params=params).json()
        assert len(page["data"]) == 1
        seen += page["data"]
        if not page["has_more"]:
            break
        after = page["data"][-1]["url"]
    # only where the rule matched (not "/", where it found nothing), and only that rule
    assert [r["url"] for r in seen] == ["https://example.com/blog", PRICING]
    assert all(list(r["fields"]) == ["price"] for r in seen)
    everything = client.get(f"{V1}/extractions", headers=headers).json()["data"]
    assert [r["url"] for r in everything] == sorted({"https://example.com/", PRICING,
                                                     "https://example.com/blog"})  # fmt: skip


def test_filter_by_a_value_is_bound_not_spliced(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])

    def urls(value: str) -> list[str]:
        params = {"name": "price", "value_contains": value}
        answer = client.get(f"{V1}/extractions", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        return [r["url"] for r in answer.json()["data"]]

    assert urls("<SCRIPT>") == [PRICING]  # any case
    assert urls("=cmd|'/c") == [PRICING]
    assert urls("eur 5") == ["https://example.com/blog"]
    assert urls("%' OR 1=1 --") == []
    bad = client.get(f"{V1}/extractions", headers=headers, params={"value_contains": "x"})
    assert bad.status_code == 400 and "needs a name" in bad.json()["detail"]


def test_an_unknown_rule_is_refused_with_the_crawls_rules(client: TestClient, seeded, keys) -> None:
    for path, params in (
        ("/extractions", {"name": "<script>[/]"}),
        ("/pages", {"extract": "prices"}),
        ("/pages.csv", {"extract": "prices"}),
    ):
        answer = client.get(V1 + path, headers=bearer(keys["read"]), params=params)
        assert answer.status_code == 400, (path, answer.text)
        problem = answer.json()
        assert "no extraction" in problem["detail"] and problem["hint"] == "its rules: price, sku"


def test_a_rule_as_a_column_and_a_filter_of_pages(client: TestClient, seeded, keys) -> None:
    headers = bearer(keys["read"])
    rows = client.get(f"{V1}/pages", headers=headers, params={"extract": "price"}).json()["data"]
    by_url = {r["url"]: r["extracted"] for r in rows}
    assert by_url[PRICING] == ["EUR 19,99", HOSTILE_VALUE]
    assert by_url["https://example.com/"] == [] and by_url["https://example.com/blog/missing"] == []
    plain = client.get(f"{V1}/pages", headers=headers).json()["data"]
    assert all(r["extracted"] is None for r in plain)
    only_price = {"extract": "price", "extract_contains": "19,99"}
    only = client.get(f"{V1}/pages", headers=headers, params=only_price).json()["data"]
    assert [r["url"] for r in only] == [PRICING]
    lone = client.get(f"{V1}/pages", headers=headers, params={"extract_contains": "x"})
    assert lone.status_code == 400 and "needs extract" in lone.json()["detail"]


def test_the_csv_column_is_neutralised(client: TestClient, seeded, keys) -> None:
    answer = client.get(f"{V1}/pages.csv", headers=bearer(keys["read"]),
                        params={"extract": "price"})  # fmt: skip
    assert answer.status_code == 200
    rows = {r["url"]: r for r in csv.DictReader(io.StringIO(answer.text))}
    assert rows[PRICING]["extracted"] == f"EUR 19,99\n{HOSTILE_VALUE}"  # one value per line
    sku = client.get(f"{V1}/pages.csv", headers=bearer(keys["read"]),
                     params={"extract": "sku"}).text  # fmt: skip
    assert "extracted" in sku.splitlines()[0]
    only_hostile = client.get(f"{V1}/pages.csv", headers=bearer(keys["read"]),
                              params={"extract": "price", "extract_contains": "calc"})  # fmt: skip
    [row] = list(csv.DictReader(io.StringIO(only_hostile.text)))
    assert row["url"] == PRICING
