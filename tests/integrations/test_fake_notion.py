"""The fake Notion behaves like the documented API where publishing depends on it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from marketloop.integrations.blocks import paragraph

from .conftest import Notion


@pytest.fixture
def api(notion: Notion) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {notion.fake.token}", "Notion-Version": "2025-09-03"}
    with httpx.Client(base_url=notion.url, headers=headers) as client:
        yield client


def page(
    api: httpx.Client, notion: Notion, key: str, children: list[dict[str, object]] | None = None
) -> httpx.Response:
    return api.post(
        "/v1/pages",
        json={
            "parent": {"type": "data_source_id", "data_source_id": notion.source_id},
            "properties": {
                "Name": {"title": [{"text": {"content": key}}]},
                "marketloop_id": {"rich_text": [{"text": {"content": key}}]},
            },
            "children": children or [],
        },
    )


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert (
        body["object"] == "error" and body["status"] == response.status_code and body["request_id"]
    )
    return response.status_code, body["code"], body["message"]


def test_version_and_token_are_required(notion: Notion, api: httpx.Client) -> None:
    path = f"/v1/databases/{notion.database_id}"
    no_version = httpx.get(
        notion.url + path, headers={"Authorization": f"Bearer {notion.fake.token}"}
    )
    assert error(no_version)[:2] == (400, "missing_version")
    assert error(httpx.get(notion.url + path, headers={"Notion-Version": "2025-09-03"}))[:2] == (
        401,
        "unauthorized",
    )
    database = api.get(path).json()
    assert database["object"] == "database"
    assert database["data_sources"] == [{"id": notion.source_id, "name": "Content briefs"}]
    source = api.get(f"/v1/data_sources/{notion.source_id}").json()
    assert source["parent"] == {"type": "database_id", "database_id": notion.database_id}
    assert source["properties"]["Status"]["type"] == "status"


def test_unknown_ids_and_unshared_databases_are_404(notion: Notion, api: httpx.Client) -> None:
    missing = "0b5c3e2a-7d1f-4f5e-9a61-3c2b1d0e9f87"
    assert error(api.get(f"/v1/databases/{missing}"))[:2] == (404, "object_not_found")
    # an id that is not a UUID fails path validation first, as in Notion
    assert error(api.get("/v1/databases/nope"))[:2] == (400, "validation_error")
    notion.fake.unshared.add(notion.database_id)
    status, code, message = error(api.get(f"/v1/data_sources/{notion.source_id}"))
    assert (status, code) == (404, "object_not_found") and "shared with your integration" in message


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"Nope": {"rich_text": []}}, "Nope is not a property that exists."),
        ({"Opportunity": {"rich_text": []}}, "Opportunity is expected to be number."),
        (
            {"Opportunity": {"number": "high"}},
            "body.properties.Opportunity.number should be a number",
        ),
        ({"Status": {"status": {"name": "Someday"}}}, 'Status option "Someday" does not exist'),
        ({"Intent": {"select": {"name": "a, b"}}}, "commas not allowed"),
        ({"Owner": {"people": [{"id": "not-a-user"}]}}, "Could not find user"),
    ],
)
def test_properties_are_checked_against_the_schema(
    notion: Notion, api: httpx.Client, properties: dict[str, object], message: str
) -> None:
    response = api.post(
        "/v1/pages", json={"parent": {"data_source_id": notion.source_id}, "properties": properties}
    )
    status, code, said = error(response)
    assert (status, code) == (400, "validation_error") and message in said


def test_block_limits(notion: Notion, api: httpx.Client) -> None:
    too_many = [b for n in range(101) for b in paragraph(f"{n}")]
    assert (
        "body.children.length should be ≤ `100`, instead was `101`"
        in error(page(api, notion, "a", too_many))[2]
    )
    too_long = [
        {"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": "x" * 2001}}]}}
    ]
    message = error(page(api, notion, "b", too_long))[2]
    assert (
        "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`" in message
    )
    bad_language = [{"type": "code", "code": {"rich_text": [], "language": "klingon"}}]
    assert "body.children[0].code.language" in error(page(api, notion, "c", bad_language))[2]
    assert notion.pages() == []


def test_request_size_and_block_element_limits(notion: Notion, api: httpx.Client) -> None:
    big = [
        {"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": "x" * 2000}}] * 5}}
    ] * 60  # 60 blocks of 10,000 characters: about 600 KB
    status, code, message = error(page(api, notion, "big", big))
    assert (status, code) == (400, "validation_error") and "500000" in message
    nested = [
        {"type": "toggle", "toggle": {"rich_text": [], "children": paragraph("a") * 10}}
    ] * 100  # 100 toggles with 10 children each: 1,100 block elements
    message = error(page(api, notion, "nested", nested))[2]
    assert "body.children should be ≤ `1000` block elements, instead was `1100`" in message
    assert notion.pages() == []
    created = page(api, notion, "ok", nested[:90])  # 990 elements
    assert created.status_code == 200, created.text
    appended = api.patch(f"/v1/blocks/{created.json()['id']}/children", json={"children": big})
    assert error(appended)[:2] == (400, "validation_error")


def test_after_must_be_a_live_child_of_the_parent(notion: Notion, api: httpx.Client) -> None:
    first = page(api, notion, "first", paragraph("a") + paragraph("b")).json()
    other = page(api, notion, "other", paragraph("x")).json()
    kids = api.get(f"/v1/blocks/{first['id']}/children").json()["results"]
    foreign = api.get(f"/v1/blocks/{other['id']}/children").json()["results"][0]["id"]
    api.delete(f"/v1/blocks/{kids[0]['id']}")
    for after in (foreign, kids[0]["id"], "00000000-0000-0000-0000-000000000000"):
        body = {"children": paragraph("new"), "after": after}
        answer = api.patch(f"/v1/blocks/{first['id']}/children", json=body)
        status, code, message = error(answer)
        assert (status, code) == (400, "validation_error") and after in message
    assert [b["id"] for b in notion.fake.body(first["id"])] == [kids[1]["id"]]  # nothing added


def test_a_page_in_the_trash_cannot_be_edited_until_restored(
    notion: Notion, api: httpx.Client
) -> None:
    created = page(api, notion, "p", paragraph("a")).json()
    assert api.patch(f"/v1/pages/{created['id']}", json={"in_trash": True}).status_code == 200
    rename = {"properties": {"Name": {"title": [{"text": {"content": "new"}}]}}}
    append = {"children": paragraph("b")}
    for answer in (
        api.patch(f"/v1/pages/{created['id']}", json=rename),
        api.patch(f"/v1/blocks/{created['id']}/children", json=append),
    ):
        status, code, message = error(answer)
        assert (status, code) == (400, "validation_error") and "archived" in message
    restored = api.patch(f"/v1/pages/{created['id']}", json={"in_trash": False, **rename})
    assert restored.status_code == 200
    assert restored.json()["properties"]["Name"]["title"][0]["plain_text"] == "new"
    assert api.patch(f"/v1/blocks/{created['id']}/children", json=append).status_code == 200


def test_529_service_overload_on_demand(notion: Notion, api: httpx.Client) -> None:
    notion.fake.fail_next(529, retry_after=7)
    answer = api.get(f"/v1/databases/{notion.database_id}")
    assert error(answer)[:2] == (529, "service_overload")
    assert answer.headers["Retry-After"] == "7"
    assert api.get(f"/v1/databases/{notion.database_id}").status_code == 200


def test_children_list_append_after_and_delete(notion: Notion, api: httpx.Client) -> None:
    created = page(api, notion, "p", [b for n in range(3) for b in paragraph(f"b{n}")]).json()
    kids = api.get(f"/v1/blocks/{created['id']}/children").json()["results"]
    inserted = api.patch(
        f"/v1/blocks/{created['id']}/children",
        json={"children": paragraph("new"), "after": kids[0]["id"]},
    )
    assert inserted.json()["results"][0]["paragraph"]["rich_text"][0]["plain_text"] == "new"
    deleted = api.delete(f"/v1/blocks/{kids[2]['id']}").json()
    assert deleted["archived"] and deleted["in_trash"]
    again = api.delete(f"/v1/blocks/{kids[2]['id']}")
    assert error(again)[:2] == (400, "validation_error")
    listed = api.get(f"/v1/blocks/{created['id']}/children?page_size=2").json()
    assert listed["has_more"] and listed["next_cursor"]
    rest = api.get(
        f"/v1/blocks/{created['id']}/children?page_size=2&start_cursor={listed['next_cursor']}"
    ).json()
    texts = [
        b["paragraph"]["rich_text"][0]["plain_text"] for b in listed["results"] + rest["results"]
    ]
    assert texts == ["b0", "new", "b1"] and not rest["has_more"]


def test_query_filters_and_paginates(notion: Notion, api: httpx.Client) -> None:
    for n in range(5):
        page(api, notion, f"brief:{n}")
    url = f"/v1/data_sources/{notion.source_id}/query"
    found = api.post(
        url, json={"filter": {"property": "marketloop_id", "rich_text": {"equals": "brief:3"}}}
    ).json()
    assert [
        r["properties"]["marketloop_id"]["rich_text"][0]["plain_text"] for r in found["results"]
    ] == ["brief:3"]
    assert found["object"] == "list" and found["type"] == "page_or_data_source"
    first = api.post(url, json={"page_size": 2}).json()
    second = api.post(url, json={"page_size": 2, "start_cursor": first["next_cursor"]}).json()
    assert len(first["results"]) == len(second["results"]) == 2 and second["has_more"]
    assert error(api.post(url, json={"page_size": 101}))[:2] == (400, "validation_error")
    assert (
        "Could not find property"
        in error(
            api.post(url, json={"filter": {"property": "Nope", "rich_text": {"equals": "x"}}})
        )[2]
    )
    assert error(api.post(url, json={"start_cursor": "bogus"}))[:2] == (400, "validation_error")


def test_rate_limit_answers_429_with_retry_after(notion: Notion, api: httpx.Client) -> None:
    notion.fake.knobs.rate, notion.fake.knobs.burst = 3.0, 3
    answers = [api.get(f"/v1/databases/{notion.database_id}") for _ in range(5)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    limited = answers[3]
    assert error(limited)[:2] == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert error(api.post("/v1/pages", content=b"{not json"))[:2] in {
        (400, "invalid_json"),
        (429, "rate_limited"),
    }
