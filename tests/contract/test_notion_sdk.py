"""notion-client (the official SDK) against the Notion fake: the calls marketloop makes
(databases, data sources, query, pages, block children, users) and their neighbours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from notion_client import APIErrorCode, APIResponseError, Client
from notion_client.helpers import collect_paginated_api
from tests.contract.contract import Served
from tests.contract.services import notion_sdk

from marketloop.fakes.notion import NotionFake

HOSTILE = '<script>alert(1)</script> "\'& [/red] =HYPERLINK("x")'


@pytest.fixture
def sdk(notion: Served) -> Iterator[Client]:
    client = notion_sdk(notion, notion.token)
    yield client
    client.close()


@pytest.fixture
def source_id(notion: Served) -> str:
    fake: NotionFake = notion.fake
    return next(iter(fake.sources))


def text(value: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": value}}]


def paragraph(value: str, **extra: Any) -> dict[str, Any]:
    return {
        "object": "block",
        "type": "paragraph",
        "paragraph": {"rich_text": text(value), **extra},
    }


def make_page(sdk: Client, source_id: str, name: str, **props: Any) -> dict[str, Any]:
    properties = {"Name": {"title": text(name)}} | props
    parent = {"type": "data_source_id", "data_source_id": source_id}
    page: dict[str, Any] = sdk.pages.create(parent=parent, properties=properties)
    return page


def code_of(exc: APIResponseError) -> str:
    return str(exc.code.value if isinstance(exc.code, APIErrorCode) else exc.code)


def test_database_and_data_source_read_back(sdk: Client, notion: Served, source_id: str) -> None:
    database_id = next(iter(notion.fake.databases))
    database = sdk.databases.retrieve(database_id=database_id.replace("-", ""))  # undashed too
    assert database["object"] == "database"
    assert [s["id"] for s in database["data_sources"]] == [source_id]
    source = sdk.data_sources.retrieve(data_source_id=source_id)
    assert source["properties"]["Status"]["type"] == "status"
    assert source["created_by"]["id"] == sdk.users.me()["id"]


def test_nested_children_are_child_blocks(sdk: Client, source_id: str) -> None:
    toggle = {
        "type": "toggle",
        "toggle": {
            "rich_text": text("More"),
            "children": [paragraph("inside"), paragraph(HOSTILE)],
        },
    }
    page = make_page(sdk, source_id, "Nested")
    sdk.blocks.children.append(block_id=page["id"], children=[paragraph("top"), toggle])
    top = sdk.blocks.children.list(block_id=page["id"])["results"]
    assert [b["type"] for b in top] == ["paragraph", "toggle"]
    assert [b["has_children"] for b in top] == [False, True]
    assert "children" not in top[1]["toggle"]  # stored as blocks, not inline
    inner = sdk.blocks.children.list(block_id=top[1]["id"])["results"]
    assert [b[b["type"]]["rich_text"][0]["plain_text"] for b in inner] == ["inside", HOSTILE]
    assert inner[0]["parent"] == {"type": "block_id", "block_id": top[1]["id"]}
    retrieved = sdk.blocks.retrieve(block_id=top[1]["id"])
    assert retrieved["has_children"] is True
    for block in inner:
        sdk.blocks.delete(block_id=block["id"])
    assert sdk.blocks.retrieve(block_id=top[1]["id"])["has_children"] is False


def test_append_honours_position(sdk: Client, source_id: str) -> None:
    page_id = make_page(sdk, source_id, "Positions")["id"]

    def names() -> list[str]:
        found = collect_paginated_api(sdk.blocks.children.list, block_id=page_id)
        return [b["paragraph"]["rich_text"][0]["plain_text"] for b in found]

    first = sdk.blocks.children.append(block_id=page_id, children=[paragraph("b")])["results"]
    sdk.blocks.children.append(
        block_id=page_id, children=[paragraph("a")], position={"type": "start"}
    )
    sdk.blocks.children.append(
        block_id=page_id, children=[paragraph("z")], position={"type": "end"}
    )
    after_b = {"type": "after_block", "after_block": {"id": first[0]["id"]}}
    sdk.blocks.children.append(block_id=page_id, children=[paragraph("c")], position=after_b)
    assert names() == ["a", "b", "c", "z"]
    sdk.blocks.children.append(block_id=page_id, children=[paragraph("b2")], after=first[0]["id"])
    assert names() == ["a", "b", "b2", "c", "z"]
    with pytest.raises(APIResponseError) as caught:
        sdk.blocks.children.append(
            block_id=page_id, children=[paragraph("x")], position={"type": "middle"}
        )
    assert caught.value.status == 400 and code_of(caught.value) == "validation_error"
    assert "position" in str(caught.value)


def test_query_filters_sorts_and_filter_properties(sdk: Client, source_id: str) -> None:
    for name, score in [("beta", 3), ("alpha", 9), ("gamma", None), ("delta", 5)]:
        make_page(sdk, source_id, name, Opportunity={"number": score})
    query = sdk.data_sources.query
    sort = [{"property": "Opportunity", "direction": "descending"}]
    ranked = query(data_source_id=source_id, sorts=sort)["results"]
    titles = [p["properties"]["Name"]["title"][0]["plain_text"] for p in ranked]
    assert titles == ["alpha", "delta", "beta", "gamma"]  # empty values last
    by_name = query(
        data_source_id=source_id, sorts=[{"property": "Name", "direction": "ascending"}]
    )
    assert [p["properties"]["Name"]["title"][0]["plain_text"] for p in by_name["results"]] == [
        "alpha", "beta", "delta", "gamma",
    ]  # fmt: skip
    newest = query(
        data_source_id=source_id, sorts=[{"timestamp": "created_time", "direction": "descending"}]
    )
    assert len(newest["results"]) == 4
    flt = {"property": "Opportunity", "number": {"greater_than_or_equal_to": 5}}
    thin = query(data_source_id=source_id, filter=flt, filter_properties=["title"])
    assert len(thin["results"]) == 2
    assert [list(p["properties"]) for p in thin["results"]] == [["Name"], ["Name"]]
    paged = collect_paginated_api(query, data_source_id=source_id, page_size=1)
    assert len(paged) == 4


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"filter": {"property": "Name", "title": {"matches_regex": "a.*"}}}, "matches_regex"),
        ({"sorts": [{"property": "Nope", "direction": "ascending"}]}, "Nope"),
        ({"sorts": [{"property": "Name", "direction": "up"}]}, "direction"),
        ({"filter": {"timestamp": "created_time", "created_time": {"past_week": {}}}}, "timestamp"),
        ({"in_trash": True}, "in_trash"),
        ({"filter_properties": ["nope"]}, "nope"),
    ],
)
def test_query_refuses_what_it_does_not_implement(
    sdk: Client, source_id: str, kwargs: dict[str, Any], named: str
) -> None:
    with pytest.raises(APIResponseError) as caught:
        sdk.data_sources.query(data_source_id=source_id, **kwargs)
    assert caught.value.status == 400 and code_of(caught.value) == "validation_error"
    assert named in str(caught.value)


def test_pages_update_trash_and_authorship(sdk: Client, source_id: str) -> None:
    me = sdk.users.me()
    assert me["type"] == "bot" and me in sdk.users.list()["results"]
    assert sdk.users.retrieve(user_id=me["id"])["name"] == me["name"]
    page = make_page(sdk, source_id, "Draft")
    assert page["created_by"] == page["last_edited_by"] == {"object": "user", "id": me["id"]}
    status = {"Status": {"status": {"name": "Ready"}}}
    updated = sdk.pages.update(page_id=page["id"], properties=status)
    assert updated["properties"]["Status"]["status"]["name"] == "Ready"
    sdk.pages.update(page_id=page["id"], in_trash=True)
    with pytest.raises(APIResponseError) as caught:
        sdk.pages.update(page_id=page["id"], properties=status)
    assert code_of(caught.value) == "validation_error" and "archived" in str(caught.value)
    assert sdk.pages.retrieve(page_id=page["id"])["in_trash"] is True
    other = make_page(sdk, source_id, "Deleted as a block")
    deleted = sdk.blocks.delete(block_id=other["id"])  # a page is a block too
    assert (deleted["type"], deleted["in_trash"]) == ("child_page", True)
    assert deleted["child_page"] == {"title": "Deleted as a block"}
    assert sdk.pages.retrieve(page_id=other["id"])["in_trash"] is True


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda sdk, page: sdk.search(query="briefs"), "search"),
        (lambda sdk, page: sdk.blocks.update(block_id=page, paragraph={}), "blocks.update"),
        (
            lambda sdk, page: sdk.pages.properties.retrieve(page_id=page, property_id="title"),
            "pages.properties.retrieve",
        ),
        (lambda sdk, page: sdk.comments.list(block_id=page), "comments.list"),
    ],
)
def test_endpoints_the_fake_does_not_serve_are_notions_invalid_request(
    sdk: Client, source_id: str, call: Any, name: str
) -> None:
    page_id = make_page(sdk, source_id, "x")["id"]
    with pytest.raises(APIResponseError) as caught:
        call(sdk, page_id)
    assert (caught.value.status, code_of(caught.value)) == (400, "invalid_request")
    assert str(caught.value) == f"Unsupported request: {name}."


def test_missing_and_malformed_ids(sdk: Client) -> None:
    with pytest.raises(APIResponseError) as caught:
        sdk.pages.retrieve(page_id="0b5c3e2a-7d1f-4f5e-9a61-3c2b1d0e9f87")
    assert (caught.value.status, code_of(caught.value)) == (404, "object_not_found")
    with pytest.raises(APIResponseError) as caught:
        sdk.blocks.children.list(block_id="not-an-id")
    assert (caught.value.status, code_of(caught.value)) == (400, "validation_error")


def test_server_errors_are_retried_only_where_the_sdk_says(
    sdk: Client, notion: Served, source_id: str
) -> None:
    fake: NotionFake = notion.fake
    fake.fail_next(500, "/v1/users", method="GET")
    assert sdk.users.list()["object"] == "list"  # GET: retried
    fake.fail_next(500, "/v1/pages", method="POST")
    with pytest.raises(APIResponseError) as caught:
        make_page(sdk, source_id, "once")  # POST: not retried, the error surfaces
    assert (caught.value.status, code_of(caught.value)) == (500, "internal_server_error")
    assert fake.pages_in(source_id) == []


def test_sustained_rate_limit_ends_in_the_sdks_rate_limited_error(notion: Served) -> None:
    fake: NotionFake = notion.fake
    for _ in range(3):
        fake.fail_next(429, retry_after=1)
    client = notion_sdk(notion, notion.token)  # two retries, then the 429 surfaces
    with pytest.raises(APIResponseError) as caught:
        client.users.list()
    client.close()
    assert (caught.value.status, code_of(caught.value)) == (429, "rate_limited")
    assert caught.value.headers["retry-after"] == "1"


def test_three_levels_of_nesting_in_one_request_are_refused(sdk: Client, source_id: str) -> None:
    page_id = make_page(sdk, source_id, "Deep")["id"]

    def toggle(*children: dict[str, Any]) -> dict[str, Any]:
        return {"type": "toggle", "toggle": {"rich_text": text("t"), "children": list(children)}}

    two = toggle(toggle(paragraph("level 2")))
    assert sdk.blocks.children.append(block_id=page_id, children=[two])["results"]
    with pytest.raises(APIResponseError) as caught:
        sdk.blocks.children.append(block_id=page_id, children=[toggle(two)])
    assert code_of(caught.value) == "validation_error" and "nesting" in str(caught.value)


def test_icon_and_cover_are_kept_and_unserved_keys_refused(sdk: Client, source_id: str) -> None:
    parent = {"type": "data_source_id", "data_source_id": source_id}
    icon = {"type": "emoji", "emoji": "🎯"}
    cover = {"type": "external", "external": {"url": "https://example.com/c.png"}}
    page = sdk.pages.create(
        parent=parent, properties={"Name": {"title": text("Looks")}}, icon=icon, cover=cover
    )
    assert (page["icon"], page["cover"]) == (icon, cover)
    assert sdk.pages.update(page_id=page["id"], icon=None)["icon"] is None
    for call, key in [
        (lambda: sdk.pages.update(page_id=page["id"], is_locked=True), "is_locked"),
        (
            lambda: sdk.pages.create(parent=parent, properties={}, template={"type": "default"}),
            "template",
        ),
        (lambda: sdk.data_sources.update(data_source_id=source_id, title=text("x")), "title"),
        (lambda: sdk.pages.update(page_id=page["id"], cover={"type": "file_upload"}), "cover"),
    ]:
        with pytest.raises(APIResponseError) as caught:
            call()
        assert code_of(caught.value) == "validation_error" and key in str(caught.value)
