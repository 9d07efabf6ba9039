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


def handle(job: Job) -> Result:
    if isinstance(job, SitemapJob):
        return parse_sitemap(job.body)
    return parse_html(job)


def parse_html(job: HtmlJob) -> HtmlResult:
    charset = detect_charset(job.body, job.header_charset)
    head = job.body[:_SNIFF]
    if b"\x00" in head and not charset.startswith("utf-16"):
        return HtmlResult(charset, None, "binary content served as HTML")
    text = job.body.decode(charset, "replace")
    try:
        extracted = extract(text, job.url, job.internal_hosts, job.x_robots_tag)
        return HtmlResult(charset, extracted, None)
    except Exception as exc:  # a parser bug must cost one page, not the crawl
        return HtmlResult(charset, None, f"could not parse HTML: {type(exc).__name__}: {exc}")


def detect_charset(body: bytes, header_charset: str | None) -> str:
    """The encoding to decode with: BOM, else the Content-Type charset, else `<meta charset>`,
    else UTF-8. Unknown names fall through to the next source."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    candidates = [header_charset]
    match = _META_CHARSET.search(body[:_SNIFF])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    for candidate in candidates:
        if candidate:
            try:
                return codecs.lookup(candidate.strip().strip("'\"")).name
            except LookupError:
                continue
    return "utf-8"
