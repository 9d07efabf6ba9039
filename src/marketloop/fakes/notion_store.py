"""The fake Notion's state in memory, and the operations the routes of `fakes/notion.py` call.

Objects are shaped like the API's (2025-09-03): a database lists its `data_sources`; a data
source holds the property schema; pages have `parent.data_source_id`; blocks have `parent`,
`archived`/`in_trash`. Operations raise `NotionStoreError(status, code, message)`.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

from marketloop.fakes import notion_filter as filters
from marketloop.fakes import notion_objects as objects
from marketloop.fakes import notion_query as query
from marketloop.fakes import notion_rules as rules
from marketloop.fakes.notion_rules import NotionStoreError, invalid

__all__ = ["NotionStore", "NotionStoreError", "invalid"]

Json = dict[str, Any]
NOT_SHARED = "Make sure the relevant pages and databases are shared with your integration."
ARCHIVED = "Can't edit block that is archived. You must unarchive the block before editing."


class NotionStore:
    def __init__(self) -> None:
        self.databases: dict[str, Json] = {}
        self.sources: dict[str, Json] = {}
        self.pages: dict[str, Json] = {}
        self.blocks: dict[str, Json] = {}
        self.kids: dict[str, list[str]] = defaultdict(list)  # parent id -> child block ids
        self.unshared: set[str] = set()  # database ids the integration cannot see
        self.bot = objects.bot("marketloop")  # the integration the token belongs to (`users.me`)
        self.users = [
            objects.person("Ada Lovelace", "ada@example.com"),
            objects.person("Grace Hopper", "grace@example.com"),
            self.bot,
        ]

    # --- set-up and inspection (tests, demo) ---------------------------------------------------

    def add_database(
        self, title: str, schema: dict[str, str | tuple[str, list[str]]], *, sources: int = 1
    ) -> tuple[str, str]:
        """A database with `sources` data sources of `schema`: (database id, first source id)."""
        database_id = str(uuid.uuid4())
        ids = [str(uuid.uuid4()) for _ in range(sources)]
        names = [f"{title} {n + 1}" if n else title for n in range(sources)]
        self.databases[database_id] = {
            "object": "database", "id": database_id, "title": objects.rich(title),
            "parent": {"type": "workspace", "workspace": True}, "is_inline": False,
            "in_trash": False, **self._stamps(),
            "data_sources": [{"id": i, "name": n} for i, n in zip(ids, names, strict=True)],
            "url": f"https://www.notion.so/{database_id.replace('-', '')}",
        }  # fmt: skip
        for source_id in ids:
            columns = {name: objects.column(name, spec) for name, spec in schema.items()}
            self.sources[source_id] = {
                "object": "data_source", "id": source_id, "title": objects.rich(title),
                "parent": {"type": "database_id", "database_id": database_id},
                "properties": columns, **self._stamps(),
            }  # fmt: skip
        return database_id, ids[0]

    def pages_in(self, data_source_id: str) -> list[Json]:
        return [
            p for p in self.pages.values() if _source_of(p) == data_source_id and not p["in_trash"]
        ]

    def body(self, page_id: str) -> list[Json]:
        return self.live_children(page_id)

    # --- operations ---------------------------------------------------------------------------

    def database(self, database_id: str) -> Json:
        found = self.databases.get(database_id)
        if found is None or database_id in self.unshared:
            raise _missing("database", database_id)
        return found

    def data_source(self, source_id: str) -> Json:
        found = self.sources.get(source_id)
        if found is None or found["parent"]["database_id"] in self.unshared:
            raise _missing("data source", source_id)
        return found

    def add_columns(self, source_id: str, body: Json) -> Json:
        self._check(rules.check_keys("data_sources.update", body))
        source, properties = self.data_source(source_id), body.get("properties", {})
        for name, config in properties.items():
            kind = next(iter(config), None) if isinstance(config, dict) else None
            if kind == "status":
                raise invalid("Creating new status database properties is currently not supported.")
            if kind not in rules.PROPERTY_TYPES:
                raise invalid(rules.failed(f"body.properties.{name}", "a property schema", kind))
            source["properties"][name] = objects.column(
                name, (kind, [o["name"] for o in config[kind].get("options", [])])
            )
        return source

    def query(self, source_id: str, body: Json, wanted: list[str]) -> list[Json]:
        """The pages a query body selects, sorted, with only the `wanted` properties."""
        schema = self.data_source(source_id)["properties"]
        query.check_body(body)
        self._check(filters.check_filter(body.get("filter"), schema))
        sorts = query.check_sorts(body.get("sorts"), schema)
        found = [p for p in self.pages_in(source_id) if filters.matches(p, body.get("filter"))]
        return query.only_properties(query.sort_pages(found, sorts), wanted, schema)

    def create_page(self, body: Json) -> Json:
        self._check(rules.check_keys("pages.create", body))
        parent = body.get("parent") or {}
        source_id = parent.get("data_source_id")
        if source_id is None:
            raise invalid(rules.failed("body.parent.data_source_id", "defined", "undefined"))
        source = self.data_source(source_id)
        values = body.get("properties", {})
        self._check(rules.check_properties(values, source["properties"], users=self._user_ids()))
        children = body.get("children", [])
        self._check(rules.check_children(children))
        page_id = str(uuid.uuid4())
        page = {
            "object": "page", "id": page_id, **self._stamps(),
            "parent": {"type": "data_source_id", "data_source_id": source_id,
                       "database_id": source["parent"]["database_id"]},
            "archived": False, "in_trash": False, "icon": None, "cover": None, "public_url": None,
            "properties": {n: objects.empty(c) for n, c in source["properties"].items()},
        }  # fmt: skip
        self._set_values(page, values, source)
        self._set_looks(page, body)
        self.pages[page_id] = page
        self._add_blocks(page_id, children, 0)
        return page

    def page(self, page_id: str) -> Json:
        page = self.pages.get(page_id)
        if page is None or self.sources[_source_of(page)]["parent"]["database_id"] in self.unshared:
            raise _missing("page", page_id)
        return page

    def block(self, block_id: str) -> Json:
        """A block (archived ones too, as Notion answers); a page id answers its child_page."""
        if block_id in self.pages:
            page = self.page(block_id)
            title: Json = next((v for v in page["properties"].values() if v["type"] == "title"), {})
            words = "".join(t["plain_text"] for t in title.get("title", []))
            return {
                **{k: page[k] for k in ("id", "parent", "created_time", "last_edited_time")},
                **{k: page[k] for k in ("created_by", "last_edited_by", "archived", "in_trash")},
                "object": "block", "type": "child_page", "child_page": {"title": words},
                "has_children": bool(self.live_children(block_id)),
            }  # fmt: skip
        found = self.blocks.get(block_id)
        if found is None:
            raise _missing("block", block_id)
        return found

    def update_page(self, page_id: str, body: Json) -> Json:
        self._check(rules.check_keys("pages.update", body))
        page = self.page(page_id)
        source = self.sources[_source_of(page)]
        values = body.get("properties", {})
        restores = body.get("in_trash") is False or body.get("archived") is False
        if page["in_trash"] and values and not restores:
            raise invalid(ARCHIVED)  # a page in the trash is edited only after restoring it
        self._check(rules.check_properties(values, source["properties"], users=self._user_ids()))
        self._set_values(page, values, source)
        self._set_looks(page, body)
        for flag in ("in_trash", "archived"):
            if flag in body:
                page["in_trash"] = page["archived"] = bool(body[flag])
        page["last_edited_time"] = objects.now()
        page["last_edited_by"] = {"object": "user", "id": self.bot["id"]}
        return page

    def live_children(self, parent_id: str) -> list[Json]:
        self._parent(parent_id)
        return [self.blocks[i] for i in self.kids[parent_id] if not self.blocks[i]["in_trash"]]

    def append(self, parent_id: str, children: Any, after: str | None, position: Any) -> list[Json]:
        """Add `children` at the end of `parent_id`, or where `position` (or the deprecated
        `after`) says: `{"type": "start"}`, `{"type": "end"}`, `{"type": "after_block",
        "after_block": {"id": ...}}`."""
        self._parent(parent_id)
        if parent_id in self.pages and self.pages[parent_id]["in_trash"]:
            raise invalid(ARCHIVED)
        self._check(rules.check_children(children))
        siblings = self.kids[parent_id]
        if after is not None and position is not None:
            raise invalid("body failed validation: `after` and `position` cannot both be set.")
        if after is not None:
            position = {"type": "after_block", "after_block": {"id": after}}
        kind = position.get("type") if isinstance(position, dict) else position
        if position is None or kind == "end":
            return self._add_blocks(parent_id, children, len(siblings))
        if kind == "start":
            return self._add_blocks(parent_id, children, 0)
        target = (position.get("after_block") or {}).get("id") if kind == "after_block" else None
        if target is None:
            raise invalid(
                rules.failed("body.position.type", "`start`, `end` or `after_block`", kind)
            )
        live = {block["id"] for block in self.live_children(parent_id)}
        if str(target) not in live:
            raise invalid(  # Notion documents the rule, not the wording: this one is the fake's
                f"body failed validation: body.position.after_block.id should be the ID of a "
                f"block that is a child of {parent_id}, instead was `{target}`."
            )
        return self._add_blocks(parent_id, children, siblings.index(str(target)) + 1)

    def archive(self, block_id: str) -> Json:
        """Move a block to the trash; a page id moves the page there (as Notion's blocks.delete)."""
        if block_id in self.pages:
            if self.page(block_id)["in_trash"]:
                raise invalid(ARCHIVED)
            self.update_page(block_id, {"in_trash": True})
            return self.block(block_id)
        block = self.blocks.get(block_id)
        if block is None:
            raise _missing("block", block_id)
        if block["in_trash"]:
            raise invalid(ARCHIVED)
        block["in_trash"] = block["archived"] = True
        parent = block["parent"].get("block_id")
        if parent is not None:  # a block whose last child is deleted has no children left
            self.blocks[parent]["has_children"] = bool(self.live_children(parent))
        return block

    # --- helpers ------------------------------------------------------------------------------

    def _parent(self, parent_id: str) -> None:
        if parent_id in self.pages:
            self.page(parent_id)
        elif parent_id not in self.blocks or self.blocks[parent_id]["in_trash"]:
            raise _missing("block", parent_id)

    def _add_blocks(self, parent_id: str, children: list[Json], at: int) -> list[Json]:
        """Store `children` under `parent_id` from index `at`; children nested in a block's
        body become that block's own child blocks (`has_children`), as Notion stores them."""
        parent = {"type": "page_id", "page_id": parent_id} if parent_id in self.pages else {
            "type": "block_id", "block_id": parent_id}  # fmt: skip
        added = []
        for child in children:
            block = objects.block(child, parent, self._stamps())
            nested = block[block["type"]].pop("children", [])
            self.blocks[block["id"]] = block
            self._add_blocks(block["id"], nested, 0)
            added.append(block)
        self.kids[parent_id][at:at] = [block["id"] for block in added]
        if parent_id in self.blocks and added:
            self.blocks[parent_id]["has_children"] = True
        return added

    def _stamps(self) -> Json:
        now, me = objects.now(), {"object": "user", "id": self.bot["id"]}
        return {"created_time": now, "last_edited_time": now, "created_by": me,
                "last_edited_by": me}  # fmt: skip

    def _set_values(self, page: Json, values: Json, source: Json) -> None:
        for name, value in values.items():
            column = source["properties"][name]
            kind = column["type"]
            stored = value[kind]
            if kind in {"title", "rich_text"}:
                stored = rules.stored_rich_text(stored)
            elif kind in {"select", "status"} and stored is not None:
                stored = objects.option(column, stored["name"])
            page["properties"][name] = {"id": column["id"], "type": kind, kind: stored}
        title = next((v for v in page["properties"].values() if v["type"] == "title"), None)
        words = "".join(t["plain_text"] for t in (title or {}).get("title", []))
        slug = re.sub(r"[^A-Za-z0-9]+", "-", words).strip("-")
        page["url"] = (
            f"https://www.notion.so/{slug + '-' if slug else ''}{page['id'].replace('-', '')}"
        )

    def _set_looks(self, page: Json, body: Json) -> None:
        for key in ("icon", "cover"):
            if key in body:
                self._check(rules.check_icon(body[key], f"body.{key}"))
                page[key] = body[key]

    def _user_ids(self) -> set[str]:
        return {user["id"] for user in self.users}

    @staticmethod
    def _check(problem: str | None) -> None:
        if problem:
            raise invalid(problem)


def _source_of(page: Json) -> str:
    return str(page["parent"]["data_source_id"])


def _missing(what: str, object_id: str) -> NotionStoreError:
    return NotionStoreError(
        404, "object_not_found", f"Could not find {what} with ID: {object_id}. {NOT_SHARED}"
    )
