"""What the parse step records for crafted documents (stored under cases/html/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.crawl.parse import HtmlJob, detect_charset, parse_html

CASES = Path(__file__).parent / "cases" / "html"
URL = "https://acme.test/pricing/"
INTERNAL = frozenset({"acme.test"})


def parse(body: bytes, url: str = URL, charset: str | None = None):  # type: ignore[no-untyped-def]
    return parse_html(HtmlJob(url, body, charset, INTERNAL))


@pytest.fixture(scope="module")
def article():  # type: ignore[no-untyped-def]
    result = parse((CASES / "article.html").read_bytes())
    assert result.parse_error is None
    return result.extracted


def test_head(article) -> None:  # type: ignore[no-untyped-def]
    facts = article.facts
    assert facts.titles == ["Pricing plans | Acme"]  # the svg <title> is not a page title
    assert facts.meta_descriptions == ["Plans for teams of every size.", "A second description."]
    assert facts.meta_robots == "noindex, follow, noarchive"
    assert facts.canonical == URL
    assert facts.canonical_count == 1
    assert facts.hreflang == [("de-de", "https://acme.test/de/preise/"), ("x-default", URL)]
    assert facts.og == [("og:title", "Pricing"), ("og:image", "https://acme.test/og.png")]
    assert facts.lang == "en-GB"
    assert facts.headings == [["Pricing plans"], ["Team"], ["Details"], [], [], []]


def test_jsonld_types_and_errors(article) -> None:  # type: ignore[no-untyped-def]
    assert article.facts.jsonld_types == ["Product", "Thing", "Organization", "WebSite"]
    errors = article.facts.jsonld_errors
    assert len(errors) == 3
    assert errors[0].startswith("block 3: invalid JSON")
    assert errors[1] == "block 4: no @context"
    assert errors[2] == "block 5: not a JSON object"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("<p>An e-mail about don't and 3.5% off</p>", 7),
        ("<p>Price | Plans – Team</p>", 3),
        ("<p>caf\u00e9 na\u00efve \u00fcber</p>", 3),
    ],
)
def test_words_are_whitespace_separated_tokens(text: str, count: int) -> None:
    body = f"<html><body><main>{text}</main></body></html>".encode()
    assert parse(body).extracted.facts.word_count == count


def test_main_content_words_leave_out_nav_header_footer_aside_and_scripts(article) -> None:  # type: ignore[no-untyped-def]
    # h1 (2) + sentence (10) + Team, Details (2) + "Talk to sales and follow us" (6)
    # + "this very page" (3); image alts, svg text, the aside and scripts are not counted
    assert article.facts.word_count == 23
    assert article.facts.content_hash is not None
    assert article.facts.simhash is not None


def test_links(article) -> None:  # type: ignore[no-untyped-def]
    links = article.links
    rows = list(
        zip(
            links.to_url,
            links.kind,
            links.anchor,
            links.nofollow,
            links.is_internal,
            links.in_main,
            strict=True,
        )
    )
    assert ("https://acme.test/", "a", "Acme home", False, True, False) in rows
    assert ("https://acme.test/product/", "a", "Product words in nav", False, True, False) in rows
    assert ("https://acme.test/contact/", "a", "Talk to sales", True, True, True) in rows
    assert ("https://twitter.com/acme", "a", "follow us", False, False, True) in rows
    assert ("https://acme.test/pricing/faq/", "a", "Pricing FAQ", False, True, True) in rows
    assert ("https://acme.test/blog/", "a", "Blog", False, True, False) in rows  # aside
    assert ("https://acme.test/legal/", "a", "Legal", False, True, False) in rows  # footer
    kinds = {(t, k) for t, k, *_ in rows if k != "a"}
    assert kinds == {
        ("http://cdn.acme.test/site.css", "stylesheet"),
        ("https://acme.test/static/app.js", "script"),
        ("https://www.youtube.com/embed/x", "iframe"),
        ("https://acme.test/subscribe/", "form"),
    }
    assert not any("mailto" in t for t in links.to_url)
    assert article.facts.outlinks_internal == 6  # a-links to other internal URLs
    assert article.facts.outlinks_external == 1


def test_images_and_discoveries(article) -> None:  # type: ignore[no-untyped-def]
    images = list(zip(*article.images, strict=True))
    assert ("https://acme.test/pricing/hero.png", None, None, None, True) in images
    assert ("https://cdn.acme.test/banner.png", "", "10", "10", False) in images
    discovered = dict(article.discovered)
    assert discovered["https://acme.test/contact/"] == "link"
    assert discovered["https://acme.test/pricing/hero.png"] == "image"
    assert discovered["https://acme.test/de/preise/"] == "hreflang"
    assert URL not in discovered  # never the page itself
    assert "https://twitter.com/acme" not in discovered  # external


def test_images_inside_noscript_are_not_recorded() -> None:
    # a lazy-loading fallback and a tracking pixel: browsers running scripts load neither
    body = (
        b"<body><img src='/lazy.png' alt='Chart'><noscript><img src='/chart.png'></noscript>"
        b"<p><noscript><img height=1 width=1 src='https://www.facebook.com/tr?id=1'>"
        b"</noscript></p></body>"
    )
    assert parse(body).extracted.images.src == ["https://acme.test/lazy.png"]


@pytest.mark.parametrize(
    ("img", "src"),
    [
        ("<img data-src='/a.jpg' alt=A>", "https://acme.test/a.jpg"),
        ("<img src='data:image/gif;base64,R0lGOD' data-src='/a.jpg'>", "https://acme.test/a.jpg"),
        ("<img src='/img/placeholder.svg' data-src='/a.jpg'>", "https://acme.test/a.jpg"),
        ("<img src='/blank.gif' data-lazy-src='/a.jpg'>", "https://acme.test/a.jpg"),
        ("<img src='/real.jpg' data-src='/a-2x.jpg'>", "https://acme.test/real.jpg"),
    ],
)
def test_lazy_loaded_images_are_recorded_by_their_data_src(img: str, src: str) -> None:
    assert parse(f"<body>{img}</body>".encode()).extracted.images.src == [src]


def test_a_canonical_in_the_body_is_ignored() -> None:
    body = (
        b"<html><head><title>T</title></head><body><p>text</p>"
        b"<link rel=canonical href='/elsewhere/'></body></html>"
    )
    facts = parse(body).extracted.facts
    assert (facts.canonical, facts.canonical_count) == (None, 0)


@pytest.mark.parametrize(
    ("link", "anchor"),
    [
        (b"<a href='/cart' aria-label='Shopping cart'><svg></svg></a>", "Shopping cart"),
        (b"<a href='/cart' title=' Your  cart '><i class='icon'></i></a>", "Your cart"),
        (b"<a href='/cart' aria-label='Cart' title='Basket'><img src=c.png alt=Bag></a>", "Cart"),
        (b"<a href='/cart' title='Basket'><img src=c.png alt=Bag></a>", "Basket"),
        (b"<a href='/cart' aria-label=' '><img src=c.png alt='Bag'></a>", "Bag"),
        (b"<a href='/cart' aria-label='Cart'>View cart</a>", "View cart"),  # text comes first
        (b"<a href='/cart'><i class='icon'></i></a>", ""),
    ],
)
def test_an_anchor_without_text_falls_back_to_its_accessible_name(link: bytes, anchor: str) -> None:
    assert parse(b"<body>" + link + b"</body>").extracted.links.anchor == [anchor]


def test_stylesheet_rel_is_a_case_insensitive_token() -> None:
    body = (
        b"<head><link rel='StyleSheet' href='http://cdn.acme.test/a.css'>"
        b"<link rel='Alternate STYLESHEET' href='/b.css'>"
        b"<link rel='stylesheets-list' href='/c.css'><link rel=icon href='/d.ico'></head>"
    )
    links = parse(body).extracted.links
    assert list(zip(links.to_url, links.kind, links.rel, strict=True)) == [
        ("http://cdn.acme.test/a.css", "stylesheet", "stylesheet"),
        ("https://acme.test/b.css", "stylesheet", "alternate stylesheet"),
    ]


def test_base_href_changes_resolution() -> None:
    body = (
        b"<head><base href='https://acme.test/docs/v2/'></head><body><a href='intro'>In</a></body>"
    )
    links = parse(body).extracted.links
    assert links.to_url == ["https://acme.test/docs/v2/intro"]


@pytest.mark.parametrize(
    ("meta", "header", "nofollow"),
    [
        ("none", None, True),
        ("NOINDEX,NONE", None, True),
        ("noindex", None, False),
        ("nofollowing-is-not-a-directive", None, False),
        (None, "nofollow", True),
        (None, "noindex, NoFollow", True),
        (None, "none", True),
        (None, "googlebot: nofollow", True),
        (None, "otherbot: nofollow", False),
        (None, "otherbot: noindex, nofollow, googlebot: noarchive", False),
        (None, "otherbot: noindex, googlebot: none", True),
        (None, "unavailable_after: 2030-01-01, nofollow", True),
    ],
)
def test_nofollow_from_meta_robots_and_the_x_robots_tag_header(
    meta: str | None, header: str | None, nofollow: bool
) -> None:
    tag = f"<meta name=robots content='{meta}'>" if meta else ""
    body = f"<html><head>{tag}</head><body><a href='/a'>A</a></body></html>".encode()
    result = parse_html(HtmlJob(URL, body, None, INTERNAL, header))
    assert result.extracted.links.nofollow == [nofollow]


def test_meta_nofollow_makes_every_link_nofollow() -> None:
    body = b"<meta name=robots content=nofollow><a href='/a'>A</a><a href='/b'>B</a>"
    assert parse(body).extracted.links.nofollow == [True, True]


def test_without_main_the_body_minus_chrome_is_the_content() -> None:
    body = b"<header>one two</header><nav>three</nav><p>four five six</p><footer>seven</footer>"
    assert parse(body).extracted.facts.word_count == 3


def test_same_text_with_different_markup_has_the_same_hash() -> None:
    a = parse(b"<main><p>Hello   World, again</p></main>").extracted.facts
    b = parse(b"<main><div>hello <b>world</b> again</div></main>").extracted.facts
    assert a.content_hash == b.content_hash
    assert a.simhash == b.simhash


def test_binary_served_as_html_is_a_parse_error_not_a_crash() -> None:
    result = parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    assert result.extracted is None
    assert result.parse_error == "binary content served as HTML"


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 40


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (PDF, None),
        (PDF, "utf-8"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"word/document.xml" * 50, None),
        (b"GIF89a\x01\x00\x01\x00\x80\x01\x00" + b"<p>" * 50, None),
        (b"\xff\xd8\xff\xe0\x10JFIF" + b"x" * 500, "utf-8"),
        (bytes(b % 0x1F + 1 for b in range(3000)), "utf-8"),  # control characters, no NUL
        (bytes(0x80 + b % 0x40 for b in range(3000)), "utf-8"),  # nothing decodes
    ],
    ids=["pdf", "pdf-utf8", "zip", "gif", "jpeg", "controls", "undecodable"],
)
def test_binary_without_nul_bytes_is_recognised(body: bytes, charset: str | None) -> None:
    result = parse(body, charset=charset)
    assert (result.extracted, result.parse_error) == (None, "binary content served as HTML")


def test_a_page_with_a_few_bad_bytes_is_still_html() -> None:
    body = "<title>Café</title><p>".encode("latin-1") + b"text " * 300
    assert parse(body, charset="utf-8").parse_error is None


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        (b"<meta charset='iso-8859-1'><p>caf\xe9</p>", None, "cp1252"),  # WHATWG: a superset
        (b"<meta charset='latin1'>", None, "cp1252"),
        (b"<meta charset='US-ASCII'>", None, "cp1252"),
        (b"<p>x</p>", "iso-8859-1", "cp1252"),
        (b"<meta charset='utf-16'><p>x</p>", None, "utf-8"),  # ASCII bytes: not really UTF-16
        (b"<meta charset='UTF-16LE'><p>x</p>", None, "utf-8"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
            None,
            "cp1252",
        ),
        (b"<p>x</p>", "utf-8", "utf-8"),
        (b"<meta charset='latin-1'>", "utf-8", "utf-8"),  # the header wins
        (b"<p>x</p>", "no-such-charset", None),  # undeclared: decided by the bytes
        (b"\xef\xbb\xbf<p>x</p>", "latin-1", "utf-8"),  # a BOM wins over everything
        (b"<p>x</p>", None, None),
    ],
)
def test_charset_detection(body: bytes, header: str | None, expected: str | None) -> None:
    assert detect_charset(body, header) == expected


@pytest.mark.parametrize(
    ("body", "charset", "title"),
    [
        ("<title>Naïve “quotes” – ok</title>".encode(), "utf-8", "Naïve “quotes” – ok"),
        ("<title>Naïve “quotes” – ok</title>".encode("cp1252"), "cp1252", "Naïve “quotes” – ok"),
        (b"<meta charset=utf-16><title>Plain</title>", "utf-8", "Plain"),
        ("<meta charset=iso-8859-1><title>“x”</title>".encode("cp1252"), "cp1252", "“x”"),
    ],
    ids=["undeclared-utf8", "undeclared-cp1252", "meta-utf16", "latin1-is-cp1252"],
)
def test_pages_decode_as_browsers_decode_them(body: bytes, charset: str, title: str) -> None:
    result = parse(body)
    assert (result.charset, result.extracted.facts.titles) == (charset, [title])


def test_wrong_charset_decodes_with_replacement_instead_of_failing() -> None:
    body = "<title>Café Müller</title>".encode("latin-1")
    result = parse(body, charset="utf-8")
    assert result.extracted.facts.titles == ["Caf\ufffd M\ufffdller"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<",
        b"<html><head><title>unclosed <b>tags</title><body><div><p><table><tr><td>x</div></span>",
        b"<a href='http://[::1'>bad url</a><img src='javascript:x'>",
        b"<!-- comment only -->",
        ("<p>" + "deep " * 10 + "<div>" * 5000 + "</p>").encode(),
    ],
)
def test_malformed_html_never_crashes(body: bytes) -> None:
    result = parse(body)
    assert result.parse_error is None
    assert result.extracted is not None


HOSTILE_JSONLD = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"@context": "https://schema.org", "n": ' + "9" * 5000 + "}", "invalid JSON"),
]


@pytest.mark.parametrize(("block", "reason"), HOSTILE_JSONLD, ids=["deep", "long-int"])
def test_one_unreadable_jsonld_block_costs_only_that_block(block: str, reason: str) -> None:
    good = '{"@context": "https://schema.org", "@type": "Article"}'
    body = (
        "<html><head><title>Kept</title>"
        f'<script type="application/ld+json">{block}</script>'
        f'<script type="application/ld+json">{good}</script></head>'
        '<body><h1>Still read</h1><a href="/next/">next</a></body></html>'
    ).encode()
    result = parse(body)
    assert result.parse_error is None
    facts = result.extracted.facts
    assert (facts.titles, facts.jsonld_types) == (["Kept"], ["Article"])
    assert len(facts.jsonld_errors) == 1
    assert (
        facts.jsonld_errors[0].startswith("block 1: invalid JSON")
        and reason in facts.jsonld_errors[0]
    )
    assert result.extracted.links.to_url == ["https://acme.test/next/"]


def test_hreflang_from_the_link_header_joins_the_html_ones() -> None:
    from marketloop.crawl.fetch import Response
    from marketloop.crawl.rows import add_html, add_response
    from marketloop.crawl.writer import Batch

    link = (
        '</de/preise/>; rel="alternate"; hreflang="de-DE", '
        "<https://acme.test/pricing/>; rel=alternate; hreflang=x-default, "
        '</pricing/>; rel="canonical", </fr/>; rel=alternate'
    )
    response = Response(URL, "GET", 200, {"content-type": "text/html", "link": link})
    row: dict[str, object] = {"url": URL}
    add_response(row, response)
    assert row["hreflang"] == [("de-de", "https://acme.test/de/preise/"), ("x-default", URL)]
    body = b"<html><head><link rel=alternate hreflang=x-default href='/pricing/'></head></html>"
    add_html(Batch(), row, parse(body))
    assert row["hreflang"] == [("x-default", URL), ("de-de", "https://acme.test/de/preise/")]
