"""Blocks and rich text within Notion's limits: pure tables."""

from __future__ import annotations

import json

import pytest

from marketloop.fakes.notion_rules import check_children, stored_rich_text
from marketloop.integrations.blocks import (
    BLOCK_BYTES,
    CHUNK_BYTES,
    REQUEST_BYTES,
    Span,
    chunks,
    code,
    fingerprint,
    json_size,
    paragraph,
    plain_text,
    rich_text,
    text_blocks,
)
from marketloop.integrations.notion_publish import common_ends


@pytest.mark.parametrize(
    ("length", "pieces"),
    [(0, []), (1, [1]), (2000, [2000]), (2001, [2000, 1]), (4500, [2000, 2000, 500])],
)
def test_rich_text_is_split_at_2000_characters(length: int, pieces: list[int]) -> None:
    objects = rich_text([Span("x" * length, bold=True, link="https://example.com")])
    assert [len(o["text"]["content"]) for o in objects] == pieces
    assert all(o["annotations"] == {"bold": True} for o in objects)
    assert all(o["text"]["link"] == {"url": "https://example.com"} for o in objects)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.com/a", True),
        ("mailto:ada@example.com", True),
        ("/pricing", False),  # Notion rejects relative links
        ("javascript:alert(1)", False),
        ("https://example.com/" + "a" * 2000, False),  # over Notion's URL limit
        (None, False),
    ],
)
def test_only_links_notion_accepts_are_kept(url: str | None, kept: bool) -> None:
    [item] = rich_text([Span("anchor", link=url)])
    assert ("link" in item["text"]) is kept
    assert item["text"]["content"] == "anchor"


@pytest.mark.parametrize(("spans", "blocks"), [(1, 1), (100, 1), (101, 2), (250, 3)])
def test_more_than_100_rich_text_objects_make_more_blocks(spans: int, blocks: int) -> None:
    made = text_blocks("paragraph", [Span(f"{i}", bold=i % 2 == 0) for i in range(spans)])
    assert len(made) == blocks
    assert sum(len(b["paragraph"]["rich_text"]) for b in made) == spans
    assert check_children(made) is None


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, []), (100, [100]), (150, [100, 50]), (201, [100, 100, 1])]
)
def test_chunks_of_100(count: int, sizes: list[int]) -> None:
    assert [len(c) for c in chunks(list(range(count)))] == sizes


def test_chunks_stay_under_the_request_size() -> None:
    blocks = [b for n in range(100) for b in paragraph(f"{n} " + "é" * 10_000)]  # ~60 KB each
    pieces = list(chunks(list(enumerate(blocks)), block=lambda item: item[1]))
    assert [i for piece in pieces for i, _ in piece] == list(range(100))  # all, in order
    assert len(pieces) > 1
    assert all(json_size([b for _, b in piece]) <= CHUNK_BYTES for piece in pieces)
    assert all(len(json.dumps([b for _, b in p]).encode()) < REQUEST_BYTES for p in pieces)
    assert [len(c) for c in chunks([1] * 10, 4, max_bytes=6)] == [3, 3, 3, 1]  # "1," costs 2


def test_a_block_of_huge_text_is_split_by_size() -> None:
    made = paragraph("ü" * 100 * 2000)  # 100 rich-text objects, but 1.2 MB as escaped JSON
    assert len(made) > 1 and all(json_size(b) <= BLOCK_BYTES for b in made)
    assert "".join(plain_text(b) for b in made) == "ü" * 100 * 2000
    assert check_children(made) is None


def test_a_long_code_block_stays_one_block_and_valid() -> None:
    [block] = code("print(1)\n" * 1000, "python")
    assert len(block["code"]["rich_text"]) == 5
    assert check_children([block]) is None


def test_fingerprint_is_equal_for_a_block_as_sent_and_as_stored() -> None:
    [sent] = paragraph([Span("a" * 4100, italic=True), Span(" tail", link="https://x.org")])
    stored = {
        "type": "paragraph",
        "paragraph": {
            "rich_text": stored_rich_text(sent["paragraph"]["rich_text"]),
            "color": "default",
        },
    }
    assert fingerprint(sent) == fingerprint(stored)
    [other] = paragraph([Span("a" * 4100, italic=True), Span(" tail")])
    assert fingerprint(sent) != fingerprint(other)


@pytest.mark.parametrize(
    ("existing", "desired", "ends"),
    [
        ("", "abc", (0, 0)),
        ("abc", "abc", (3, 0)),
        ("ab", "abcd", (2, 0)),  # a run that stopped half way: keep what is there
        ("abXde", "abcde", (2, 2)),  # one block changed in the middle
        ("abde", "abcde", (2, 2)),  # one block missing (rejected last time)
        ("abcde", "abde", (2, 2)),  # one block too many
        ("xbc", "abc", (0, 2)),
        ("aaa", "aa", (2, 0)),  # prefix and suffix never overlap
    ],
)
def test_common_ends(existing: str, desired: str, ends: tuple[int, int]) -> None:
    assert common_ends(existing, desired) == ends
