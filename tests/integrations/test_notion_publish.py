"""Publishing briefs as Notion pages: properties, body, idempotency, partial failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from marketloop.content.brief import Brief
from marketloop.integrations.blocks import plain_text
from marketloop.integrations.brief_page import brief_blocks
from marketloop.integrations.config import NotionSettings
from marketloop.integrations.errors import NotionError
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.notion_publish import NotionPublisher

from .conftest import Notion, long_draft, make_brief


@pytest.fixture
def publisher(notion: Notion) -> Iterator[NotionPublisher]:
    settings = NotionSettings(
        database_id=notion.database_id, base_url=notion.url, rate=1000, burst=100, backoff=0.01
    )
    with NotionClient(settings, notion.fake.token, sleep=lambda _: None) as client:
        yield NotionPublisher(client, sleep=lambda _: None)


def texts(notion: Notion, page_id: str) -> list[str]:
    return [f"{b['type']}: {plain_text(b)}" for b in notion.fake.body(page_id)]


def expected(brief: Brief, draft: str | None = None) -> list[str]:
    return [f"{b['type']}: {plain_text(b)}" for b in brief_blocks(brief, draft)]


def value(page: dict[str, Any], name: str) -> Any:
    prop = page["properties"][name]
    raw = prop[prop["type"]]
    if prop["type"] in {"title", "rich_text"}:
        return "".join(t["plain_text"] for t in raw)
    if prop["type"] in {"select", "status"}:
        return raw and raw["name"]
    if prop["type"] == "people":
        return [p["id"] for p in raw]
    return raw


def test_a_brief_becomes_a_page_with_properties_and_body(
    notion: Notion, publisher: NotionPublisher
) -> None:
    brief = make_brief()
    result = publisher.publish(brief, "# Draft\n\nSome **draft** text.")
    [page] = notion.pages()
    assert result.created and result.page_id == page["id"] and result.url == page["url"]
    assert value(page, "Name") == "CRM software: a buyer's guide"
    assert value(page, "Cluster") == "crm software"
    assert value(page, "Intent") == "commercial"
    assert value(page, "Opportunity") == 6.25
    assert value(page, "Status") == "Ready"
    ada = next(u["id"] for u in notion.fake.users if u["person"]["email"] == "ada@example.com")
    assert value(page, "Owner") == [ada]
    assert value(page, "marketloop_id") == "brief:crm-software"
    body = texts(notion, page["id"])
    assert body == expected(brief, "# Draft\n\nSome **draft** text.")
    for line in (
        "heading_2: What a CRM does",
        "callout: Call to action: Book a demo",
        "heading_1: Draft",
    ):
        assert line in body


def test_a_consolidation_brief_names_its_target_and_the_pages_to_merge(
    notion: Notion, publisher: NotionPublisher
) -> None:
    target, other = "https://acme.test/crm/", "https://acme.test/blog/what-is-crm/"
    brief = make_brief(action="consolidate", target_url=target, existing_pages=[target, other])
    publisher.publish(brief)
    [page] = notion.pages()
    [heading, action, merged] = notion.fake.body(page["id"])[:3]
    assert plain_text(heading) == "Summary"
    assert plain_text(action) == f"Action: merge the pages splitting this cluster into {target}"
    assert action["paragraph"]["rich_text"][-1]["text"]["link"] == {"url": target}
    assert plain_text(merged) == other
    new_page = [plain_text(b) for b in brief_blocks(make_brief())]
    assert new_page[:3] == ["Summary", "Action: write a new page", f"H1: {make_brief().h1}"]


def test_republishing_updates_the_same_page(notion: Notion, publisher: NotionPublisher) -> None:
    publisher.publish(make_brief())
    writes = len(notion.writes())
    result = publisher.publish(make_brief())
    assert len(notion.pages()) == 1 and not result.created
    assert (result.kept, result.written, result.deleted) == (result.blocks, 0, 0)
    assert len(notion.writes()) == writes + 1  # only the properties were patched

    changed = make_brief(cluster="crm tools", call_to_action="Start a trial")
    result = publisher.publish(changed)
    [page] = notion.pages()
    assert value(page, "Cluster") == "crm tools"
    assert texts(notion, page["id"]) == expected(changed)
    assert result.written == result.deleted == 1  # only the callout changed


def test_republishing_keeps_the_status_and_owner_editors_set(
    notion: Notion, publisher: NotionPublisher
) -> None:
    publisher.publish(make_brief())
    [page] = notion.pages()
    grace = next(u["id"] for u in notion.fake.users if u["person"]["email"] == "grace@example.com")
    edit = {"Status": {"status": {"name": "Published"}}, "Owner": {"people": [{"id": grace}]}}
    notion.fake.update_page(page["id"], {"properties": edit})  # what an editor does in Notion

    publisher.publish(make_brief(cluster="crm tools", status="draft", owner="nobody@example.com"))
    [page] = notion.pages()
    assert value(page, "Cluster") == "crm tools"  # the brief's own columns are updated
    assert (value(page, "Status"), value(page, "Owner")) == ("Published", [grace])


def test_create_only_can_be_emptied_to_overwrite_status_and_owner(notion: Notion) -> None:
    settings = NotionSettings(
        database_id=notion.database_id, base_url=notion.url, rate=1000, burst=100, create_only=[]
    )
    with NotionClient(settings, notion.fake.token) as client:
        publisher = NotionPublisher(client)
        publisher.publish(make_brief())
        publisher.publish(make_brief(status="draft", owner="grace@example.com"))
    [page] = notion.pages()
    grace = next(u["id"] for u in notion.fake.users if u["person"]["email"] == "grace@example.com")
    assert (value(page, "Status"), value(page, "Owner")) == ("Draft", [grace])


@pytest.mark.parametrize(
    ("names", "text"),
    [(["stage"], "unknown field(s) stage"), (["marketloop_id"], "pages are found by it")],
)
def test_create_only_names_brief_fields(names: list[str], text: str) -> None:
    with pytest.raises(ValueError, match=text.replace("(", r"\(").replace(")", r"\)")):
        NotionSettings(create_only=names)


def test_a_long_brief_is_one_create_and_appends_of_100(
    notion: Notion, publisher: NotionPublisher
) -> None:
    brief, draft = make_brief(), long_draft(40)
    total = len(brief_blocks(brief, draft))
    assert total > 200
    result = publisher.publish(brief, draft)
    writes = notion.writes()
    assert writes[0] == ("POST", "/v1/pages")
    appends = [w for w in writes[1:] if w[0] == "PATCH"]
    assert len(appends) == -(-(total - 100) // 100)  # ceil
    assert texts(notion, result.page_id) == expected(brief, draft)


def test_a_body_over_500_kb_is_sent_in_requests_notion_accepts(
    notion: Notion, publisher: NotionPublisher
) -> None:
    draft = "\n\n".join(f"Part {n} " + "x" * 20_000 for n in range(40))  # ~800 KB of text
    brief = make_brief()
    result = publisher.publish(brief, draft)
    [page] = notion.pages()
    assert result.created and not result.rejected
    assert texts(notion, page["id"]) == expected(brief, draft)
    appends = [w for w in notion.writes() if w[0] == "PATCH" and w[1].endswith("/children")]
    assert appends  # fewer than 100 blocks, yet more than one request


def test_a_rejected_block_is_reported_by_index_and_the_rest_is_kept(
    notion: Notion, publisher: NotionPublisher
) -> None:
    brief, draft = make_brief(), long_draft(40) + "\n\nThe poison paragraph.\n\n" + long_draft(3)
    body = expected(brief, draft)
    index = body.index("paragraph: The poison paragraph.")
    assert index > 100  # in an append, not in the create
    notion.fake.knobs.reject_text = "poison"
    result = publisher.publish(brief, draft)
    assert [r.index for r in result.rejected] == [index]
    assert "validation_error" in result.rejected[0].message
    assert texts(notion, result.page_id) == body[:index] + body[index + 1 :]

    notion.fake.knobs.reject_text = None  # fixed on Notion's side: the next run fills the gap
    writes = len(notion.writes())
    again = publisher.publish(brief, draft)
    assert not again.rejected and again.written == 1 and again.deleted == 0
    assert texts(notion, result.page_id) == body
    assert len(notion.writes()) == writes + 2  # properties + one insert


def test_a_rejected_block_in_the_create_call(notion: Notion, publisher: NotionPublisher) -> None:
    notion.fake.knobs.reject_text = "Book a demo"
    result = publisher.publish(make_brief())
    body = expected(make_brief())
    index = body.index("callout: Call to action: Book a demo")
    assert [r.index for r in result.rejected] == [index]
    assert texts(notion, result.page_id) == body[:index] + body[index + 1 :]


def test_a_run_that_failed_half_way_continues_without_duplicates(
    notion: Notion, publisher: NotionPublisher
) -> None:
    brief, draft = make_brief(), long_draft(60)
    notion.fake.fail_next(503, "/v1/blocks/", method="PATCH", skip=1)  # the 2nd append fails,
    for _ in range(2):  # and again after each of the publisher's re-reads: it gives up
        notion.fake.fail_next(503, "/v1/blocks/", method="PATCH")
    with pytest.raises(NotionError):
        publisher.publish(brief, draft)
    [page] = notion.pages()
    done = len(notion.fake.body(page["id"]))
    assert 100 < done < len(expected(brief, draft))

    result = publisher.publish(brief, draft)
    assert len(notion.pages()) == 1
    assert result.kept == done and result.deleted == 0
    assert texts(notion, page["id"]) == expected(brief, draft)


def test_a_create_that_landed_despite_an_error_is_not_duplicated(
    notion: Notion, publisher: NotionPublisher
) -> None:
    notion.fake.fail_next(500, "/v1/pages", method="POST", after_write=True)
    result = publisher.publish(make_brief(), long_draft(30))
    assert len(notion.pages()) == 1 and not result.created
    assert texts(notion, result.page_id) == expected(make_brief(), long_draft(30))


def test_an_append_that_landed_despite_an_error_is_not_duplicated(
    notion: Notion, publisher: NotionPublisher
) -> None:
    notion.fake.fail_next(502, "/v1/blocks/", method="PATCH", after_write=True)
    result = publisher.publish(make_brief(), long_draft(30))
    assert texts(notion, result.page_id) == expected(make_brief(), long_draft(30))


def test_a_database_that_does_not_fit_is_refused_before_writing(notion: Notion) -> None:
    _, source = notion.fake.add_database(
        "Other", {"Title": "title", "Status": ("status", ["Todo"])}
    )
    settings = NotionSettings(data_source_id=source, base_url=notion.url, rate=1000, burst=100)
    with NotionClient(settings, notion.fake.token) as client, pytest.raises(NotionError) as info:
        NotionPublisher(client).publish(make_brief())
    message = str(info.value)
    for missing in ("'Name'", "'Cluster'", "'marketloop_id'", "'Ready'", "notion setup"):
        assert missing in message
    assert notion.writes() == []


def test_several_data_sources_need_a_choice(notion: Notion) -> None:
    database, _ = notion.fake.add_database("Multi", {"Name": "title"}, sources=2)
    settings = NotionSettings(database_id=database, base_url=notion.url, rate=1000, burst=100)
    with (
        NotionClient(settings, notion.fake.token) as client,
        pytest.raises(NotionError, match="2 data sources"),
    ):
        NotionPublisher(client).prepare()


def test_columns_can_be_mapped_and_left_out(notion: Notion) -> None:
    _, source = notion.fake.add_database(
        "Mapped", {"Title": "title", "Key": "rich_text", "Stage": "select", "Assignee": "rich_text"}
    )
    properties = {
        "title": "Title",
        "marketloop_id": "Key",
        "status": "Stage",
        "owner": "Assignee",
        "cluster": "",
        "intent": "",
        "opportunity": "",
    }
    settings = NotionSettings.model_validate(
        {
            "data_source_id": source,
            "base_url": notion.url,
            "rate": 1000,
            "burst": 100,
            "properties": properties,
        }
    )
    with NotionClient(settings, notion.fake.token) as client:
        NotionPublisher(client).publish(make_brief(owner="Grace"))
    [page] = notion.fake.pages_in(source)
    assert (
        value(page, "Stage") == "Ready"
        and value(page, "Assignee") == "Grace"
        and value(page, "Key") == "brief:crm-software"
    )


def test_an_unknown_owner_is_left_empty_with_a_note(
    notion: Notion, publisher: NotionPublisher
) -> None:
    result = publisher.publish(make_brief(owner="nobody@example.com"))
    assert value(notion.pages()[0], "Owner") == []
    assert any("nobody@example.com" in note for note in result.notes)
