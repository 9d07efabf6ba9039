"""Seeded defects in the content of pages: titles, descriptions, headings, duplicates, images,
structured data, links and URLs (see `sample/defects.py` for the site-level ones)."""

from __future__ import annotations

from marketloop.sample.defects import Expected, Seeder, link, new_page
from marketloop.sample.model import Image, Page, Site
from marketloop.sample.render import Bases, render_page
from marketloop.sample.words import BRAND, Prose

NEAR_DUPLICATE_WORDS = ("Boston", "Denver", "Austin", "Seattle", "Chicago", "Portland", "Dallas")
NEAR_DUPLICATE_MARGIN = 40  # bits of 256 (about 93 % of the words in common)
LONG_TITLE = "The complete and unabridged guide to marketing attribution for growing B2B teams"


def content(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    new_page(
        site, prose, "/webinars/", "Upcoming webinars", ("/resources/", "Webinars")
    ).title = None
    site.pages["/customers/"].description = None
    site.pages["/product/integrations/"].h1 = []
    posts[3].title = posts[2].title
    help_page = new_page(
        site, prose, "/help/", "Help center and guides", ("/resources/", "Help center")
    )
    support = new_page(site, prose, "/support/", "Customer support", ("/resources/", "Support"))
    support.h1, support.body = help_page.h1, help_page.body
    near_duplicate(site, posts[4], posts[5])
    soft = new_page(
        site,
        prose,
        "/blog/webinar-recording/",
        "Page not found",
        ("/resources/", "Webinar recording"),
    )
    soft.title = f"Page not found – {BRAND} blog"
    soft.body = ["Sorry, the page you were looking for does not exist any more.", *soft.body]
    invalid = '{"@context": "https://schema.org", "@type": "Product", "name": "Lumen",}'
    site.pages["/product/features/"].jsonld.append(invalid)
    landing = new_page(
        site, prose, "/lp/free-trial/", "Start your free trial today", ("/pricing/", "Free trial")
    )
    landing.chrome = False
    return [
        Expected("missing_title", "/webinars/", "no <title>"),
        Expected("missing_meta_description", "/customers/", "no meta description"),
        Expected("missing_h1", "/product/integrations/", "headline is an h2"),
        Expected("duplicate_title", posts[2].path, "same title as the next post"),
        Expected("duplicate_title", posts[3].path, "same title as the previous post"),
        Expected("duplicate_content", "/help/", "same main content as /support/"),
        Expected("duplicate_content", "/support/", "same main content as /help/"),
        Expected("near_duplicate", posts[4].path, "the next post with 5% of its words changed"),
        Expected("near_duplicate", posts[5].path, "the previous post with 5% of its words changed"),
        Expected("soft_404", "/blog/webinar-recording/", "200 page titled 'Page not found'"),
        Expected("invalid_structured_data", "/product/features/", "JSON-LD with a trailing comma"),
        Expected("no_internal_outlinks", "/lp/free-trial/", "landing page without navigation"),
    ]


def notices(site: Site, prose: Prose, posts: list[Page]) -> list[Expected]:
    posts[7].title = LONG_TITLE
    new_page(
        site, prose, "/product/security/", "Security", ("/product/", "Security")
    ).title = "Security | Lumen"
    docs = site.pages
    docs["/docs/tracking-plan/"].description = docs["/docs/getting-started/"].description
    docs["/docs/data-export/"].description = " ".join(prose.paragraph(3).split()[:40])
    docs["/docs/faq/"].description = "Answers to common questions."
    site.pages["/contact/"].h1 = ["Talk to a person, not a bot", "Or write to us"]
    imprint = new_page(
        site, prose, "/legal/imprint/", "Imprint and company details", ("/legal/terms/", "Imprint")
    )
    imprint.body = [" ".join(prose.paragraph(4).split()[:70])]
    site.images["/img/team-photo.png"] = 180_000
    site.pages["/about/"].images.append(
        Image("/img/team-photo.png", "The whole team at our offsite")
    )
    posts[8].images.append(Image("/img/analytics-hero.png", "A chart of weekly visits", None, None))
    posts[6].images.append(Image("/img/seo-hero.png", None))
    new_page(
        site,
        prose,
        "/docs/api/v1/legacy-endpoints/",
        "Legacy API endpoints",
        ("/docs/api/v1/", "Legacy endpoints"),
    )
    updates = "/blog/Product_Updates_2023/"
    new_page(
        site,
        prose,
        updates,
        "Product updates from 2023",
        (posts[9].path, "Product updates from 2023"),
    )
    link(site, posts[10].path, "/pricing/", "click here")
    return [
        Expected("title_too_long", posts[7].path, f"title of {len(LONG_TITLE)} characters"),
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
        Expected("url_hygiene", updates, "upper case and underscores"),
        Expected("non_descriptive_anchor", posts[10].path, "a link reading 'click here'"),
    ]


def near_duplicate(site: Site, original: Page, copy: Page) -> None:
    """Make `copy` the same article as `original` with one word in 20 (5 %) replaced.

    MinHash is a sketch: a 5 % edit moves about 32 of its 256 bits, but sometimes more. The
    edit (which word of each 20 to replace) is chosen so the two pages' fingerprints stay
    within `NEAR_DUPLICATE_MARGIN` bits, well inside the 54 an auditor reading ">= 90 % of the
    words in common" allows, which makes the seeded pair unambiguous.
    """
    copy.h1, copy.links, copy.images = original.h1, list(original.links), list(original.images)
    target = _minhash(original, site)
    for offset in range(20):
        copy.body = _every_twentieth_word_replaced(original.body, offset)
        distance = sum(
            (a ^ b).bit_count() for a, b in zip(target, _minhash(copy, site), strict=True)
        )
        if distance <= NEAR_DUPLICATE_MARGIN:
            return
    raise AssertionError("no 5 % edit within the margin")  # pragma: no cover


def _every_twentieth_word_replaced(body: list[str], offset: int) -> list[str]:
    edited, position = [], 0
    for paragraph in body:
        words = paragraph.split(" ")
        for i in range(len(words)):
            if (position + i) % 20 == offset:
                words[i] = NEAR_DUPLICATE_WORDS[(position + i) // 20 % len(NEAR_DUPLICATE_WORDS)]
        position += len(words)
        edited.append(" ".join(words))
    return edited


def _minhash(page: Page, site: Site) -> list[int]:
    from marketloop.crawl.extract import extract  # the crawler's own reading of the page

    html = render_page(page, site, Bases("https://x.test", "http://x.test")).decode()
    minhash = extract(html, "https://x.test" + page.path, frozenset({"x.test"})).facts.minhash
    assert minhash is not None
    return minhash


PAGE_SEEDERS: tuple[Seeder, ...] = (content, notices)
