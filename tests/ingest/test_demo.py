"""The demo step: sample data for the crawled site's pages, offline, into the workspace."""

from __future__ import annotations

from marketloop.config import load_settings
from marketloop.demo import DemoRun
from marketloop.ingest.demo import ingest_step, site_sample
from marketloop.workspace import Workspace

from .conftest import make_crawl, query


def test_the_demo_loads_every_source_for_the_crawled_pages(workspace: Workspace) -> None:
    crawled = [
        "http://127.0.0.1:8123/",
        "http://127.0.0.1:8123/pricing",
        "http://127.0.0.1:8123/blog/a",
    ]
    pages = [
        {
            "url": url,
            "status": 200,
            "content_type": "text/html",
            "is_internal": True,
            "depth": depth,
        }
        for depth, url in enumerate(crawled)
    ]
    pages.append({"url": "http://127.0.0.1:8123/gone", "status": 404, "is_internal": True})
    make_crawl(workspace, pages, issues=None)
    assert site_sample(workspace).urls == crawled

    settings = load_settings(overrides={"workspace": str(workspace.root)})
    run = DemoRun(settings, workspace)
    ingest_step(run)

    assert run.outputs["warehouse"] == workspace.warehouse_path
    paths = {row[0] for row in query(settings, "SELECT DISTINCT page_path FROM ga4.pages")}
    assert paths == {"/", "/pricing", "/blog/a"}
    gsc_pages = {
        row[0] for row in query(settings, "SELECT DISTINCT page FROM gsc.search_analytics")
    }
    assert gsc_pages == set(crawled)
    first_touch = query(settings, "SELECT DISTINCT hs_analytics_first_url FROM hubspot.contacts")
    assert {row[0] for row in first_touch} <= set(crawled)
    assert query(settings, "SELECT count(*) FROM crawl.pages") == [(4,)]


def test_without_a_crawl_the_demo_uses_an_example_site(workspace: Workspace) -> None:
    sample = site_sample(workspace)
    assert sample.site_url == "https://www.example.com/"
    assert "/pricing" in sample.paths
