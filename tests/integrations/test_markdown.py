"""Markdown drafts as Notion blocks: the table in cases/markdown.yaml, plus the limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from marketloop.fakes.notion_rules import check_children
from marketloop.integrations.blocks import chunks, plain_text
from marketloop.integrations.markdown import markdown_blocks, notion_language

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "markdown.yaml").read_text())
STYLES = ("bold", "italic", "strikethrough", "code")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_markdown_to_blocks(case: dict[str, Any]) -> None:
    blocks = markdown_blocks(case["markdown"])
    assert [f"{b['type']}: {plain_text(b)}" for b in blocks] == case["blocks"]
    assert check_children(blocks) is None  # Notion would accept every one
    if "styled" in case:
        runs = blocks[0][blocks[0]["type"]]["rich_text"]
        seen = [
            [
                r["text"]["content"],
                [s for s in STYLES if r.get("annotations", {}).get(s)],
                (r["text"].get("link") or {}).get("url"),
            ]
            for r in runs
        ]
        assert seen == case["styled"]
    if "languages" in case:
        assert [b["code"]["language"] for b in blocks] == case["languages"]


@pytest.mark.parametrize(
    ("info", "language"),
    [
        ("py", "python"),
        ("Python", "python"),
        ("ts x=1", "typescript"),
        ("c++", "c++"),
        ("", "plain text"),
        ("klingon", "plain text"),
    ],
)
def test_fence_languages_map_to_notion_names(info: str, language: str) -> None:
    assert notion_language(info) == language


def test_a_long_draft_fits_notion_limits_in_requests_of_100() -> None:
    paragraph = "word " * 900  # 4,500 characters: three rich-text objects
    draft = "\n\n".join(f"## H{n}\n\n{paragraph}" for n in range(80))
    blocks = markdown_blocks(draft)
    assert len(blocks) == 160
    requests = list(chunks(blocks))
    assert [len(r) for r in requests] == [100, 60]
    assert all(check_children(r) is None for r in requests)
    assert plain_text(blocks[1]) == paragraph.strip()
