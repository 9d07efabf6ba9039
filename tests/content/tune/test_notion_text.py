"""Reading a page's draft section back whole: nested blocks, the depth limit, child pages."""

from __future__ import annotations

from typing import Any

from marketloop.content.tune.notion_text import MAX_DEPTH, render, with_children

from .conftest import HOSTILE


def block(kind: str, value: str, block_id: str = "", *, nested: bool = False) -> dict[str, Any]:
    body = {"rich_text": [{"type": "text", "text": {"content": value}, "plain_text": value}]}
    return {"id": block_id or value, "type": kind, kind: body, "has_children": nested}


class Tree:
    """`children(id)` over a dict of id → child blocks, counting the calls."""

    def __init__(self, tree: dict[str, list[dict[str, Any]]]) -> None:
        self.tree = tree
        self.asked: list[str] = []

    def __call__(self, block_id: str) -> list[dict[str, Any]]:
        self.asked.append(block_id)
        return self.tree[block_id]


def test_nested_blocks_render_indented_under_their_parent() -> None:
    tree = Tree(
        {
            "list": [block("bulleted_list_item", "sub", "sub", nested=True)],
            "sub": [block("paragraph", HOSTILE)],
            "table": [
                {
                    "id": "row",
                    "type": "table_row",
                    "has_children": False,
                    "table_row": {
                        "cells": [[{"plain_text": "a"}], [{"text": {"content": "=1+1"}}]]
                    },
                }
            ],
        }
    )
    top = [
        block("bulleted_list_item", "top", "list", nested=True),
        {"id": "table", "type": "table", "table": {}, "has_children": True},
        {"id": "page", "type": "child_page", "child_page": {"title": "A"}, "has_children": True},
    ]
    text = render(with_children(tree, top))
    assert (
        text == f"- top\n\n  - sub\n\n    {HOSTILE}\n\n  | a | =1+1 |"
    )  # a child page is another page
    assert tree.asked == ["list", "sub", "table"]


def test_depth_is_limited() -> None:
    tree = Tree(
        {
            str(i): [block("bulleted_list_item", f"level {i + 1}", str(i + 1), nested=True)]
            for i in range(20)
        }
    )
    found = with_children(tree, [block("bulleted_list_item", "level 0", "0", nested=True)])
    assert len(tree.asked) == MAX_DEPTH - 1
    text = render(found)
    assert f"level {MAX_DEPTH - 1}" in text and f"level {MAX_DEPTH}" not in text
