"""Seeded defects: at least one for every audit check of issue 2, and the ground truth.

`seed_defects(site, prose)` changes the clean site in place and returns what an audit must find,
as `(check, where, note)` with `where` a path on the HTTPS site or `plain:/path` on the plain
server. Each defect touches pages that nothing else touches, so the expected issues are exactly
these (see docs/crawl.md, "The sample site", for the conventions each `url` follows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from marketloop.sample.model import Image, Origin, Page, Site, Special
from marketloop.crawl.textsig import hamming
from marketloop.sample.render import Bases, render_page
from marketloop.sample.words import BRAND, Prose

NEAR_DUPLICATE_WORDS = ("Boston", "Denver", "Austin", "Seattle", "Chicago", "Portland", "Dallas")


class Expected(NamedTuple):
    check: str
    where: str  # a path on the HTTPS site, or plain:/path
    note: str


Seeder = Callable[[Site, Prose, list[Page]], list[Expected]]
LOOP_LIMIT_SITEMAP = 50_001  # one more <loc> than sitemaps.org allows


def seed_defects(site: Site, prose: Prose) -> list[Expected]:
    posts = [p for p in site.pages.values() if p.category]
    expected: list[Expected] = []
    for seeder in SEEDERS:
        expected += seeder(site, prose, posts)
    return expected


def _page(
    site: Site, prose: Prose, path: str, title: str, links_from: str | None, anchor: str = ""
) -> Page:
    """A new clean page linked from `links_from`; kept out of the sitemap unless said so."""
    page = site.add(
        Page(
            path=path,
            title=prose.claim(f"{title} | {BRAND}"),
            description=prose.description(title),
            h1=[title],
            body=prose.paragraphs(260),
            in_sitemap=False,
        )
    )
    if links_from is not None:
        site.pages[links_from].links.append((path, anchor))
    return page


def _link(site: Site, source: str, target: str, anchor: str) -> None:
    site.pages[source].links.append((target, anchor))


def status_targets(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    site.specials["/api/export/"] = Special("/api/export/", "status", 500)
    _link(site, "/resources/", "/api/export/", "Export your data")
    site.specials["/blog/2019-benchmark-report/"] = Special(
        "/blog/2019-benchmark-report/", "status", 404
    )
    _link(site, posts[0].path, "/blog/2019-benchmark-report/", "Our 2019 benchmark report")
    site.specials["/status/"] = Special("/status/", "reset")
    _link(site, "/resources/", "/status/", "Service status")
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
    _link(site, "/resources/", "/partners-old/", "Partner program")
    _link(site, "/resources/", "/plans/", "Current plans")
    _link(site, "/resources/", "/pricing-old/", "Pricing for 2022")
    return [
        Expected("redirect_loop", "/partners-old/", "301 → /partner-program/ → 302 back"),
        Expected("redirect", "/partners-old/", "internal link to a redirect (the loop)"),
        Expected("redirect_chain", "/plans/", "two hops: /plans/2023/, then /pricing/"),
        Expected("redirect", "/plans/", "internal link to a redirect (the chain)"),
        Expected("redirect", "/pricing-old/", "internal link to a 301"),
    ]


def indexability(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    reporting = _page(
        site, prose, "/product/reporting/", "Scheduled reports", "/product/", "Reports"
    )
    reporting.canonical = "/product/reports-legacy/"
    tour = _page(
        site, prose, "/product/tour/", "A guided product tour", "/product/", "Product tour"
    )
    tour.canonical = "/product/"
    thanks = _page(
        site, prose, "/thank-you/", "Thanks, we will be in touch", "/contact/", "After you write"
    )
    thanks.meta_robots, thanks.in_sitemap = "noindex, follow", True
    cookies = _page(
        site, prose, "/legal/cookies/", "Cookie settings and choices", "/legal/terms/", "Cookies"
    )
    cookies.headers["X-Robots-Tag"] = "noindex"
    site.pages["/careers/"].canonical = None
    site.disallow.append("/internal/")
    _link(site, "/resources/", "/internal/reports/", "Internal reports")
    orphan = _page(site, prose, "/webinars/growth-summit-2023/", "Growth summit 2023", None)
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
    partners = _page(site, prose, "/partners/", "Find a certified partner", None)
    partners.origin = Origin.PLAIN
    _link(site, "/resources/", "plain:/partners/", "Partner directory")
    posts[1].scripts.append("plain:/js/widget.js")
    slow = _page(
        site,
        prose,
        "/customers/case-studies/",
        "Case studies in depth",
        "/customers/",
        "Case studies",
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


def content(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    webinars = _page(site, prose, "/webinars/", "Upcoming webinars", "/resources/", "Webinars")
    webinars.title = None
    site.pages["/customers/"].description = None
    site.pages["/product/integrations/"].h1 = []
    posts[3].title = posts[2].title
    help_page = _page(site, prose, "/help/", "Help center and guides", "/resources/", "Help center")
    support = _page(site, prose, "/support/", "Customer support", "/resources/", "Customer support")
    support.h1, support.body = help_page.h1, help_page.body
    near_duplicate(site, posts[4], posts[5])
    soft = _page(
        site,
        prose,
        "/blog/webinar-recording/",
        "Page not found",
        "/resources/",
        "Webinar recording",
    )
    soft.title = f"Page not found – {BRAND} blog"
    soft.body = ["Sorry, the page you were looking for does not exist any more.", *soft.body]
    features = site.pages["/product/features/"]
    features.jsonld.append(
        '{"@context": "https://schema.org", "@type": "Product", "name": "Lumen",}'
    )
    landing = _page(
        site, prose, "/lp/free-trial/", "Start your free trial today", "/pricing/", "Free trial"
    )
    landing.chrome, landing.images = False, []
    return [
        Expected("missing_title", "/webinars/", "no <title>"),
        Expected("missing_meta_description", "/customers/", "no meta description"),
        Expected("missing_h1", "/product/integrations/", "headline is an h2"),
        Expected("duplicate_title", posts[2].path, "same title as the next post"),
        Expected("duplicate_title", posts[3].path, "same title as the previous post"),
        Expected("duplicate_content", "/help/", "same main content as /support/"),
        Expected("duplicate_content", "/support/", "same main content as /help/"),
        Expected("near_duplicate", posts[4].path, "differs from the next post by one sentence"),
        Expected("near_duplicate", posts[5].path, "differs from the previous post by one sentence"),
        Expected("soft_404", "/blog/webinar-recording/", "200 page titled 'Page not found'"),
        Expected("invalid_structured_data", "/product/features/", "JSON-LD with a trailing comma"),
        Expected("no_internal_outlinks", "/lp/free-trial/", "landing page without navigation"),
    ]


def notices(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    posts[
        7
    ].title = "The complete and unabridged guide to marketing attribution for growing B2B teams"
    security = _page(site, prose, "/product/security/", "Security", "/product/", "Security")
    security.title = "Security | Lumen"
    docs = site.pages
    docs["/docs/tracking-plan/"].description = docs["/docs/getting-started/"].description
    docs["/docs/data-export/"].description = " ".join(prose.paragraph(3).split()[:40])
    docs["/docs/faq/"].description = "Answers to common questions."
    site.pages["/contact/"].h1 = ["Talk to a person, not a bot", "Or write to us"]
    imprint = _page(
        site, prose, "/legal/imprint/", "Imprint and company details", "/legal/terms/", "Imprint"
    )
    imprint.body = [" ".join(prose.paragraph(4).split()[:70])]
    site.images["/img/team-photo.png"] = 180_000
    site.pages["/about/"].images.append(
        Image("/img/team-photo.png", "The whole team at our offsite")
    )
    posts[8].images.append(Image("/img/analytics-hero.png", "A chart of weekly visits", None, None))
    posts[6].images.append(Image("/img/seo-hero.png", None))
    legacy = _page(
        site,
        prose,
        "/docs/api/v1/legacy-endpoints/",
        "Legacy API endpoints",
        "/docs/api/v1/",
        "Legacy endpoints",
    )
    _page(
        site,
        prose,
        "/blog/Product_Updates_2023/",
        "Product updates from 2023",
        posts[9].path,
        "Product updates from 2023",
    )
    posts[10].links.append(("/pricing/", "click here"))
    return [
        Expected("title_too_long", posts[7].path, "title of 82 characters"),
        Expected("title_too_short", "/product/security/", "title of 16 characters"),
        Expected("duplicate_meta_description", "/docs/tracking-plan/", "same as getting-started"),
        Expected("duplicate_meta_description", "/docs/getting-started/", "same as tracking-plan"),
        Expected("meta_description_length", "/docs/data-export/", "longer than 155 characters"),
        Expected("meta_description_length", "/docs/faq/", "shorter than 70 characters"),
        Expected("multiple_h1", "/contact/", "two <h1>"),
        Expected("low_content", "/legal/imprint/", "about 75 words"),
        Expected("large_image", "/img/team-photo.png", "an image of 180 KB"),
        Expected("image_missing_size", posts[8].path, "an <img> without width and height"),
        Expected("image_missing_alt", posts[6].path, "an <img> without alt"),
        Expected("deep_page", "/docs/api/v1/legacy-endpoints/", "four links from home"),
        Expected("url_hygiene", "/blog/Product_Updates_2023/", "upper case and underscores"),
        Expected("non_descriptive_anchor", posts[10].path, "a link reading 'click here'"),
    ]


def sitemap_limit(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    clean = [p.path for p in posts[11:] if p.in_sitemap] or ["/"]
    site.extra_sitemaps["/sitemap-archive.xml"] = [
        clean[i % len(clean)] for i in range(LOOP_LIMIT_SITEMAP)
    ]
    return [Expected("sitemap_over_limit", "/sitemap-archive.xml", "50,001 <loc> entries")]


def near_duplicate(site: Site, original: Page, copy: Page) -> None:
    """Make `copy` the same article as `original` but for one word (a templated page).

    SimHash is a sketch: a change of a few percent may move more than 6 of its 64 bits. The
    word is chosen so the two pages' main-content SimHashes stay within 3 bits, which makes the
    seeded pair unambiguous for any auditor that reads >= 90 % similar as <= 6 bits.
    """
    copy.h1, copy.links, copy.images = original.h1, list(original.links), list(original.images)
    words = original.body[-1].split(" ")
    target = _simhash(original, site)
    for candidate in NEAR_DUPLICATE_WORDS:
        copy.body = [*original.body[:-1], " ".join([*words[:-3], candidate, *words[-2:]])]
        if hamming(target, _simhash(copy, site)) <= 3:
            return
    raise AssertionError("no near-duplicate variant within 3 bits")  # pragma: no cover


def _simhash(page: Page, site: Site) -> int:
    from marketloop.crawl.extract import extract  # the crawler's own reading of the page

    html = render_page(page, site, Bases("https://x.test", "http://x.test")).decode()
    simhash = extract(html, "https://x.test" + page.path, frozenset({"x.test"})).facts.simhash
    assert simhash is not None
    return simhash


SEEDERS: tuple[Seeder, ...] = (
    status_targets,
    redirects,
    indexability,
    transport,
    international,
    content,
    notices,
    sitemap_limit,
)
