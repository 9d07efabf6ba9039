"""Notion blocks and rich text as plain data, within Notion's request limits.

A `Span` is a run of text with one style; `rich_text` turns spans into Notion rich-text objects,
splitting any run longer than 2,000 characters (Notion's limit per text object) and dropping
links Notion would reject (relative, non-http, longer than 2,000 characters). A block whose
rich text would exceed 100 objects becomes several blocks of the same type.

Requests stay within Notion's size limits too: `chunks` cuts a body into requests of at most
100 blocks and `CHUNK_BYTES` of JSON (Notion refuses a request over 500 KB or 1,000 block
elements with a 400 `validation_error`), and a block's rich text is also split by size
(`BLOCK_BYTES`), so no single block comes near the limit.

`fingerprint` reduces a block, as sent or as Notion returns it, to what a reader sees, so the
publisher can tell which blocks of a page are already right.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar
from urllib.parse import urlsplit

TEXT_LIMIT = 2000  # characters per rich-text object
URL_LIMIT = 2000  # characters per link URL
RICH_TEXT_ITEMS = 100  # rich-text objects per array
CHILDREN_LIMIT = 100  # blocks per children array in one request
REQUEST_BYTES = 500_000  # Notion refuses a request body over 500 KB
CHUNK_BYTES = 400_000  # blocks of one request, leaving room for the page's properties
BLOCK_BYTES = 100_000  # rich text of one block; more becomes several blocks
TEXT_BLOCKS = (
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "callout",
    "code",
    "to_do",
    "toggle",
)
STYLES = ("bold", "italic", "strikethrough", "underline", "code")

Block = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    code: bool = False
    link: str | None = None

    def styled(self, **changes: Any) -> Span:
        return Span(**{**self.__dict__, **changes})


def rich_text(spans: Sequence[Span] | str) -> list[dict[str, Any]]:
    """Notion rich-text objects for `spans`, each at most 2,000 characters long."""
    if isinstance(spans, str):
        spans = [Span(spans)]
    objects: list[dict[str, Any]] = []
    for span in spans:
        link = span.link if _linkable(span.link) else None
        for start in range(0, len(span.text), TEXT_LIMIT):
            text: dict[str, Any] = {"content": span.text[start : start + TEXT_LIMIT]}
            if link:
                text["link"] = {"url": link}
            item: dict[str, Any] = {"type": "text", "text": text}
            styles = {name: True for name in STYLES if getattr(span, name, False)}
            if styles:
                item["annotations"] = styles
            objects.append(item)
    return objects


def text_blocks(kind: str, spans: Sequence[Span] | str, **extra: Any) -> list[Block]:
    """One block of `kind` holding `spans`, or several when the rich text has more than 100
    objects or `BLOCK_BYTES` of JSON."""
    pieces = list(chunks(rich_text(spans), RICH_TEXT_ITEMS, max_bytes=BLOCK_BYTES))
    return [
        {"object": "block", "type": kind, kind: {"rich_text": piece, **extra}}
        for piece in pieces or [[]]
    ]


def heading(level: int, text: Sequence[Span] | str) -> list[Block]:
    return text_blocks(f"heading_{min(max(level, 1), 3)}", text)


def paragraph(text: Sequence[Span] | str) -> list[Block]:
    return text_blocks("paragraph", text)


def bullet(text: Sequence[Span] | str) -> list[Block]:
    return text_blocks("bulleted_list_item", text)


def callout(text: Sequence[Span] | str, emoji: str = "📣") -> list[Block]:
    return text_blocks("callout", text, icon={"type": "emoji", "emoji": emoji})


def code(source: str, language: str = "plain text") -> list[Block]:
    return text_blocks("code", source, language=language)


def divider() -> list[Block]:
    return [{"object": "block", "type": "divider", "divider": {}}]


def json_size(value: Any) -> int:
    """Bytes of `value` as JSON with non-ASCII escaped: never less than what is sent."""
    return len(json.dumps(value, separators=(",", ":")))


def chunks(
    items: Sequence[T],
    size: int = CHILDREN_LIMIT,
    *,
    max_bytes: int = CHUNK_BYTES,
    block: Callable[[T], Any] = lambda item: item,
) -> Iterator[list[T]]:
    """`items` in request-sized pieces: at most `size` of them (Notion takes 100 children per
    request) and at most `max_bytes` of JSON (Notion takes 500 KB per request). `block` gives
    the part of an item that is sent. An item larger than `max_bytes` goes alone."""
    piece: list[T] = []
    used = 0
    for item in items:
        cost = json_size(block(item)) + 1  # the comma
        if piece and (len(piece) >= size or used + cost > max_bytes):
            yield piece
            piece, used = [], 0
        piece.append(item)
        used += cost
    if piece:
        yield piece


def fingerprint(block: Block) -> tuple[Any, ...]:
    """What a reader sees of `block`, equal for a block as sent and as Notion returns it.

    Adjacent runs with the same style are merged, so a 5,000-character run split in three
    compares equal to itself.
    """
    kind = block.get("type", "")
    body = block.get(kind) or {}
    runs = tuple(
        (style, "".join(text for _, text in group))
        for style, group in groupby(_styled_runs(body.get("rich_text", [])), key=lambda r: r[0])
    )
    icon = (body.get("icon") or {}).get("emoji")
    return (kind, runs, body.get("language"), icon, body.get("checked"))


def plain_text(block: Block) -> str:
    kind = block.get("type", "")
    return rich_plain((block.get(kind) or {}).get("rich_text", []))


def rich_plain(items: Sequence[dict[str, Any]]) -> str:
    """The text of a rich text array (a block's `rich_text`, a table cell)."""
    return "".join(
        item.get("plain_text") or item.get("text", {}).get("content", "") for item in items
    )


def _styled_runs(items: Sequence[dict[str, Any]]) -> Iterator[tuple[tuple[Any, ...], str]]:
    for item in items:
        text = item.get("text") or {}
        link = (text.get("link") or {}).get("url")
        annotations = item.get("annotations") or {}
        style = (link, *(bool(annotations.get(name)) for name in STYLES))
        yield style, text.get("content", item.get("plain_text", ""))


def _linkable(url: str | None) -> bool:
    if not url or len(url) > URL_LIMIT:
        return False
    parts = urlsplit(url)
    return (parts.scheme in {"http", "https"} and bool(parts.netloc)) or parts.scheme == "mailto"
