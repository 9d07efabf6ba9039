from __future__ import annotations

import gzip

import pytest

from marketloop.crawl import sitemaps
from marketloop.crawl.robots import rules_from_response
from marketloop.crawl.sitemaps import parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
URLSET = (
    f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>'
    "<url><loc> https://a.test/x </loc><lastmod>2024-01-01</lastmod></url>"
    "<url><loc>https://a.test/caf\u00e9</loc></url><url><loc>not a url</loc></url></urlset>"
).encode()
INDEX = f"<sitemapindex {NS}><sitemap><loc>https://a.test/s1.xml</loc></sitemap></sitemapindex>".encode()


@pytest.mark.parametrize("body", [URLSET, gzip.compress(URLSET)], ids=["xml", "gzip"])
def test_urlset(body: bytes) -> None:
    doc = parse_sitemap(body)
    assert doc.kind == "urlset"
    assert doc.locs == ["https://a.test/x", "https://a.test/caf%C3%A9"]
    assert doc.lastmods == ["2024-01-01", None]
    assert doc.url_count == 3  # every <loc> counts toward the 50,000 limit, valid or not
    assert doc.size == len(URLSET)
    assert doc.error is None


def test_index() -> None:
    doc = parse_sitemap(INDEX)
    assert (doc.kind, doc.locs, doc.error) == ("sitemapindex", ["https://a.test/s1.xml"], None)


def test_counts_beyond_the_protocol_limit() -> None:
    body = (
        f"<urlset {NS}>".encode() + b"<url><loc>https://a.test/</loc></url>" * 50_001 + b"</urlset>"
    )
    doc = parse_sitemap(gzip.compress(body))
    assert doc.url_count == 50_001


@pytest.mark.parametrize(
    ("body", "kind", "error"),
    [
        (b"<html><body>Not a sitemap</body></html>", "invalid", "root element <html>"),
        (b"", "invalid", "malformed XML"),
        (
            f"<urlset {NS}><url><loc>https://a.test/1</loc></url><url><loc>".encode(),
            "urlset",
            "malformed XML",
        ),
        (b"\x1f\x8b\x08\x00garbage", "invalid", "invalid gzip data"),
        (gzip.compress(URLSET)[:40], "invalid", "truncated"),
        (b"\x00\x01\x02binary", "invalid", "malformed XML"),
    ],
)
def test_invalid_sitemaps_are_described_not_raised(
    body: bytes, kind: str, error: str | None
) -> None:
    doc = parse_sitemap(body)
    assert doc.kind == kind
    if error:
        assert doc.error is not None and error in doc.error


def test_truncated_urlset_keeps_the_entries_before_the_break() -> None:
    doc = parse_sitemap(f"<urlset {NS}><url><loc>https://a.test/1</loc></url><url><loc>".encode())
    assert doc.locs == ["https://a.test/1"]


def test_gzip_bomb_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemaps, "MAX_UNCOMPRESSED", 2**20)
    doc = parse_sitemap(gzip.compress(b" " * 2**22))
    assert doc.size <= 2**20 + 2**16
    assert doc.error is not None and "stopped" in doc.error


ROBOTS = (
    b"User-agent: *\nDisallow: /private/\nAllow: /private/ok\n\n"
    b"User-agent: marketloop\nDisallow: /ml-only/\nSitemap: https://a.test/s.xml\n"
)


@pytest.mark.parametrize(
    ("status", "body", "url", "allowed"),
    [
        (200, ROBOTS, "https://a.test/private/x", True),  # our group has no /private/ rule
        (200, ROBOTS, "https://a.test/ml-only/x", False),
        (200, b"User-agent: *\nDisallow: /private/\n", "https://a.test/private/x", False),
        (200, b"\x89PNG\x00garbage <html>", "https://a.test/anything", True),
        (404, b"", "https://a.test/anything", True),
        (403, b"", "https://a.test/anything", True),
        (429, b"", "https://a.test/anything", False),
        (503, b"", "https://a.test/anything", False),
        (None, b"", "https://a.test/anything", True),
    ],
)
def test_robots_rules(status: int | None, body: bytes, url: str, allowed: bool) -> None:
    rules = rules_from_response(
        "https://a.test", status, body, "timeout" if status is None else None
    )
    assert rules.allowed(url, "marketloop/0.1 (+https://x)") is allowed


def test_robots_sitemaps_and_notes() -> None:
    assert rules_from_response("https://a.test", 200, ROBOTS, None).sitemaps == [
        "https://a.test/s.xml"
    ]
    note = rules_from_response("https://a.test", 503, b"", None).note
    assert note is not None and "503" in note and "--ignore-robots" in note


@pytest.mark.parametrize("error", ["timeout", "connection_reset", "payload_error"])
def test_robots_body_that_broke_off_disallows_the_origin_with_a_note(error: str) -> None:
    rules = rules_from_response("https://a.test", 200, b"User-agent: *\nDisal", error)
    assert not rules.allowed("https://a.test/anything", "marketloop")
    assert rules.note is not None and error in rules.note and "--ignore-robots" in rules.note


def test_robots_body_over_the_cap_is_read_not_refused() -> None:
    body = b"User-agent: *\nDisallow: /private/\n" + b"#" * 600_000
    rules = rules_from_response("https://a.test", 200, body, "too_large")
    assert (rules.disallow_all, rules.note) == (False, None)
    assert not rules.allowed("https://a.test/private/x", "marketloop")


YOAST = (
    f'<urlset {NS} xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
    "<url><loc>https://a.test/post</loc><lastmod>2024-02-02</lastmod>"
    '<xhtml:link rel="alternate" hreflang="de" href="https://a.test/de/post"/>'
    "<image:image><image:loc>https://a.test/img/1.jpg</image:loc></image:image>"
    "<image:image><image:loc>https://a.test/img/2.jpg</image:loc></image:image></url>"
    "<url><loc>https://a.test/other</loc></url></urlset>"
).encode()


def test_image_and_alternate_extensions_do_not_replace_the_page_loc() -> None:
    doc = parse_sitemap(YOAST)
    assert doc.locs == ["https://a.test/post", "https://a.test/other"]
    assert doc.lastmods == ["2024-02-02", None]
    assert (doc.url_count, doc.error) == (2, None)
