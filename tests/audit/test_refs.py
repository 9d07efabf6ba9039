"""The `refs` helper: referring pages counted for every URL, sampled (the first three by URL)
for the URLs whose referrers the checks name, checked against a count in Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketloop.audit import views
from marketloop.audit.config import AuditSettings
from marketloop.audit.engine import audit
from marketloop.audit.views import open_views
from marketloop.crawl.dataset import CrawlDataset

from .builder import Site, url

SOURCES = ["/", "/pricing", "/blog", "/de/preise", "/blog/first-post"]


def _site() -> Site:
    """The clean site plus a 404 linked from every page (twice from one, once by a stylesheet
    link and once from itself), a redirect linked only by <link>, and a linked <img>."""
    site = Site.clean()
    site.page(url="/gone", status=404, titles=None, canonical=None)
    for source in SOURCES:
        site.link(**{"from": source, "to": "/gone"})
    site.link(**{"from": "/blog", "to": "/gone", "anchor": "again"})
    site.link(**{"from": "/pricing", "to": "/gone", "kind": "stylesheet", "anchor": None})
    site.link(**{"from": "/gone", "to": "/gone"})
    site.redirect("/old", "/blog")
    site.link(**{"from": "/blog", "to": "/old", "kind": "canonical", "anchor": None})
    site.image(page="/blog", src="/img/hero.png")
    return site


def _expected(site: Site) -> dict[str, tuple[int, list[str], int, list[str]]]:
    """(n, first three referrers, n by <a>, first three by <a>) per URL, in plain Python."""
    any_ref: dict[str, set[str]] = {}
    a_ref: dict[str, set[str]] = {}
    for link in site.tables["links"]:
        if link["from_url"] != link["to_url"]:
            any_ref.setdefault(link["to_url"], set()).add(link["from_url"])
            if link["kind"] == "a":
                a_ref.setdefault(link["to_url"], set()).add(link["from_url"])
    for image in site.tables["images"]:
        any_ref.setdefault(image["src"], set()).add(image["page_url"])
    return {
        target: (
            len(refs),
            sorted(refs)[:3],
            len(a_ref.get(target, ())),
            sorted(a_ref.get(target, ()))[:3],
        )
        for target, refs in any_ref.items()
    }


#: `ref_key` as the hash, and as keys that collide: every URL on 0 or 1; two target URLs only
#: (neither refers to a page); two referring pages only (`/orphan` is linked from nowhere)
KEYS = {
    "hash": "hash(s)",
    "all collide": "hash(s) % 2",
    "targets collide": f"CASE WHEN s IN ('{url('/gone')}', '{url('/img/hero.png')}') THEN 0 "
    "ELSE hash(s) END",
    "referrers collide": f"CASE WHEN s IN ('{url('/')}', '{url('/orphan')}') THEN 0 "
    "ELSE hash(s) END",
}


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_refs_count_every_url_and_sample_the_ones_checks_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """With keys that collide, the pass's check must see it and count on the URLs themselves:
    the same rows."""
    monkeypatch.setattr(views, "REF_KEY_HASH", f"CREATE OR REPLACE MACRO ref_key(s) AS {key}")
    site = _site()
    site.page(url="/orphan")
    site.link(**{"from": "/orphan", "to": "/gone"})
    expected = _expected(site)
    with open_views(CrawlDataset.open(site.write(tmp_path / "crawl"))) as con:
        rows = con.execute("SELECT url, n, sample, n_a, sample_a FROM refs").fetchall()
        sampled = {
            u
            for (u,) in con.execute(
                "SELECT url FROM page_indexability WHERE indexability <> 'indexable'"
            ).fetchall()
        }
    found = {row[0]: row[1:] for row in rows}
    assert set(found) == set(expected)
    for target, (n, sample, n_a, sample_a) in expected.items():
        if target in sampled:
            assert found[target] == (n, sample, n_a, sample_a), target
        else:  # an indexable page, or a URL not crawled: no check names its referrers
            assert found[target] == (n, None, n_a, None), target
    assert found[url("/gone")] == (6, [url("/"), url("/blog"), url("/blog/first-post")], 6,
                                   [url("/"), url("/blog"), url("/blog/first-post")])  # fmt: skip
    assert found[url("/old")] == (1, [url("/blog")], 0, [])
    assert found[url("/img/hero.png")] == (2, [url("/"), url("/blog")], 0, [])
    assert found[url("/pricing")] == (4, None, 4, None)
    assert found[url("/style.css")] == (5, None, 0, None)


def test_a_broken_link_names_its_first_referring_pages(tmp_path: Path) -> None:
    result = audit(_site().write(tmp_path / "crawl"), AuditSettings(), save=False)
    (issue,) = [i for i in result.issues if i.check == "broken_link"]
    assert issue.url == url("/gone")
    assert issue.detail == (
        f"HTTP 404; linked from 5 pages: {url('/')}, {url('/blog')}, "
        f"{url('/blog/first-post')} (+2 more)"
    )
