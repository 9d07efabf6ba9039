"""The objects the fake Notion stores, shaped like the API's (2025-09-03): property columns and
options, empty property values, blocks, rich text, people and the integration's bot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marketloop.fakes import notion_rules as rules

Json = dict[str, Any]


def column(name: str, spec: str | tuple[str, list[str]]) -> Json:
    kind, options = (spec, []) if isinstance(spec, str) else spec
    config: Json = {}
    if kind in {"select", "status", "multi_select"}:
        config = {
            "options": [
                {"id": uuid.uuid4().hex[:4], "name": o, "color": "default"} for o in options
            ]
        }
    return {
        "id": "title" if kind == "title" else uuid.uuid4().hex[:4],
        "name": name,
        "type": kind,
        kind: config,
    }


def option(column: Json, name: str) -> Json:
    options = column[column["type"]].setdefault("options", [])
    for option in options:
        if option["name"] == name:
            return dict(option)
    option = {"id": uuid.uuid4().hex[:4], "name": name, "color": "default"}
    options.append(option)  # Notion adds new select options as they are used
    return dict(option)


def empty(column: Json) -> Json:
    kind = column["type"]
    value: Any = [] if kind in {"title", "rich_text", "people", "multi_select"} else None
    return {"id": column["id"], "type": kind, kind: value}


def block(request: Json, parent: Json, stamps: Json) -> Json:
    kind = request.get("type") or next(k for k in request if k in rules.BLOCK_TYPES)
    body = dict(request[kind])
    if "rich_text" in body:
        body["rich_text"] = rules.stored_rich_text(body["rich_text"])
    if kind not in {"divider"}:
        body.setdefault("color", "default")
    return {
        "object": "block", "id": str(uuid.uuid4()), "parent": parent, "type": kind, kind: body,
        **stamps, "has_children": False,
        "archived": False, "in_trash": False,
    }  # fmt: skip


def rich(text: str) -> list[Json]:
    return rules.stored_rich_text([{"text": {"content": text}}])


def person(name: str, email: str) -> Json:
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, email))
    return {"object": "user", "id": user_id, "type": "person", "name": name, "avatar_url": None,
            "person": {"email": email}}  # fmt: skip


def bot(name: str) -> Json:
    bot_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bot:{name}"))
    owner = {"type": "workspace", "workspace": True}
    return {"object": "user", "id": bot_id, "type": "bot", "name": name, "avatar_url": None,
            "bot": {"owner": owner, "workspace_name": "marketloop fake"}}  # fmt: skip


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
