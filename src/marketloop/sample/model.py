"""The sample site as data: every page and special route, before any HTML or HTTP.

`build_site(pages, seed)` returns a clean marketing site (no check fires on any page); the
defects (`sample/defects.py`) and hostile cases (`sample/hostile.py`) are applied on top. Paths
are site-relative; `Origin.PLAIN` marks the few URLs served by the plain-HTTP server.

Link depth of the clean site stays below 4: home (0) → nav, footer, categories, /blog/ (1) →
pagination, docs, German pages (2) → posts (at most 3).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from enum import Enum

from marketloop.sample.words import BRAND, CATEGORIES, Prose


class Origin(Enum):
    MAIN = "main"  # the HTTPS server: the site itself
    PLAIN = "plain"  # the plain-HTTP server on the same host (insecure_http, mixed_content)


@dataclass
class Image:
    path: str
    alt: str | None
    width: int | None = 800
    height: int | None = 450


@dataclass
class Page:
    path: str
    title: str | None
    description: str | None
    h1: list[str]
    body: list[str]
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, anchor) in main
    images: list[Image] = field(default_factory=list)
    jsonld: list[str] = field(default_factory=list)  # raw script bodies
    hreflang: list[tuple[str, str]] = field(default_factory=list)  # (lang, path)
    canonical: str | None = "self"  # "self", a path, or None for no canonical
    meta_robots: str | None = None
    scripts: list[str] = field(default_factory=list)  # script src (absolute or path)
    headers: dict[str, str] = field(default_factory=dict)
    lang: str = "en"
    chrome: bool = True  # header nav and footer
    security_headers: bool = True
    delay: float = 0.0
    origin: Origin = Origin.MAIN
    in_sitemap: bool = True
    category: str | None = None


@dataclass
class Special:
    """A route that is not a normal page: a redirect, an error status, a dropped connection."""

    path: str
    kind: str  # redirect | status | reset | hostile
    status: int = 200
    location: str | None = None
    handler: str | None = None  # name of a hostile handler


@dataclass
class Site:
    pages: dict[str, Page]
    specials: dict[str, Special] = field(default_factory=dict)
    images: dict[str, int] = field(default_factory=dict)  # path -> approximate bytes
    disallow: list[str] = field(default_factory=lambda: ["/cart/"])
    footer: list[tuple[str, str]] = field(default_factory=list)
    extra_sitemaps: dict[str, list[str]] = field(default_factory=dict)  # path -> paths listed
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)

    def add(self, page: Page) -> Page:
        self.pages[page.path] = page
        return page


NAV = (
    ("/product/", "Product"),
    ("/pricing/", "Pricing"),
    ("/customers/", "Customers"),
    ("/docs/", "Documentation"),
    ("/blog/", "Blog"),
    ("/about/", "About us"),
    ("/contact/", "Contact"),
)
FIXED_PAGES = 24  # pages that exist whatever the size; the rest are blog posts


def build_site(pages: int, prose: Prose) -> Site:
    site = Site(pages={})
    site.footer = [
        *[
            (f"/blog/category/{c}/", f"{c.upper() if c == 'seo' else c.title()} articles")
            for c in CATEGORIES
        ],
        ("/resources/", "Resources"),
        ("/careers/", "Careers"),
        ("/legal/privacy/", "Privacy policy"),
        ("/legal/terms/", "Terms of service"),
        ("/de/", "Deutsch"),
    ]
    _company_pages(site, prose)
    posts = _posts(site, prose, max(16, pages - FIXED_PAGES))
    _listings(site, prose, posts)
    _docs(site, prose)
    _german(site, prose)
    _home(site, prose, posts)
    return site


def _page(prose: Prose, path: str, title: str, words: int = 260) -> Page:
    return Page(
        path=path,
        title=prose.claim(f"{title} | {BRAND}"),
        description=prose.description(title),
        h1=[title],
        body=prose.paragraphs(words),
    )


def _company_pages(site: Site, prose: Prose) -> None:
    product = site.add(_page(prose, "/product/", "Marketing analytics for busy teams"))
    product.links += [
        ("/product/features/", "Feature overview"),
        ("/product/integrations/", "Integrations with your stack"),
    ]
    product.jsonld.append(_ld("SoftwareApplication", name=BRAND))
    product.images.append(Image("/img/dashboard.png", "The Lumen dashboard"))
    site.add(_page(prose, "/product/features/", "Every feature in one workspace"))
    site.add(_page(prose, "/product/integrations/", "Connect GA4, Search Console and CRM"))
    pricing = site.add(_page(prose, "/pricing/", "Simple pricing that grows with you"))
    pricing.hreflang = [("en", "/pricing/"), ("de", "/de/preise/")]
    pricing.jsonld.append(_ld("FAQPage", name="Pricing questions"))
    site.add(_page(prose, "/customers/", "Stories from teams who grew with us"))
    about = site.add(_page(prose, "/about/", "The people behind the product"))
    about.images.append(Image("/img/office.png", "Our office in Lisbon"))
    site.add(_page(prose, "/contact/", "Talk to a person, not a bot"))
    site.add(_page(prose, "/careers/", "Open roles and how we hire"))
    resources = site.add(_page(prose, "/resources/", "Guides, reports and help for marketers"))
    resources.links.append(("/docs/getting-started/", "Getting started guide"))
    site.add(_page(prose, "/legal/privacy/", "Privacy policy and data processing"))
    site.add(_page(prose, "/legal/terms/", "Terms of service for all plans"))
    for name, size in (("dashboard", 24_000), ("office", 31_000), ("logo", 3_000)):
        site.images[f"/img/{name}.png"] = size


def _posts(site: Site, prose: Prose, count: int) -> list[Page]:
    posts = []
    for index in range(count):
        title = prose.post_title()
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        category = CATEGORIES[index % len(CATEGORIES)]
        post = Page(
            path=f"/blog/{slug}/",
            title=f"{title}",
            description=prose.description(title),
            h1=[title],
            body=prose.paragraphs(prose.rng.randint(260, 420)),
            images=[Image(f"/img/{category}-hero.png", f"Illustration for {title.lower()}")],
            category=category,
        )
        post.jsonld.append(_ld("BlogPosting", headline=title))
        posts.append(site.add(post))
    for index, post in enumerate(posts):  # a few related posts, by title
        for step in (1, 3):
            other = posts[(index + step) % len(posts)]
            post.links.append((other.path, str(other.h1[0])))
    for category in CATEGORIES:
        site.images[f"/img/{category}-hero.png"] = 18_000
    return posts


def _listings(site: Site, prose: Prose, posts: list[Page]) -> None:
    per_page = max(10, math.ceil(len(posts) / 100))
    chunks = [posts[i : i + per_page] for i in range(0, len(posts), per_page)]
    numbers = [
        (f"/blog/page/{n}/" if n > 1 else "/blog/", f"Blog page {n}")
        for n in range(1, len(chunks) + 1)
    ]
    for number, chunk in enumerate(chunks, start=1):
        path = numbers[number - 1][0]
        heading = "The Lumen blog" if number == 1 else f"The Lumen blog, page {number}"
        page = site.add(_listing(prose, path, heading, chunk))
        if number == 1:
            page.links += numbers[1:]
    for category in CATEGORIES:
        members = [p for p in posts if p.category == category][:per_page]
        name = category.upper() if category == "seo" else category.title()
        site.add(
            _listing(prose, f"/blog/category/{category}/", f"{name} articles and guides", members)
        )


def _listing(prose: Prose, path: str, heading: str, posts: list[Page]) -> Page:
    page = _page(prose, path, heading, words=200)
    for post in posts:
        page.links.append((post.path, str(post.h1[0])))
        page.body.append(" ".join(post.body[0].split()[:30]) + " …")
    return page


def _docs(site: Site, prose: Prose) -> None:
    docs = site.add(_page(prose, "/docs/", "Documentation and how-to guides"))
    topics = (
        ("getting-started", "Getting started in ten minutes"),
        ("tracking-plan", "Writing a tracking plan that lasts"),
        ("data-export", "Exporting your data to a warehouse"),
        ("faq", "Frequently asked questions"),
        ("api", "The Lumen REST API"),
    )
    for slug, title in topics:
        doc = site.add(_page(prose, f"/docs/{slug}/", title))
        doc.jsonld.append(_ld("TechArticle", headline=title))
        docs.links.append((doc.path, title))
    site.add(_page(prose, "/docs/api/v1/", "API version 1 reference"))
    site.pages["/docs/api/"].links.append(("/docs/api/v1/", "Version 1 reference"))


def _german(site: Site, prose: Prose) -> None:
    for path, title, english in (
        ("/de/", "Marketing-Analyse für Teams", "/"),
        ("/de/preise/", "Preise für jedes Team", "/pricing/"),
        ("/de/produkt/", "Das Produkt im Überblick", None),
    ):
        page = Page(
            path=path,
            title=prose.claim(f"{title} | {BRAND}"),
            description=prose.description(title),
            h1=[title],
            body=prose.paragraphs(260, german=True),
            lang="de",
        )
        if english:
            page.hreflang = [("en", english), ("de", path)]
        site.add(page)
    site.pages["/de/"].links += [("/de/preise/", "Preise"), ("/de/produkt/", "Produkt")]


def _home(site: Site, prose: Prose, posts: list[Page]) -> None:
    home = site.add(_page(prose, "/", "Marketing analytics without the busywork"))
    home.hreflang = [("en", "/"), ("de", "/de/")]
    home.jsonld.append(_ld("Organization", name=BRAND, url="/"))
    home.links += [(p.path, str(p.h1[0])) for p in posts[:3]]


def _ld(kind: str, **fields: str) -> str:
    return json.dumps({"@context": "https://schema.org", "@type": kind, **fields})
