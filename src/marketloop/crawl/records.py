"""The records of the parse step: jobs in, results out, as plain named tuples.

They cross the process boundary by pickle, so this module imports nothing heavy: the crawler
process unpickles results without loading the parser (selectolax, numpy).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

FRAME = struct.Struct(">I")  # length prefix of one pickled job or result on a worker pipe


class HtmlFacts(NamedTuple):
    titles: list[str]
    meta_descriptions: list[str]
    meta_robots: str | None
    canonical: str | None
    canonical_count: int
    hreflang: list[tuple[str, str]]
    headings: list[list[str]]  # h1 ... h6
    word_count: int
    content_hash: str | None
    simhash: int | None
    minhash: list[int] | None
    jsonld_types: list[str]
    jsonld_errors: list[str]
    og: list[tuple[str, str]]
    lang: str | None
    outlinks_internal: int
    outlinks_external: int


class LinkColumns(NamedTuple):
    to_url: list[str]
    kind: list[str]
    anchor: list[str | None]
    rel: list[str | None]
    nofollow: list[bool]
    is_internal: list[bool]
    in_main: list[bool]
    original_url: list[str | None]  # to_url before URL rewriting, when a rule changed it


class ImageColumns(NamedTuple):
    src: list[str]
    alt: list[str | None]
    width: list[str | None]
    height: list[str | None]
    is_internal: list[bool]


class ExtractRule(NamedTuple):
    """One custom extraction rule (`[[crawl.extract]]`, see `crawl/custom.py`)."""

    name: str
    css: str | None
    attribute: str | None
    regex: str | None
    mode: str  # first | all | count
    xpath: str | None = None  # instead of css: an XPath 1.0 expression (lxml)


class RewriteRules(NamedTuple):
    """URL rewriting (`[crawl.rewrite]`, see `crawl/rewrite.py`), applied to discovered URLs."""

    remove_params: tuple[str, ...] = ()  # names or globs, matched case-insensitively
    replace: tuple[tuple[str, str], ...] = ()  # (regex, replacement), in order
    lowercase: bool = False


class Extraction(NamedTuple):
    """What one custom rule found on one page."""

    name: str
    values: list[str]  # first: at most one; all: every value (capped); count: none
    matches: int  # values matched on the page, whatever the mode


class Extracted(NamedTuple):
    facts: HtmlFacts
    links: LinkColumns
    images: ImageColumns
    discovered: list[tuple[str, str]]  # (internal url, found_via) to enqueue, first seen first
    custom: list[Extraction] = []  # noqa: RUF012 - a NamedTuple default is never mutated
    warnings: tuple[str, ...] = ()  # a custom rule's or a rewrite rule's regex out of time (logged)


class SitemapDoc(NamedTuple):
    kind: str  # urlset | sitemapindex | invalid
    locs: list[str]  # normalised; entries that are not http(s) URLs are left out
    lastmods: list[str | None]
    hreflang: list[list[tuple[str, str]]]  # per loc: its xhtml:link alternates (lang, url)
    url_count: int  # <loc> entries in the file, valid or not
    size: int  # uncompressed bytes read
    error: str | None


class HtmlJob(NamedTuple):
    url: str
    body: bytes
    header_charset: str | None
    internal_hosts: frozenset[str]
    x_robots_tag: str | None = None  # the response header: its nofollow applies to every link
    rules: tuple[ExtractRule, ...] = ()  # custom extraction
    rewrite: RewriteRules | None = None  # URL rewriting of the references found


class HtmlResult(NamedTuple):
    charset: str
    extracted: Extracted | None
    parse_error: str | None


class SitemapJob(NamedTuple):
    url: str
    body: bytes


Job = HtmlJob | SitemapJob
Result = HtmlResult | SitemapDoc
