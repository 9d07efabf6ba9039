"""HTML, robots.txt and sitemaps of the sample site, for one pair of base URLs (pure)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from html import escape
from xml.sax.saxutils import escape as xml_escape

from marketloop.sample.model import NAV, Image, Origin, Page, Site
from marketloop.sample.words import BRAND

SOCIAL = (
    ("https://www.linkedin.com/company/lumen-analytics", "Lumen on LinkedIn"),
    ("https://github.com/lumen-analytics", "Lumen on GitHub"),
)
SITEMAP_INDEX = "/sitemap_index.xml"
SITEMAP_PAGES = "/sitemap-pages.xml"
SITEMAP_POSTS = "/sitemap-posts.xml.gz"


@dataclass(frozen=True)
class Bases:
    """Where the site is served: the HTTPS site, and the plain-HTTP server on the same host."""

    main: str
    plain: str

    def of(self, origin: Origin) -> str:
        return self.main if origin is Origin.MAIN else self.plain

    def absolute(self, href: str, origin: Origin = Origin.MAIN) -> str:
        """`plain:/x` → the plain server; `/x` → `origin`'s server; absolute URLs unchanged."""
        if href.startswith("plain:"):
            return self.plain + href.removeprefix("plain:")
        if href.startswith("/") and not href.startswith("//"):
            return self.of(origin) + href
        return href

    def link(self, href: str, page: Page) -> str:
        """An href as the page writes it: root-relative on the HTTPS site, absolute elsewhere."""
        if "{host}" in href:
            href = href.replace("{host}", self.main.split("//", 1)[1])
        if href.startswith("/") and not href.startswith("//") and page.origin is Origin.MAIN:
            return href
        return self.absolute(href)


def render_page(page: Page, site: Site, bases: Bases) -> bytes:
    self_url = bases.absolute(page.path, page.origin)
    head = [f"<title>{escape(page.title)}</title>" if page.title is not None else ""]
    head.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    if page.description is not None:
        head.append(f'<meta name="description" content="{escape(page.description)}">')
    if page.meta_robots:
        head.append(f'<meta name="robots" content="{page.meta_robots}">')
    if page.canonical is not None:
        target = self_url if page.canonical == "self" else bases.absolute(page.canonical)
        head.append(f'<link rel="canonical" href="{escape(target)}">')
    for lang, path in page.hreflang:
        head.append(f'<link rel="alternate" hreflang="{lang}" href="{bases.absolute(path)}">')
    head.append(f'<meta property="og:title" content="{escape(page.h1[0] if page.h1 else BRAND)}">')
    head.append(f'<meta property="og:url" content="{escape(self_url)}">')
    head.append(f'<meta property="og:type" content="{"article" if page.category else "website"}">')
    head.append(f'<link rel="stylesheet" href="{bases.link("/static/site.css", page)}">')
    head += [f'<script type="application/ld+json">{block}</script>' for block in page.jsonld]
    head += [
        f'<script src="{escape(bases.link(src, page))}" defer></script>' for src in page.scripts
    ]
    body = [_header(page, bases)] if page.chrome else []
    body.append(_main(page, bases))
    if page.chrome:
        body.append(_footer(page, site, bases))
    html = (
        f'<!doctype html>\n<html lang="{page.lang}">\n<head>\n<meta charset="utf-8">\n'
        + "\n".join(h for h in head if h)
        + "\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    return html.encode("utf-8")


def _header(page: Page, bases: Bases) -> str:
    items = "".join(f'<li><a href="{bases.link(h, page)}">{a}</a></li>' for h, a in NAV)
    src = bases.link("/img/logo.png", page)
    logo = (
        f'<a href="{bases.link("/", page)}" class="logo"><img src="{src}" '
        f'alt="{BRAND} home" width="120" height="32"></a>'
    )
    return (
        f'<header class="site-header">{logo}<nav aria-label="Main"><ul>{items}</ul></nav></header>'
    )


def _main(page: Page, bases: Bases) -> str:
    parts = [f"<h1>{escape(h)}</h1>" for h in page.h1]
    if not page.h1 and page.title:
        parts.append(f"<h2>{escape(page.title.split(' | ')[0])}</h2>")
    images = list(page.images)
    for index, paragraph in enumerate(page.body):
        parts.append(f"<p>{escape(paragraph)}</p>")
        if index == 0 and images:
            parts += [_img(image, page, bases) for image in images]
            images = []
    if page.links:
        items = "".join(
            f'<li><a href="{escape(bases.link(href, page))}">{escape(anchor)}</a></li>'
            for href, anchor in page.links
        )
        parts.append(f'<h2>Read next</h2><ul class="links">{items}</ul>')
    return "<main><article>\n" + "\n".join(parts) + "\n</article></main>"


def _img(image: Image, page: Page, bases: Bases) -> str:
    attrs = [f'src="{escape(bases.link(image.path, page))}"']
    if image.alt is not None:
        attrs.append(f'alt="{escape(image.alt)}"')
    if image.width is not None and image.height is not None:
        attrs.append(f'width="{image.width}" height="{image.height}"')
    return f'<figure><img {" ".join(attrs)} loading="lazy"></figure>'


def _footer(page: Page, site: Site, bases: Bases) -> str:
    links = [*site.footer, *SOCIAL]
    items = "".join(f'<li><a href="{escape(bases.link(h, page))}">{a}</a></li>' for h, a in links)
    return f'<footer><nav aria-label="Footer"><ul>{items}</ul></nav><p>© 2025 {BRAND}</p></footer>'


def robots_txt(site: Site, bases: Bases) -> bytes:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in site.disallow), ""]
    lines.append(f"Sitemap: {bases.main}{SITEMAP_INDEX}")
    return ("\n".join(lines) + "\n").encode()


def sitemap_files(site: Site, bases: Bases) -> dict[str, bytes]:
    """Every sitemap file by path: the index, a urlset, a gzipped urlset, and any extras."""
    listed = [p for p in site.pages.values() if p.in_sitemap and p.origin is Origin.MAIN]
    posts = [p.path for p in listed if p.category]
    others = [p.path for p in listed if not p.category]
    files = {
        SITEMAP_PAGES: urlset(others, bases),
        SITEMAP_POSTS: gzip.compress(urlset(posts, bases), mtime=0),
    }
    for path, paths in site.extra_sitemaps.items():
        files[path] = urlset(paths, bases)
    entries = "".join(f"<sitemap><loc>{bases.main}{path}</loc></sitemap>" for path in files)
    files[SITEMAP_INDEX] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
    ).encode()
    return files


def urlset(paths: list[str], bases: Bases) -> bytes:
    rows = "".join(
        f"<url><loc>{xml_escape(bases.main + p)}</loc><lastmod>2025-01-15</lastmod></url>\n"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n'
    ).encode()
