"""Read back what editors made of a published brief: the draft section of its Notion page (the
blocks after the `Draft` heading that publishing writes, see integrations/brief_page.py) as
Markdown-like text, through the Notion API client.

Blocks with children (list items with sub-items, toggles, quotes, callouts, columns, tables)
are read whole: `blocks.children.list` (paginated) for every block that `has_children`, down
to `MAX_DEPTH` levels; child pages and databases are other pages and are not entered. Nested
blocks are rendered under their parent, indented two spaces a level.

A draft counts as edited when the page's text differs from the text of the blocks marketloop
published for it; the comparison runs on both sides through the same rendering, so Notion's
own formatting of the blocks is never mistaken for an edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, select

from marketloop.content.brief import Brief
from marketloop.integrations.blocks import plain_text, rich_plain
from marketloop.integrations.brief_page import marketloop_id
from marketloop.integrations.markdown import markdown_blocks
from marketloop.integrations.notion import NotionClient
from marketloop.integrations.records import NotionPublication

Block = dict[str, Any]
Children = Callable[[str], Iterable[Block]]
CHILDREN = "_children"  # where `with_children` puts a block's children (not a Notion field)
MAX_DEPTH = 8  # levels of nesting read below the page; deeper blocks are left out
NOT_ENTERED = {"child_page", "child_database"}  # separate pages, not part of this text
PREFIX = {
    "heading_1": "# ",
    "heading_2": "## ",
    "heading_3": "### ",
    "bulleted_list_item": "- ",
    "numbered_list_item": "1. ",
    "quote": "> ",
    "to_do": "- [ ] ",
}


def draft_section(blocks: Sequence[Block]) -> list[Block]:
    """The blocks after the last `Draft` heading that follows a divider (none: no draft)."""
    start = None
    for index in range(1, len(blocks)):
        if blocks[index - 1].get("type") == "divider" and _is_draft_heading(blocks[index]):
            start = index + 1
    return list(blocks[start:]) if start is not None else []


def with_children(
    children: Children, blocks: Iterable[Block], depth: int = MAX_DEPTH
) -> list[Block]:
    """`blocks`, each with its children under `CHILDREN`, theirs under theirs, `depth` levels
    in all (`children(id)` lists one block's direct children, every page of them)."""
    found = []
    for block in blocks:
        if block.get("has_children") and depth > 1 and block.get("type") not in NOT_ENTERED:
            found.append(
                {**block, CHILDREN: with_children(children, children(block["id"]), depth - 1)}
            )
        else:
            found.append(block)
    return found


def render(blocks: Sequence[Block]) -> str:
    return "\n\n".join(line for line in _lines(blocks, "") if line.strip())


def _lines(blocks: Sequence[Block], indent: str) -> list[str]:
    lines = []
    for block in blocks:
        kind = block.get("type", "")
        text = plain_text(block)
        if kind == "code":
            lines.append(f"{indent}```\n{text}\n{indent}```")
        elif kind == "divider":
            lines.append(f"{indent}---")
        elif kind == "table_row":
            lines.append(indent + _row(block))
        else:
            lines.append(indent + PREFIX.get(kind, "") + text)
        lines.extend(_lines(block.get(CHILDREN, []), indent + "  "))
    return lines


def _row(block: Block) -> str:
    cells = block.get("table_row", {}).get("cells", [])
    return "| " + " | ".join(rich_plain(cell) for cell in cells) + " |"


def published_text(draft: str) -> str:
    """The draft as publishing turned it into blocks, rendered like a page read back."""
    return render(markdown_blocks(draft))


class PageReader:
    """The edited text of published briefs: one listing per published page, and one per block
    with children in its draft section."""

    def __init__(self, client: NotionClient, engine: Engine) -> None:
        self.client = client
        self.pages = _page_ids(engine)

    def edited(self, brief: Brief, draft: str) -> str | None:
        """The page's draft text when an editor changed it; None when unchanged or unpublished."""
        page_id = self.pages.get(marketloop_id(brief))
        if page_id is None:
            return None
        section = draft_section(list(self.client.children(page_id)))
        section = with_children(self.client.children, section)
        if not section:
            return None
        text = render(section)
        return None if text == published_text(draft) else text


def _is_draft_heading(block: Block) -> bool:
    return block.get("type") == "heading_1" and plain_text(block).strip() == "Draft"


def _page_ids(engine: Engine) -> dict[str, str]:
    """marketloop_id → page id, from the latest publication that reached a page."""
    query = (
        select(NotionPublication.marketloop_id, NotionPublication.page_id)
        .where(NotionPublication.page_id.is_not(None))
        .order_by(NotionPublication.id)
    )
    with engine.connect() as connection:
        return {key: page for key, page in connection.execute(query) if page}
