"""The URL index: the same page, links and redirect hops as a scan of the whole crawl, for
any URL (quotes and markup included), rebuilt when the crawl's manifest changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from marketloop.audit.urlindex import INDEX, lookup, url_index
from marketloop.crawl.dataset import CrawlDataset, Manifest

from .builder import Site, url

HOSTILE = url('/it\'s-<script>x</script>-"=1+2"')


def _site() -> Site:
    site = Site.clean()
    site.page(url=HOSTILE, titles=['=HYPERLINK("x") [/] <b>'])
    site.link(**{"from": "/", "to": HOSTILE, "anchor": "<script>x</script>"})
    site.link(**{"from": HOSTILE, "to": "/pricing", "anchor": "'\"&", "nofollow": True})
    site.redirect("/a", "/b")
    site.redirect("/b", "/pricing", status=308)
    site.redirect("/loop1", "/loop2")
    site.redirect("/loop2", "/loop1")
    site.extraction(HOSTILE, "price", ["=cmd|'/c calc'!A1", "<script>x</script>\x07"], 2)
    site.extraction(HOSTILE, "count", [], 3)
    site.extraction("/pricing", "price", ["9"], 1)
    return site


def _scan(
    dataset: CrawlDataset, address: str
) -> tuple[dict[str, Any], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What a lookup should find, by scanning the whole crawl (the slow way)."""
    con = dataset.connect()
    found = con.execute("SELECT * FROM pages WHERE url = ?", [address])
    names = [d[0] for d in found.description or []]
    page = dict(zip(names, found.fetchone() or (), strict=False))
    links = "SELECT {side}, anchor, kind, nofollow FROM links WHERE {key} = ? ORDER BY ALL"
    inlinks = con.execute(links.format(side="from_url", key="to_url"), [address]).fetchall()
    outlinks = con.execute(links.format(side="to_url", key="from_url"), [address]).fetchall()
    con.close()
    return page, inlinks, outlinks


@pytest.mark.parametrize("path", ["/", "/pricing", HOSTILE, "/blog/first-post", "/img/hero.png"])
def test_a_lookup_finds_what_a_scan_finds(tmp_path: Path, path: str) -> None:
    dataset = CrawlDataset.open(_site().write(tmp_path / "it's [a] *?" / "crawl"))
    found = lookup(dataset, url(path), limit=200)
    assert found is not None
    page, inlinks, outlinks = _scan(dataset, url(path))
    assert (found.page, found.inlinks, found.outlinks) == (page, inlinks, outlinks)
    assert found.hops == []
    con = dataset.connect()
    fields = con.execute(
        'SELECT name, "values", matches FROM extractions WHERE page_url = ? ORDER BY ALL',
        [url(path)],
    ).fetchall()
    con.close()
    assert found.extracted == fields
    assert bool(fields) == (path in (HOSTILE, "/pricing"))  # the test has rows to compare


def test_an_index_without_extractions_finds_none(tmp_path: Path) -> None:
    site = Site.clean()  # a crawl made before custom extraction, or without rules
    found = lookup(CrawlDataset.open(site.write(tmp_path / "crawl")), url("/"), limit=5)
    assert found is not None and found.extracted == []


def test_redirect_hops_are_followed_and_stop_at_a_loop(tmp_path: Path) -> None:
    dataset = CrawlDataset.open(_site().write(tmp_path / "crawl"))
    chain = lookup(dataset, url("/a"), limit=5)
    assert chain is not None
    assert chain.hops == [(url("/a"), 301, url("/b")), (url("/b"), 308, url("/pricing"))]
    loop = lookup(dataset, url("/loop1"), limit=5)
    assert loop is not None and [h[0] for h in loop.hops] == [url("/loop1"), url("/loop2")]


def test_links_are_cut_at_the_limit(tmp_path: Path) -> None:
    dataset = CrawlDataset.open(_site().write(tmp_path / "crawl"))
    found = lookup(dataset, url("/pricing"), limit=2)
    assert found is not None and len(found.inlinks) == 2
    assert found.inlinks == _scan(dataset, url("/pricing"))[1][:2]


def test_an_uncrawled_url_is_none(tmp_path: Path) -> None:
    dataset = CrawlDataset.open(_site().write(tmp_path / "crawl"))
    assert lookup(dataset, url("/nowhere"), limit=5) is None
    assert lookup(dataset, "'; DROP TABLE pages; --", limit=5) is None


def test_the_index_is_built_once_and_rebuilt_when_the_crawl_changes(tmp_path: Path) -> None:
    folder = _site().write(tmp_path / "crawl")
    dataset = CrawlDataset.open(folder)
    first = url_index(dataset)
    stamp = (folder / INDEX / "stamp.json").stat().st_mtime_ns
    assert url_index(dataset) == first
    assert (folder / INDEX / "stamp.json").stat().st_mtime_ns == stamp  # not rebuilt

    site = _site()
    site.page(url="/new")
    site.link(**{"from": "/new", "to": "/pricing"})
    site.write(folder)  # the crawl went on: new rows, a new manifest
    manifest = Manifest.read(folder)
    manifest.counts = {"batches": 2}
    manifest.write(folder)
    found = lookup(CrawlDataset.open(folder), url("/new"), limit=5)
    assert found is not None and found.outlinks == [(url("/pricing"), "Acme product overview",
                                                     "a", False)]  # fmt: skip
    assert [p.name for p in folder.iterdir() if p.name.startswith(f".{INDEX}")] == []
