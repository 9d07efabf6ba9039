"""What the crawl dataset records about one HTML document (pure: bytes + url → records).

Runs inside the parser processes (see `crawl/pool.py`), so it imports only selectolax, the
standard library and the small pure modules beside it. The results are compact named tuples of
plain lists, cheap to pickle across the process boundary and to append to Arrow columns.

The *main content* is the first `<main>` (or `[role=main]`), else the only `<article>`, else
`<body>` without `<header>`/`<footer>`; in every case without `<nav>`, `<aside>`, scripts and
styles. Word count, content hash and SimHash are taken over its text, and a link's `in_main`
says whether the link sits in it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from marketloop.crawl import jsonld
from marketloop.crawl.custom import run_rules
from marketloop.crawl.records import (
    Extracted,
    ExtractRule,
    HtmlFacts,
    ImageColumns,
    LinkColumns,
    RewriteRules,
)
from marketloop.crawl.rewrite import Rewriter, rewriter
from marketloop.crawl.textsig import signature
from marketloop.crawl.urls import PageUrls, host_of

_NOFOLLOW = frozenset({"nofollow", "none"})
_ROBOTS_SPLIT = re.compile(r"[\s,]+")
_AGENT = re.compile(r"^([a-z0-9_.-]+)\s*:")
_VALUED_DIRECTIVES = frozenset(
    {"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"}
)
_PLACEHOLDER = re.compile(r"(placeholder|blank|spacer|transparent|pixel|lazy)[^/]*$", re.I)
_CHROME_ALWAYS = ("nav", "aside")
_CHROME_OUTSIDE_MAIN = ("header", "footer")
_NOT_TEXT = ("script", "style", "noscript", "template", "svg")
_RESOURCES = (
    ("script[src]", "src", "script"),
    ("link[href]", "href", "stylesheet"),
    ("iframe[src]", "src", "iframe"),
    ("video[src], audio[src], source[src], embed[src]", "src", "media"),
    ("form[action]", "action", "form"),
)


def extract(
    html: str,
    url: str,
    internal_hosts: frozenset[str],
    x_robots_tag: str | None = None,
    rules: tuple[ExtractRule, ...] = (),
    rewrite: RewriteRules | None = None,
) -> Extracted:
    """The page's records; `rules` are custom extractions, `rewrite` the URL rewriting applied
    to every reference found (a link keeps its URL before rewriting in `original_url`)."""
    tree = LexborHTMLParser(html)
    head = _head(tree)
    urls = _Resolver(url, head.base_href, rewriter(rewrite))
    nofollow_all = robots_nofollow(head.meta_robots, x_robots_tag)
    canonicals = [c for c in (urls.resolve(h) for h in head.canonical_hrefs) if c]
    hreflang = [(lang, u) for lang, h in head.hreflang if (u := urls.resolve(h))]
    region, chrome = _main_region(tree)
    main_ids = {n.mem_id for n in region.css("a[href], area[href]")} if region else set()
    chrome_ids = {
        n.mem_id for n in tree.css(", ".join(f"{t} a[href], {t} area[href]" for t in chrome))
    }
    links = LinkColumns([], [], [], [], [], [], [], [])
    discovered: dict[str, str] = {}
    for node in tree.css("a[href], area[href]"):
        target = urls.resolve(node.attributes.get("href") or "")
        if target is None:
            continue
        rel = (node.attributes.get("rel") or "").lower() or None
        internal = host_of(target) in internal_hosts
        _add_link(links, target, "a", anchor=_anchor(node), rel=rel, internal=internal)
        links.original_url[-1] = urls.original
        links.nofollow[-1] = nofollow_all or (rel is not None and "nofollow" in rel.split())
        links.in_main[-1] = node.mem_id in main_ids and node.mem_id not in chrome_ids
        if internal and target != url:
            discovered.setdefault(target, "link")
    _resources(tree, urls, internal_hosts, links)
    images = _images(tree, urls, internal_hosts, url, discovered)
    for target in canonicals[:1]:
        if host_of(target) in internal_hosts and target != url:
            discovered.setdefault(target, "canonical")
    for _, target in hreflang:
        if host_of(target) in internal_hosts and target != url:
            discovered.setdefault(target, "hreflang")
    headings = [[_text(n) for n in tree.css(f"h{level}")] for level in range(1, 7)]
    custom, warnings = run_rules(tree, html, rules) if rules else ([], [])
    tree.strip_tags([*_NOT_TEXT, *chrome])
    sig = signature(region.text(separator=" ", strip=True) if region else "")
    internal_a = external_a = 0
    for kind, target, internal in zip(links.kind, links.to_url, links.is_internal, strict=True):
        if kind == "a":
            internal_a += internal and target != url
            external_a += not internal
    facts = HtmlFacts(
        titles=head.titles,
        meta_descriptions=head.descriptions,
        meta_robots=head.meta_robots,
        canonical=canonicals[0] if canonicals else None,
        canonical_count=len(head.canonical_hrefs),
        hreflang=hreflang,
        headings=headings,
        word_count=sig.word_count,
        content_hash=sig.content_hash,
        simhash=sig.simhash,
        minhash=sig.minhash,
        jsonld_types=head.jsonld_types,
        jsonld_errors=head.jsonld_errors,
        og=head.og,
        lang=head.lang,
        outlinks_internal=internal_a,
        outlinks_external=external_a,
    )
    warnings += urls.rewrite.drain()  # a replace rule out of time on a reference
    return Extracted(facts, links, images, list(discovered.items()), custom, tuple(warnings))


class _Resolver:
    """`PageUrls.resolve`, then the crawl's URL rewriting; `original` is the URL before the
    rewriting of the last reference resolved, when a rule changed it (else None)."""

    __slots__ = ("original", "page", "rewrite")

    def __init__(self, url: str, base_href: str | None, rewrite: Rewriter) -> None:
        self.page = PageUrls(url, base_href)
        self.rewrite = rewrite
        self.original: str | None = None

    def resolve(self, href: str) -> str | None:
        found = self.page.resolve(href)
        if found is None or not self.rewrite.active:
            self.original = None
            return found
        target = self.rewrite(found)
        self.original = found if target != found else None
        return target


class _Head(NamedTuple):
    titles: list[str]
    descriptions: list[str]
    meta_robots: str | None
    canonical_hrefs: list[str]
    hreflang: list[tuple[str, str]]
    base_href: str | None
    og: list[tuple[str, str]]
    lang: str | None
    jsonld_types: list[str]
    jsonld_errors: list[str]


def _head(tree: LexborHTMLParser) -> _Head:
    titles = [_text(n) for n in tree.css("title") if not _inside(n, "svg")]
    descriptions: list[str] = []
    robots: list[str] = []
    og: dict[str, str] = {}
    for meta in tree.css("meta"):
        attrs = meta.attributes
        name = (attrs.get("name") or "").strip().lower()
        content = attrs.get("content")
        if name == "description":
            descriptions.append(" ".join((content or "").split()))
        elif name in ("robots", "googlebot") and content:
            robots.extend(t.strip().lower() for t in content.split(",") if t.strip())
        prop = (attrs.get("property") or "").strip().lower()
        if prop.startswith("og:") and content is not None:
            og.setdefault(prop, content.strip())
    canonical_hrefs: list[str] = []
    hreflang: list[tuple[str, str]] = []
    for link in tree.css("link[rel][href]"):
        rel = (link.attributes.get("rel") or "").lower().split()
        href = link.attributes.get("href") or ""
        if "canonical" in rel and _inside(link, "head"):  # Google ignores one in <body>
            canonical_hrefs.append(href)
        lang = link.attributes.get("hreflang")
        if "alternate" in rel and lang:
            hreflang.append((lang.strip().lower(), href))
    base = tree.css_first("base[href]")
    html = tree.css_first("html")
    scripts = [n.text() for n in tree.css('script[type="application/ld+json" i]')]
    types, errors = jsonld.inspect(scripts)
    return _Head(
        titles=titles,
        descriptions=descriptions,
        meta_robots=", ".join(dict.fromkeys(robots)) or None,
        canonical_hrefs=canonical_hrefs,
        hreflang=hreflang,
        base_href=base.attributes.get("href") if base else None,
        og=list(og.items()),
        lang=((html.attributes.get("lang") or "").strip() or None) if html else None,
        jsonld_types=types,
        jsonld_errors=errors,
    )


def robots_nofollow(meta_robots: str | None, x_robots_tag: str | None) -> bool:
    """Whether `nofollow` or `none` applies to every link of the page: in meta robots/googlebot
    (any token), or in the X-Robots-Tag header for every crawler or for Googlebot (a directive
    after `otherbot:` belongs to that crawler up to the next user agent)."""
    if _NOFOLLOW & set(_ROBOTS_SPLIT.split((meta_robots or "").lower())):
        return True
    agent: str | None = None
    for token in (t.strip() for t in (x_robots_tag or "").lower().split(",")):
        directive = token
        named = _AGENT.match(token)
        if named and named.group(1) not in _VALUED_DIRECTIVES:
            agent, directive = named.group(1), token[named.end() :].strip()
        if directive in _NOFOLLOW and agent in (None, "googlebot"):
            return True
    return False


def _main_region(tree: LexborHTMLParser) -> tuple[LexborNode | None, tuple[str, ...]]:
    """The main-content node, and the chrome tags to leave out of it."""
    region = tree.css_first("main") or tree.css_first('[role="main"]')
    if region is not None:
        return region, _CHROME_ALWAYS
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0], _CHROME_ALWAYS
    return tree.body, _CHROME_ALWAYS + _CHROME_OUTSIDE_MAIN


def _resources(
    tree: LexborHTMLParser, urls: _Resolver, internal_hosts: frozenset[str], links: LinkColumns
) -> None:
    for selector, attribute, kind in _RESOURCES:
        for node in tree.css(selector):
            rel = (node.attributes.get("rel") or "").lower() or None
            if kind == "stylesheet" and "stylesheet" not in (rel or "").split():
                continue  # rel is a set of case-insensitive tokens: StyleSheet counts
            target = urls.resolve(node.attributes.get(attribute) or "")
            if target is None:
                continue
            internal = host_of(target) in internal_hosts
            _add_link(links, target, kind, anchor=None, rel=rel, internal=internal)
            links.original_url[-1] = urls.original


def _add_link(
    links: LinkColumns,
    target: str,
    kind: str,
    *,
    anchor: str | None,
    rel: str | None,
    internal: bool,
) -> None:
    links.to_url.append(target)
    links.kind.append(kind)
    links.anchor.append(anchor)
    links.rel.append(rel)
    links.nofollow.append(False)
    links.is_internal.append(internal)
    links.in_main.append(False)
    links.original_url.append(None)


def _images(
    tree: LexborHTMLParser,
    urls: _Resolver,
    internal_hosts: frozenset[str],
    page_url: str,
    discovered: dict[str, str],
) -> ImageColumns:
    images = ImageColumns([], [], [], [], [])
    for node in tree.css("img"):  # a selector list would return an img matching two twice
        src = urls.resolve(_image_source(node))
        if src is None or _inside(node, "noscript"):  # a browser running scripts never loads it
            continue
        internal = host_of(src) in internal_hosts
        images.src.append(src)
        images.alt.append(node.attributes.get("alt"))
        images.width.append(node.attributes.get("width"))
        images.height.append(node.attributes.get("height"))
        images.is_internal.append(internal)
        if internal and src != page_url:
            discovered.setdefault(src, "image")
    return images


def _image_source(node: LexborNode) -> str:
    """`src`, or the lazy-load script's `data-src` when `src` is missing or a placeholder."""
    attrs = node.attributes
    src = (attrs.get("src") or "").strip()
    lazy = (attrs.get("data-src") or attrs.get("data-lazy-src") or "").strip()
    if lazy and (not src or src.lower().startswith("data:") or _PLACEHOLDER.search(src)):
        return lazy
    return src


def _anchor(node: LexborNode) -> str:
    """The link's accessible name, roughly: its text, else its aria-label, else its title,
    else the alt of an image inside it ("" when none of them says anything)."""
    text = _text(node)
    if text:
        return text
    image = node.css_first("img[alt]")
    for candidate in (
        node.attributes.get("aria-label"),
        node.attributes.get("title"),
        image.attributes.get("alt") if image else None,
    ):
        name = " ".join((candidate or "").split())
        if name:
            return name
    return ""


def _text(node: LexborNode) -> str:
    return " ".join(node.text(separator=" ", strip=True).split())


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False
