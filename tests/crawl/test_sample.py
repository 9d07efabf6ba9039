"""The sample site generator: deterministic, clean where it should be, exportable."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from marketloop.crawl.sitemaps import parse_sitemap
from marketloop.sample import SampleSite
from marketloop.sample.render import Bases, render_page

BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def clean() -> SampleSite:
    return SampleSite(300, defects=False)


def test_clean_pages_have_unique_titles_and_descriptions_of_good_length(clean: SampleSite) -> None:
    pages = list(clean.site.pages.values())
    titles = [p.title or "" for p in pages]
    descriptions = [p.description or "" for p in pages]
    assert all(30 <= len(t) <= 60 for t in titles), [t for t in titles if not 30 <= len(t) <= 60]
    assert all(70 <= len(d) <= 155 for d in descriptions)
    assert len(set(titles)) == len(titles) and len(set(descriptions)) == len(descriptions)
    assert all(len(p.h1) == 1 and p.canonical == "self" for p in pages)


def test_the_same_seed_builds_the_same_site() -> None:
    bases = Bases(BASE, BASE)
    one, two, other = SampleSite(40), SampleSite(40), SampleSite(40, seed=8)
    page = "/blog/"
    assert render_page(one.site.pages[page], one.site, bases) == render_page(
        two.site.pages[page], two.site, bases
    )
    assert render_page(one.site.pages[page], one.site, bases) != render_page(
        other.site.pages[page], other.site, bases
    )
    assert one.expected == two.expected


def test_size_is_the_parameter() -> None:
    assert 95 <= SampleSite(100, defects=False).page_count <= 110


def test_export_writes_a_static_site(clean: SampleSite, tmp_path: Path) -> None:
    count = clean.export(tmp_path, BASE)
    assert count == clean.page_count
    assert len(list(tmp_path.rglob("index.html"))) == count
    robots = (tmp_path / "robots.txt").read_text()
    assert f"Sitemap: {BASE}/sitemap_index.xml" in robots
    posts = parse_sitemap((tmp_path / "sitemap-posts.xml.gz").read_bytes())
    assert posts.kind == "urlset" and posts.url_count > 250
    assert gzip.decompress((tmp_path / "sitemap-posts.xml.gz").read_bytes()).startswith(b"<?xml")
    home = (tmp_path / "index.html").read_text()
    assert f'<link rel="canonical" href="{BASE}/">' in home
    assert (tmp_path / "img" / "logo.png").read_bytes().startswith(b"\x89PNG")


def test_only_the_clean_site_can_be_exported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="clean site"):
        SampleSite(40).export(tmp_path, BASE)


def test_the_javascript_section_is_reached_only_through_script_built_links(
    clean: SampleSite, tmp_path: Path
) -> None:
    js = SampleSite(300, defects=False, javascript=True)
    items = [p for p in js.site.pages if p.startswith("/app/item-")]
    assert len(items) == 30 and not any(p.startswith("/app/") for p in clean.site.pages)
    for path in clean.site.pages:  # the rest of the site is the clean site, unchanged
        if path != "/":
            assert render_page(js.site.pages[path], js.site, Bases(BASE, BASE)) == render_page(
                clean.site.pages[path], clean.site, Bases(BASE, BASE)
            )
    js.export(tmp_path, BASE)
    served = b"".join(f.read_bytes() for f in tmp_path.rglob("*.html"))
    assert b'<a href="/app/"' in served
    assert not re.search(rb'<a [^>]*href="[^"]*/app/item-', served)  # only the scripts link
    listing = (tmp_path / "app/data/items.json").read_text(encoding="utf-8")
    assert all(f'"{path}"' in listing for path in items)
    assert "Disallow: /app/private/" in (tmp_path / "robots.txt").read_text(encoding="utf-8")
    assert (tmp_path / "app/private/item-5.json").is_file()
