"""What the fake Notion server checks and how it stores things: the documented request rules.

Pure functions. Each `check_*` returns None when the request is valid, else Notion's
`validation_error` message for it, worded the way Notion words it:

    body failed validation: body.children.length should be ≤ `100`, instead was `150`.
    body failed validation: body.children should be ≤ `1000` block elements, instead was `1100`.
    body failed validation: body.children[3].paragraph.rich_text[0].text.content.length
        should be ≤ `2000`, instead was `2500`.
    Cluster is not a property that exists.
"""

from __future__ import annotations

from typing import Any

from marketloop.integrations.markdown import NOTION_LANGUAGES

CHILDREN_LIMIT = 100
BLOCK_ELEMENTS = 1000  # blocks in one request, nested ones included
REQUEST_BYTES = 500_000  # "500KB overall" per request
RICH_TEXT_ITEMS = 100
TEXT_LIMIT = 2000
NESTING = 2  # levels of children below the request's own array ("two levels of nesting")
BLOCK_TYPES = frozenset(
    {
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
        "numbered_list_item", "quote", "callout", "code", "to_do", "toggle", "divider",
    }
)  # fmt: skip
PROPERTY_TYPES = frozenset(
    {"title", "rich_text", "number", "select", "multi_select", "status", "people"}
)
STYLES = ("bold", "italic", "strikethrough", "underline", "code")
Json = dict[str, Any]


class NotionStoreError(Exception):
    """A request the fake answers with Notion's error body: `status`, `code`, `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> NotionStoreError:
    return NotionStoreError(400, "validation_error", message)


def failed(path: str, expected: str, actual: Any) -> str:
    return f"body failed validation: {path} should be {expected}, instead was `{actual}`."


#: body keys per endpoint: served by the fake, or documented by Notion but refused (named)
BODY_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "pages.create": (
        frozenset({"parent", "properties", "children", "icon", "cover"}),
        frozenset({"template", "position", "content", "markdown"}),
    ),
    "pages.update": (
        frozenset({"properties", "in_trash", "archived", "icon", "cover"}),
        frozenset({"is_locked", "template", "erase_content"}),
    ),
    "data_sources.update": (frozenset({"properties"}), frozenset({"title", "icon", "in_trash"})),
    "blocks.children.append": (frozenset({"children", "after", "position"}), frozenset()),
}


def check_keys(endpoint: str, body: Json) -> str | None:
    served, refused = BODY_KEYS[endpoint]
    for key in body:
        if key in refused:
            return f"body.{key}: not implemented by this fake ({endpoint})."
        if key not in served:
            return failed(f"body.{key}", "not present", "set")
    return None


def check_icon(value: Any, where: str) -> str | None:
    """An icon or cover the fake stores: `emoji` or `external` (file uploads are refused)."""
    kind = value.get("type") if isinstance(value, dict) else None
    if value is None or (kind == "emoji" and where == "body.icon"):
        return None
    if kind == "external" and isinstance((value.get("external") or {}).get("url"), str):
        return None
    return failed(f"{where}.type", "`emoji` (icons) or `external`", kind)


def check_request_size(size: int) -> str | None:
    """Notion documents the limit (500 KB per request, a 400 `validation_error`), not the
    wording; this message is the fake's own."""
    if size <= REQUEST_BYTES:
        return None
    return f"Request body too large: {size} bytes, the limit is {REQUEST_BYTES} bytes (500KB)."


def count_blocks(children: Any) -> int:
    """Block elements in a children array, nested children included."""
    if not isinstance(children, list):
        return 0
    total = 0
    for block in children:
        total += 1
        kind = block.get("type") if isinstance(block, dict) else None
        body = block.get(kind) if isinstance(block, dict) and kind else None
        total += count_blocks(body.get("children")) if isinstance(body, dict) else 0
    return total


def check_children(children: Any, where: str = "body.children") -> str | None:
    if not isinstance(children, list):
        return failed(where, "an array", type(children).__name__)
    if len(children) > CHILDREN_LIMIT:
        return failed(f"{where}.length", f"≤ `{CHILDREN_LIMIT}`", len(children))
    elements = count_blocks(children)
    if where == "body.children" and elements > BLOCK_ELEMENTS:
        return failed(where, f"≤ `{BLOCK_ELEMENTS}` block elements", elements)
    for index, block in enumerate(children):
        problem = check_block(block, f"{where}[{index}]")
        if problem:
            return problem
    return None


