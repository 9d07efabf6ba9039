"""XML sitemaps (pure): a body → its kind, its `<loc>` entries, its size, or what is wrong with it.

Follows sitemaps.org: a `<urlset>` lists pages, a `<sitemapindex>` lists sitemaps, either may be
gzip-compressed (detected by its magic bytes, whatever the URL or content type say). The protocol
caps a file at 50,000 URLs and 50 MB uncompressed; the counts are kept so the auditor can flag
`sitemap_over_limit`. Parsing streams, so a gzip bomb stops at `MAX_UNCOMPRESSED` and a
malformed file keeps whatever entries came before the error.

hreflang alternates of an entry are its `<xhtml:link rel="alternate" hreflang="de" href="..."/>`
children (the XHTML namespace, as Google documents): kept per `<loc>`, language lower-cased,
URL normalised; one without hreflang, rel=alternate or a valid http(s) href is left out.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from marketloop.crawl.records import SitemapDoc
from marketloop.crawl.urls import try_normalize

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED = 4 * MAX_BYTES  # stop reading beyond this (gzip bombs)
MAX_ENTRIES = 1_000_000  # entries kept from one file
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
# <loc> and <lastmod> count only in the sitemaps.org namespace (or none) and directly inside
# <url>/<sitemap>: an <image:loc> or <video:...> extension element must not replace the page.
_NAMESPACES = ("", "http://www.sitemaps.org/schemas/sitemap/0.9")
_ENTRY_TAGS = ("url", "sitemap")
_XHTML_LINK = "{http://www.w3.org/1999/xhtml}link"
MAX_ALTERNATES = 1_000  # per entry


def parse_sitemap(body: bytes) -> SitemapDoc:
    parser = XMLPullParser(events=("start", "end"))
    state = _State()
    try:
        for chunk in _chunks(body):
            state.size += len(chunk)
            if state.size > MAX_UNCOMPRESSED:
                state.error = f"more than {MAX_UNCOMPRESSED // 2**20} MB uncompressed; stopped"
                break
            parser.feed(chunk)
            state.consume(parser)
        else:
            parser.close()
            state.consume(parser)
    except _Stop:
        pass
    except ParseError as exc:
        state.error = f"malformed XML: {exc}"
    except zlib.error as exc:
        state.error = f"invalid gzip data: {exc}"
    if state.kind is None and state.error is None:
        state.error = "empty document" if state.size == 0 else "no root element"
    return SitemapDoc(
        state.kind or "invalid",
        state.locs,
        state.lastmods,
        state.hreflang,
        state.count,
        state.size,
        state.error,
    )


class _State:
    def __init__(self) -> None:
        self.kind: str | None = None
        self.locs: list[str] = []
        self.lastmods: list[str | None] = []
        self.hreflang: list[list[tuple[str, str]]] = []
        self.count = 0
        self.size = 0
        self.error: str | None = None
        self._loc: str | None = None
        self._lastmod: str | None = None
        self._alternates: list[tuple[str, str]] = []
        self._open: list[str | None] = []  # local names of the open elements (None: foreign)

    def consume(self, parser: XMLPullParser) -> None:
        events = cast("Iterator[tuple[str, Element]]", parser.read_events())  # start/end only
        for event, element in events:
            tag = _sitemap_tag(element.tag)
            if event == "start":
                if self.kind is None:
                    self._root(element.tag.rsplit("}", 1)[-1])
                self._open.append(tag)
                continue
            self._open.pop()
            in_entry = bool(self._open) and self._open[-1] in _ENTRY_TAGS
            if tag == "loc" and in_entry:
                self._loc = (element.text or "").strip()
            elif tag == "lastmod" and in_entry:
                self._lastmod = (element.text or "").strip() or None
            elif element.tag == _XHTML_LINK and self._open[-1:] == ["url"]:
                self._alternate(element.attrib)
            elif tag in _ENTRY_TAGS:
                self._entry()
                element.clear()

    def _root(self, tag: str) -> None:
        if tag in ("urlset", "sitemapindex"):
            self.kind = tag
        else:
            self.kind = "invalid"
            self.error = f"root element <{tag}> is not <urlset> or <sitemapindex>"
            raise _Stop

    def _entry(self) -> None:
        if self._loc is not None:
            self.count += 1
            url = try_normalize(self._loc)
            if url is not None and len(self.locs) < MAX_ENTRIES:
                self.locs.append(url)
                self.lastmods.append(self._lastmod)
                self.hreflang.append(self._alternates)
        self._loc = self._lastmod = None
        self._alternates = []

    def _alternate(self, attrib: dict[str, str]) -> None:
        rel = (attrib.get("rel") or "").lower().split()
        lang = (attrib.get("hreflang") or "").strip().lower()
        url = try_normalize(attrib.get("href") or "")
        if "alternate" in rel and lang and url and len(self._alternates) < MAX_ALTERNATES:
            self._alternates.append((lang, url))


def _sitemap_tag(qualified: str) -> str | None:
    """The local name of a sitemaps.org (or unqualified) element; None for any other namespace."""
    namespace, _, local = (
        qualified[1:].rpartition("}") if qualified.startswith("{") else ("", "", qualified)
    )
    return local if namespace in _NAMESPACES else None


class _Stop(ParseError):
    """Stop reading: the document is not a sitemap."""


def _chunks(body: bytes) -> list[bytes] | _Inflater:
    if body.startswith(_GZIP_MAGIC):
        return _Inflater(body)
    return [body[i : i + _CHUNK] for i in range(0, len(body), _CHUNK)]


class _Inflater:
    """Decompress gzip lazily, one bounded chunk at a time."""

    def __init__(self, body: bytes) -> None:
        self.pending = body
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def __iter__(self) -> _Inflater:
        return self

    def __next__(self) -> bytes:
        while True:
            if self.inflater.unconsumed_tail:
                data = self.inflater.unconsumed_tail
            elif self.pending:
                data, self.pending = self.pending, b""
            else:
                rest = self.inflater.flush()
                if rest:
                    return rest
                if not self.inflater.eof:
                    raise zlib.error("the gzip stream is truncated")
                raise StopIteration
            chunk = self.inflater.decompress(data, _CHUNK)
            if chunk:
                return chunk
