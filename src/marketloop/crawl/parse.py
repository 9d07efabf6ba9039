"""The pure parse step that runs in the parser processes: a job in, plain records out.

Two kinds of job: an HTML page (bytes + the charset its headers declared + its URL) and a
sitemap (bytes). Nothing here touches the network, the disk or the event loop, and nothing
heavy is imported, so the worker processes stay small.
"""

from __future__ import annotations

import codecs
import re

from marketloop.crawl.extract import extract
from marketloop.crawl.records import HtmlJob, HtmlResult, Job, Result, SitemapJob
from marketloop.crawl.sitemaps import parse_sitemap

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = 2048
BINARY = "binary content served as HTML"
#: signatures of formats that are never HTML: PDF, ZIP (docx, xlsx, epub), GIF, JPEG, gzip,
#: RIFF (WebP, WAV, AVI), MP3 with ID3, PNG
_MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"RIFF",
    b"ID3",
    b"\x89PNG",
)
#: C0 controls other than tab, line feed, form feed and carriage return, and DEL (deleted)
_CONTROLS = dict.fromkeys([*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
#: Python codec names that WHATWG decodes as a superset (browsers never use strict latin-1)
_WHATWG_ALIASES = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}


def handle(job: Job) -> Result:
    if isinstance(job, SitemapJob):
        return parse_sitemap(job.body)
    return parse_html(job)


def parse_html(job: HtmlJob) -> HtmlResult:
    charset = detect_charset(job.body, job.header_charset)
    if _binary_bytes(job.body[:_SNIFF], charset):
        return HtmlResult(charset or "utf-8", None, BINARY)
    charset, text = decode(job.body, charset)
    if _binary_text(text[:_SNIFF]):
        return HtmlResult(charset, None, BINARY)
    try:
        extracted = extract(
            text, job.url, job.internal_hosts, job.x_robots_tag, job.rules, job.rewrite
        )
        return HtmlResult(charset, extracted, None)
    except Exception as exc:  # a parser bug must cost one page, not the crawl
        return HtmlResult(charset, None, f"could not parse HTML: {type(exc).__name__}: {exc}")


def _binary_bytes(head: bytes, charset: str | None) -> bool:
    """A file format's signature, or a NUL byte outside UTF-16."""
    if head.startswith(_MAGIC):
        return True
    return b"\x00" in head and not (charset or "").startswith("utf-16")


def _binary_text(head: str) -> bool:
    """More control characters than text has, or mostly undecodable bytes."""
    if not head:
        return False
    controls = len(head) - len(head.translate(_CONTROLS))
    replaced = head.count("\ufffd")
    return controls > 0.05 * len(head) or controls + replaced > 0.3 * len(head)


def decode(body: bytes, charset: str | None) -> tuple[str, str]:
    """(charset used, text). Without a declaration: UTF-8 if the bytes are valid UTF-8, else
    windows-1252 (what browsers do). Undecodable bytes of a declared charset become U+FFFD."""
    if charset is None:
        try:
            return "utf-8", body.decode("utf-8")
        except UnicodeDecodeError:
            charset = "cp1252"
    return charset, body.decode(charset, "replace")


def detect_charset(body: bytes, header_charset: str | None) -> str | None:
    """The encoding to decode with, as browsers choose it (WHATWG Encoding): a BOM, else the
    Content-Type charset, else `<meta charset>`; None when nothing usable is declared (see
    `decode`). Unknown names fall through to the next source. Labels map as WHATWG says:
    iso-8859-1, latin1 and ascii mean windows-1252, and a `<meta>` naming UTF-16 on a page
    that is read as ASCII bytes means UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match = _META_CHARSET.search(body[:_SNIFF])
    meta = match.group(1).decode("ascii", "replace") if match else None
    for candidate, from_meta in ((header_charset, False), (meta, True)):
        encoding = _encoding(candidate)
        if encoding is not None:
            return "utf-8" if from_meta and encoding.startswith("utf-16") else encoding
    return None


def _encoding(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("'\"")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)