def check_block(block: Any, where: str) -> str | None:
    if not isinstance(block, dict):
        return failed(where, "an object", type(block).__name__)
    kind = block.get("type") or next((k for k in block if k in BLOCK_TYPES), None)
    if kind not in BLOCK_TYPES or not isinstance(block.get(kind), dict):
        return failed(where, "a supported block object", kind)
    body = block[kind]
    if kind == "code" and body.get("language", "plain text") not in NOTION_LANGUAGES:
        return failed(f"{where}.code.language", "one of Notion's languages", body["language"])
    if "children" in body and (problem := _check_nested(body["children"], f"{where}.{kind}")):
        return problem
    if kind == "divider":
        return None
    return check_rich_text(body.get("rich_text"), f"{where}.{kind}.rich_text")


def _check_nested(children: Any, where: str) -> str | None:
    nested = f"{where}.children"
    if nested.count(".children") > NESTING + 1:  # the request's own array, then NESTING
        return f"{nested}: at most {NESTING} levels of nesting are allowed in one request."
    return check_children(children, nested)


def check_rich_text(items: Any, where: str) -> str | None:
    if not isinstance(items, list):
        return failed(where, "an array", type(items).__name__)
    if len(items) > RICH_TEXT_ITEMS:
        return failed(f"{where}.length", f"≤ `{RICH_TEXT_ITEMS}`", len(items))
    for index, item in enumerate(items):
        text = item.get("text") if isinstance(item, dict) else None
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(text, dict) or not isinstance(content, str):
            return failed(f"{where}[{index}].text.content", "a string", content)
        if len(content) > TEXT_LIMIT:
            return failed(
                f"{where}[{index}].text.content.length", f"≤ `{TEXT_LIMIT}`", len(content)
            )
        url = (text.get("link") or {}).get("url")
        if url is not None and not str(url).startswith(("http://", "https://", "mailto:")):
            return f"Invalid URL for link: {where}[{index}].text.link.url"
    return None


def check_properties(values: Any, schema: Json, *, users: set[str]) -> str | None:
    """`values` (page property values by name) against the data source's `schema`."""
    if not isinstance(values, dict):
        return failed("body.properties", "an object", type(values).__name__)
    for name, value in values.items():
        column = schema.get(name)
        if column is None:
            return f"{name} is not a property that exists."
        kind = column["type"]
        if not isinstance(value, dict) or kind not in value:
            return f"{name} is expected to be {kind}."
        problem = _check_value(name, kind, value[kind], column, users)
        if problem:
            return problem
    return None


def _check_value(name: str, kind: str, value: Any, column: Json, users: set[str]) -> str | None:
    if kind in {"title", "rich_text"}:
        return check_rich_text(value, f"body.properties.{name}.{kind}")
    if kind == "number" and value is not None and not isinstance(value, int | float):
        return failed(f"body.properties.{name}.number", "a number or `null`", value)
    if kind in {"select", "status"} and value is not None:
        option = value.get("name", "") if isinstance(value, dict) else ""
        if kind == "select" and "," in option:
            return f"Invalid select option, commas not allowed: {option}"
        known = {o["name"] for o in column[kind].get("options", [])}
        if kind == "status" and option not in known:
            return f'Invalid status option. Status option "{option}" does not exist.'
    if kind == "people":
        for person in value or []:
            if person.get("id") not in users:
                return f"Could not find user with ID: {person.get('id')}."
    return None


def stored_rich_text(items: list[Json]) -> list[Json]:
    """Rich text the way Notion returns it: annotations filled in, plain_text and href."""
    stored = []
    for item in items:
        text = dict(item["text"])
        link = text.get("link")
        annotations: Json = {
            name: bool((item.get("annotations") or {}).get(name)) for name in STYLES
        }
        annotations["color"] = (item.get("annotations") or {}).get("color", "default")
        stored.append(
            {
                "type": "text",
                "text": {"content": text["content"], "link": link},
                "annotations": annotations,
                "plain_text": text["content"],
                "href": (link or {}).get("url"),
            }
        )
    return stored
