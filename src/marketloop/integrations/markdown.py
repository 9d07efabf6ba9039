"""A Markdown draft as Notion blocks (markdown-it-py, CommonMark plus strikethrough and tables).

    headings        # → heading_1, ## → heading_2, ### and deeper → heading_3
    paragraphs      paragraph, with bold, italic, strikethrough, inline code and links as
                    rich-text annotations
    lists           bulleted_list_item / numbered_list_item; nested items are flattened
    quotes          quote;  fenced/indented code → code (language mapped to Notion's names)
    rules           divider;  tables → one paragraph per row, header row in bold
    images, HTML    kept as text (an image becomes its alt text linked to its URL)

Every block respects Notion's limits (see blocks.py), so a long draft only costs more requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from marketloop.integrations.blocks import Block, Span, code, divider, heading, text_blocks

_parser = MarkdownIt("commonmark").enable(["strikethrough", "table"])

# Notion's code languages (the `code.language` enum) and the usual Markdown aliases for them.
_LANGUAGE_WORDS = """
    abap abc agda arduino bash basic bnf c c# c++ clojure coffeescript coq css dart dhall diff
    docker ebnf elixir elm erlang f# flow fortran gherkin glsl go graphql groovy haskell hcl
    html idris java javascript json julia kotlin latex less lisp livescript lua makefile
    markdown markup matlab mathematica mermaid nix objective-c ocaml pascal perl php
    powershell prolog protobuf purescript python r racket reason ruby rust sass scala scheme
    scss shell smalltalk solidity sql swift toml typescript verilog vhdl webassembly xml yaml
"""
NOTION_LANGUAGES = frozenset(_LANGUAGE_WORDS.split()) | {
    "ascii art", "assembly", "llvm ir", "notion formula", "plain text", "vb.net", "visual basic"
}  # fmt: skip
ALIASES = {
    "py": "python", "js": "javascript", "ts": "typescript", "sh": "shell", "zsh": "shell",
    "console": "shell", "yml": "yaml", "md": "markdown", "cpp": "c++", "cs": "c#",
    "csharp": "c#", "golang": "go", "rb": "ruby", "rs": "rust", "dockerfile": "docker",
    "tex": "latex", "text": "plain text", "txt": "plain text", "plaintext": "plain text",
    "kt": "kotlin", "ps1": "powershell", "objc": "objective-c", "jsonc": "json",
}  # fmt: skip
_INLINE_STYLE = {"strong": "bold", "em": "italic", "s": "strikethrough"}


def notion_language(info: str) -> str:
    """Notion's name for a fence's language (`py` → `python`); `plain text` when unknown."""
    name = (info.split() or ["plain text"])[0].lower()
    name = ALIASES.get(name, name)
    return name if name in NOTION_LANGUAGES else "plain text"


def markdown_blocks(source: str) -> list[Block]:
    """Notion blocks for a Markdown document."""
    return _blocks(_parser.parse(source))


def inline_spans(source: str) -> list[Span]:
    """Styled spans for one line of inline Markdown (bold, links, code, ...)."""
    tokens = _parser.parseInline(source)
    return _spans(tokens[0].children or []) if tokens else []


def _blocks(tokens: Sequence[Token]) -> list[Block]:
    builder = _Builder()
    for token in tokens:
        builder.feed(token)
    return builder.blocks


class _Builder:
    """Walks markdown-it's flat token stream, keeping just enough state to place each text."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.containers: list[str] = []  # enclosing lists and quotes, innermost last
        self.heading: int | None = None  # level of the heading being read
        self.row: list[list[Span]] | None = None  # cells of the table row being read
        self.header_cell = False

    def feed(self, token: Token) -> None:
        kind = token.type
        if kind in _CONTAINERS:
            self.containers.append(kind.removesuffix("_open"))
        elif kind.removesuffix("_close") + "_open" in _CONTAINERS:
            self.containers.pop()
        elif kind == "heading_open":
            self.heading = int(token.tag[1])
        elif kind == "heading_close":
            self.heading = None
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close":
            self.blocks += text_blocks(
                "paragraph", _table_row(self.row or [], header=self.header_cell)
            )
            self.row = None
        elif kind in {"th_open", "td_open"}:
            self.header_cell = kind == "th_open"
        elif kind == "inline":
            self._text(_spans(token.children or []))
        elif kind in {"fence", "code_block"}:
            self.blocks += code(token.content.rstrip("\n"), notion_language(token.info))
        elif kind == "hr":
            self.blocks += divider()
        elif kind == "html_block" and token.content.strip():
            self._text([Span(token.content.strip())])

    def _text(self, spans: list[Span]) -> None:
        if self.row is not None:
            self.row.append(spans)
        elif self.heading is not None:
            self.blocks += heading(self.heading, spans)
        else:
            self.blocks += text_blocks(self._kind(), spans)

    def _kind(self) -> str:
        if "blockquote" in self.containers:
            return "quote"
        if not self.containers:
            return "paragraph"
        inner = self.containers[-1]
        return "numbered_list_item" if inner == "ordered_list" else "bulleted_list_item"


_CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open"})


def _table_row(cells: list[list[Span]], *, header: bool) -> list[Span]:
    spans: list[Span] = []
    for index, cell in enumerate(cells):
        if index:
            spans.append(Span(" | "))
        spans.extend(span.styled(bold=True) if header else span for span in cell)
    return spans


def _spans(children: Sequence[Token]) -> list[Span]:
    spans: list[Span] = []
    style: dict[str, object] = {}
    for token in children:
        kind = token.type
        if kind.endswith("_open") and kind.removesuffix("_open") in _INLINE_STYLE:
            style[_INLINE_STYLE[kind.removesuffix("_open")]] = True
        elif kind.endswith("_close") and kind.removesuffix("_close") in _INLINE_STYLE:
            style.pop(_INLINE_STYLE[kind.removesuffix("_close")], None)
        elif kind == "link_open":
            style["link"] = str(token.attrGet("href") or "")
        elif kind == "link_close":
            style.pop("link", None)
        elif kind in {"text", "html_inline"}:
            spans.append(Span(token.content, **style))  # type: ignore[arg-type]
        elif kind == "code_inline":
            spans.append(Span(token.content, code=True, **style))  # type: ignore[arg-type]
        elif kind == "softbreak":
            spans.append(Span(" ", **style))  # type: ignore[arg-type]
        elif kind == "hardbreak":
            spans.append(Span("\n", **style))  # type: ignore[arg-type]
        elif kind == "image":
            alt = token.content or str(token.attrGet("src") or "image")
            spans.append(Span(alt, link=str(token.attrGet("src") or "")))
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    """Join neighbours with the same style, so `a` `b` `c` text tokens become one run."""
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].styled(text="") == span.styled(text=""):
            merged[-1] = merged[-1].styled(text=merged[-1].text + span.text)
        else:
            merged.append(span)
    return merged
