"""From a fetched response and its parse result to rows of the crawl dataset (pure)."""

from __future__ import annotations

import re
from typing import Any

from marketloop.crawl.fetch import Response
from marketloop.crawl.frontier import Entry
from marketloop.crawl.records import Extracted, HtmlResult
from marketloop.crawl.urls import host_of, resolve_reference
from marketloop.crawl.writer import Batch

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SECURITY_COLUMNS = {
    "hsts": "strict-transport-security",
    "content_security_policy": "content-security-policy",
    "x_content_type_options": "x-content-type-options",
    "x_frame_options": "x-frame-options",
    "referrer_policy": "referrer-policy",
}
_LINK_VALUE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,]+)"?""", re.I)
_HREFLANG = re.compile(r"""hreflang\s*=\s*"?([^";,\s]+)"?""", re.I)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)


def page_row(entry: Entry, is_internal: bool = True) -> dict[str, Any]:
    return {
        "url": entry.url,
        "host": host_of(entry.url),
        "depth": entry.depth,
        "found_via": entry.via,
        "is_internal": is_internal,
        "blocked_by_robots": False,
    }


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """(`text/html`, `utf-8`) from a Content-Type header, both lower case."""
    if not content_type:
        return None, None
    kind = content_type.split(";", 1)[0].strip().lower() or None
    match = _CHARSET.search(content_type)
    return kind, match.group(1).lower() if match else None


def is_html(response: Response) -> bool:
    kind, _ = media_type(response.headers.get("content-type"))
    if kind is None:  # no Content-Type: sniff like a browser would
        head = response.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))
    return kind in HTML_TYPES


def add_response(row: dict[str, Any], response: Response) -> None:
    headers = response.headers
    kind, charset = media_type(headers.get("content-type"))
    row.update(
        status=response.status,
        error=response.error,
        content_type=kind,
        charset=charset,
        size=response.size if response.status is not None else None,
        response_time_ms=round(response.elapsed_ms, 2) if response.elapsed_ms is not None else None,
        fetched_at=response.fetched_at,
        x_robots_tag=headers.get("x-robots-tag"),
        canonical_header=canonical_from_link_header(headers.get("link"), response.url),
    )
    alternates = hreflang_from_link_header(headers.get("link"), response.url)
    if alternates:  # also for PDFs and other files without a <head> (Google reads these)
        row["hreflang"] = alternates
    for column, header in SECURITY_COLUMNS.items():
        row[column] = headers.get(header)


def canonical_from_link_header(value: str | None, base: str) -> str | None:
    """The rel=canonical target of a Link header, resolved against the page URL."""
    if not value:
        return None
    for target, params in _LINK_VALUE.findall(value):
        rel = _REL.search(params)
        if rel and "canonical" in rel.group(1).lower().split():
            return resolve_reference(base, target)
    return None


def hreflang_from_link_header(value: str | None, base: str) -> list[tuple[str, str]]:
    """(lang, url) of the Link header's `rel=alternate; hreflang=...` entries, resolved."""
    found: list[tuple[str, str]] = []
    for target, params in _LINK_VALUE.findall(value or ""):
        rel, lang = _REL.search(params), _HREFLANG.search(params)
        if rel and lang and "alternate" in rel.group(1).lower().split():
            url = resolve_reference(base, target)
            if url is not None:
                found.append((lang.group(1).lower(), url))
    return found


def add_html(batch: Batch, row: dict[str, Any], result: HtmlResult) -> None:
    """Fill the HTML columns of `row` and add the page's links and images to `batch`."""
    row["charset"] = result.charset
    row["parse_error"] = result.parse_error
    if result.extracted is None:
        return
    extracted: Extracted = result.extracted
    facts = extracted.facts._asdict()  # every fact is a column of the same name, but:
    headings = facts.pop("headings")  # one column per level, h1 ... h6
    facts["hreflang"] = _merged(facts["hreflang"], row.get("hreflang"))  # + the Link header's
    row.update(facts)
    for level, texts in enumerate(headings, start=1):
        row[f"h{level}"] = texts
    links = extracted.links
    batch["links"].extend({"from_url": row["url"], **links._asdict()}, len(links.to_url))
    images = extracted.images
    batch["images"].extend({"page_url": row["url"], **images._asdict()}, len(images.src))
    for found in extracted.custom:
        batch["extractions"].add({"page_url": row["url"], **found._asdict()})


def add_rendered(
    row: dict[str, Any], dom: bool, error: str | None, js_errors: list[str], blocked: list[str]
) -> None:
    """What rendering the page in the browser said; `dom`: whether a rendered DOM came back."""
    row.update(rendered=dom, render_error=error, js_errors=js_errors, blocked_requests=blocked)


def add_raw(row: dict[str, Any], raw: HtmlResult) -> None:
    """A rendered page's facts as the server sent them, before any script ran."""
    if raw.extracted is None:
        return
    facts = raw.extracted.facts
    row.update(
        raw_titles=facts.titles,
        raw_meta_descriptions=facts.meta_descriptions,
        raw_meta_robots=facts.meta_robots,
        raw_canonical=facts.canonical,
        raw_word_count=facts.word_count,
        raw_outlinks_internal=facts.outlinks_internal,
        raw_h1=facts.headings[0],
    )


def _merged(
    from_html: list[tuple[str, str]], from_header: list[tuple[str, str]] | None
) -> list[tuple[str, str]]:
    return from_html + [pair for pair in from_header or [] if pair not in from_html]


def redirect_row(
    url: str, status: int, location: str | None, internal_hosts: frozenset[str]
) -> dict[str, Any]:
    return {
        "url": url,
        "status": status,
        "location": location,
        "is_internal": location is not None and host_of(location) in internal_hosts,
    }
