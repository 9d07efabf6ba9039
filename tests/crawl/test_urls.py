from __future__ import annotations

import pytest

from marketloop.crawl.urls import InvalidUrl, PageUrls, normalize, origin_of, url_hash

NORMAL_FORMS = [
    ("HTTP://Example.COM", "http://example.com/"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com/a#section", "https://example.com/a"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/Case/Stays", "https://example.com/Case/Stays"),
    ("https://example.com/café/ü", "https://example.com/caf%C3%A9/%C3%BC"),
    ("https://example.com/a b?q=x y", "https://example.com/a%20b?q=x%20y"),
    ("https://example.com/%7euser/%2f%3f", "https://example.com/~user/%2F%3F"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://EXAMPLE.com./x", "https://example.com/x"),
    ("https://user:secret@example.com/x", "https://example.com/x"),
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("https://example.com/?b=2&a=1", "https://example.com/?b=2&a=1"),
    ("http://x.test/a/%2E%2E/b", "http://x.test/b"),  # escaped dots are dot segments
    ("http://x.test/a/%2e/b/.%2E/c", "http://x.test/a/c"),
    ("http://x.test/a%2Fb/../c", "http://x.test/c"),  # an escaped slash is not a separator
]


@pytest.mark.parametrize(("raw", "expected"), NORMAL_FORMS)
def test_normal_form(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
    assert normalize(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://example.com/",
        "mailto:a@b.c",
        "example.com/x",
        "https://",
        "http://[::1/",
        "http://a b/",
    ],
)
def test_not_fetchable_urls_are_invalid(raw: str) -> None:
    with pytest.raises(InvalidUrl):
        normalize(raw)


RESOLUTIONS = [
    ("https://a.com/blog/post/", None, "../x", "https://a.com/blog/x"),
    ("https://a.com/blog/post/", None, "y", "https://a.com/blog/post/y"),
    ("https://a.com/blog/post", None, "y", "https://a.com/blog/y"),
    ("https://a.com/blog/post/", None, "/abs", "https://a.com/abs"),
    ("https://a.com/blog/post/", None, "//cdn.b.com/i.png", "https://cdn.b.com/i.png"),
    ("http://a.com/", None, "//a.com/x", "http://a.com/x"),
    ("https://a.com/p?x=1", None, "?q=2", "https://a.com/p?q=2"),
    ("https://a.com/p", None, "/q#frag", "https://a.com/q"),
    ("https://a.com/p", None, "HTTPS://B.com/Z", "https://b.com/Z"),
    ("https://a.com/p", None, "  /spaced  ", "https://a.com/spaced"),
    ("https://a.com/x/y", "/base/dir/", "z", "https://a.com/base/dir/z"),
    ("https://a.com/x/y", "https://cdn.a.com/root/", "z", "https://cdn.a.com/root/z"),
    ("https://a.com/p", None, "#only", None),
    ("https://a.com/p", None, "", None),
    ("https://a.com/p", None, "mailto:x@a.com", None),
    ("https://a.com/p", None, "javascript:void(0)", None),
    ("https://a.com/p", None, "tel:+1555", None),
    ("https://a.com/p", None, "data:image/png;base64,AAAA", None),
    ("https://a.com/p", None, "http://[::1/", None),
]


@pytest.mark.parametrize(("page", "base", "href", "expected"), RESOLUTIONS)
def test_references_resolve_against_the_page_or_base(
    page: str, base: str | None, href: str, expected: str | None
) -> None:
    assert PageUrls(page, base).resolve(href) == expected


def test_hash_is_stable_signed_64_bit() -> None:
    value = url_hash("https://a.com/")
    assert value == url_hash("https://a.com/")
    assert -(2**63) <= value < 2**63
    assert value != url_hash("https://a.com/x")


def test_origin() -> None:
    assert origin_of("https://a.com:8443/x?y") == "https://a.com:8443"
