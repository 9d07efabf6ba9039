"""Seeded defects: at least one for every audit check of issue 2, and the ground truth.

`seed_defects(site, prose)` changes the clean site in place and returns what an audit must find,
as `(check, where, note)` with `where` a path on the HTTPS site or `plain:/path` on the plain
server. Each defect touches pages nothing else touches, so the expected issues are exactly these
(docs/crawl.md, "Ground truth conventions", says which URL each check reports). This module
seeds the site-level defects (status codes, redirects, indexability, transport, hreflang,
sitemaps); `sample/page_defects.py` seeds those in a page's content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from marketloop.sample.model import Origin, Page, Site, Special
from marketloop.sample.words import BRAND, Prose

OVER_LIMIT = 50_001  # one more <loc> than sitemaps.org allows in one file


class Expected(NamedTuple):
    check: str
    where: str  # a path on the HTTPS site, or plain:/path
    note: str


Seeder = Callable[[Site, Prose, list[Page]], list[Expected]]


def seed_defects(site: Site, prose: Prose) -> list[Expected]:
    from marketloop.sample.page_defects import PAGE_SEEDERS

    posts = [p for p in site.pages.values() if p.category]
    expected: list[Expected] = []
    for seeder in (*SITE_SEEDERS, *PAGE_SEEDERS):
        expected += seeder(site, prose, posts)
    return expected


def new_page(
    site: Site, prose: Prose, path: str, title: str, linked: tuple[str, str] | None = None
) -> Page:
    """A new clean page, linked from `linked = (page, anchor)`, outside the sitemap."""
    page = Page(
        path=path,
        title=prose.claim(f"{title} | {BRAND}"),
        description=prose.description(title),
        h1=[title],
        body=prose.paragraphs(260),
        in_sitemap=False,
    )
    site.add(page)
    if linked is not None:
        link(site, linked[0], path, linked[1])
    return page


def link(site: Site, source: str, target: str, anchor: str) -> None:
    site.pages[source].links.append((target, anchor))


def status_targets(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    for path, kind, status in (
        ("/api/export/", "status", 500),
        ("/blog/2019-benchmark-report/", "status", 404),
        ("/status/", "reset", 0),
    ):
        site.specials[path] = Special(path, kind, status)
    link(site, "/resources/", "/api/export/", "Export your data")
    link(site, posts[0].path, "/blog/2019-benchmark-report/", "Our 2019 benchmark report")
    link(site, "/resources/", "/status/", "Service status")
    return [
        Expected("server_error", "/api/export/", "linked page answers 500"),
        Expected("broken_link", "/blog/2019-benchmark-report/", "linked page answers 404"),
        Expected("no_response", "/status/", "the server drops the connection without answering"),
    ]


def redirects(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    for path, status, location in (
        ("/partners-old/", 301, "/partner-program/"),
        ("/partner-program/", 302, "/partners-old/"),
        ("/plans/", 301, "/plans/2023/"),
        ("/plans/2023/", 301, "/pricing/"),
        ("/pricing-old/", 301, "/pricing/"),
        ("/product/reports-legacy/", 301, "/product/"),
    ):
        site.specials[path] = Special(path, "redirect", status, location)
    link(site, "/resources/", "/partners-old/", "Partner program")
    link(site, "/resources/", "/plans/", "Current plans")
    link(site, "/resources/", "/pricing-old/", "Pricing for 2022")
    return [
        Expected("redirect_loop", "/partners-old/", "301 → /partner-program/ → 302 back"),
        Expected("redirect", "/partners-old/", "internal link to a redirect (the loop)"),
        Expected("redirect_chain", "/plans/", "two hops: /plans/2023/, then /pricing/"),
        Expected("redirect", "/plans/", "internal link to a redirect (the chain)"),
        Expected("redirect", "/pricing-old/", "internal link to a 301"),
    ]


def indexability(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    reporting = new_page(
        site, prose, "/product/reporting/", "Scheduled reports", ("/product/", "Reports")
    )
    reporting.canonical = "/product/reports-legacy/"
    tour = new_page(site, prose, "/product/tour/", "A guided product tour", ("/product/", "Tour"))
    tour.canonical = "/product/"
    thanks = new_page(
        site, prose, "/thank-you/", "Thanks, we will be in touch", ("/contact/", "After you write")
    )
    thanks.meta_robots, thanks.in_sitemap = "noindex, follow", True
    cookies = new_page(
        site, prose, "/legal/cookies/", "Cookie settings and choices", ("/legal/terms/", "Cookies")
    )
    cookies.headers["X-Robots-Tag"] = "noindex"
    site.pages["/careers/"].canonical = None
    site.disallow.append("/internal/")
    link(site, "/resources/", "/internal/reports/", "Internal reports")
    orphan = new_page(site, prose, "/webinars/growth-summit-2023/", "Growth summit 2023")
    orphan.in_sitemap = True
    return [
        Expected("canonical_to_non_indexable", "/product/reporting/", "canonical is a 301"),
        Expected("canonicalised", "/product/reporting/", "canonical points elsewhere"),
        Expected("canonicalised", "/product/tour/", "canonical is /product/"),
        Expected("noindex", "/thank-you/", "meta robots noindex"),
        Expected("non_indexable_in_sitemap", "/thank-you/", "noindex page listed in the sitemap"),
        Expected("noindex", "/legal/cookies/", "X-Robots-Tag: noindex header"),
        Expected("missing_canonical", "/careers/", "no rel=canonical"),
        Expected("blocked_by_robots", "/internal/reports/", "Disallow: /internal/"),
        Expected("orphan_page", "/webinars/growth-summit-2023/", "only in the sitemap"),
    ]


def transport(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    partners = new_page(site, prose, "/partners/", "Find a certified partner")
    partners.origin = Origin.PLAIN
    link(site, "/resources/", "plain:/partners/", "Partner directory")
    posts[1].scripts.append("plain:/js/widget.js")
    slow = new_page(
        site,
        prose,
        "/customers/case-studies/",
        "Case studies in depth",
        ("/customers/", "Case studies"),
    )
    slow.delay = 1.3
    site.pages["/legal/privacy/"].security_headers = False
    return [
        Expected("insecure_http", "plain:/partners/", "an internal page served over http://"),
        Expected("mixed_content", posts[1].path, "loads a script over http://"),
        Expected("slow_response", "/customers/case-studies/", "answers after 1.3 s"),
        Expected("missing_security_headers", "/legal/privacy/", "no HSTS, CSP, ... headers"),
    ]


def international(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    site.pages["/product/"].hreflang = [("en", "/product/"), ("de", "/de/produkt/")]
    site.pages["/about/"].hreflang = [("en", "/about/"), ("de", "/de/ueber-uns/")]
    site.specials["/de/ueber-uns/"] = Special("/de/ueber-uns/", "status", 404)
    return [
        Expected("hreflang_broken", "/product/", "/de/produkt/ does not link back"),
        Expected("hreflang_broken", "/about/", "hreflang target answers 404"),
    ]


def sitemap_limit(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    clean = [p.path for p in posts[11:] if p.in_sitemap] or ["/"]
    site.extra_sitemaps["/sitemap-archive.xml"] = [clean[i % len(clean)] for i in range(OVER_LIMIT)]
    return [Expected("sitemap_over_limit", "/sitemap-archive.xml", "50,001 <loc> entries")]


SITE_SEEDERS: tuple[Seeder, ...] = (
    status_targets,
    redirects,
    indexability,
    transport,
    international,
    sitemap_limit,
)
