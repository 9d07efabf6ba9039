"""An integration crawl of the sample site: the rows each table holds."""

from __future__ import annotations

from marketloop.crawl.dataset import CrawlDataset
from marketloop.sample import RunningSite

from .conftest import by_url


def test_manifest_is_finished_with_exact_counts(sample_crawl: CrawlDataset) -> None:
    manifest = sample_crawl.manifest
    assert manifest.status == "finished"
    assert manifest.finished_at is not None
    for table in ("pages", "links", "images", "redirects", "sitemaps", "sitemap_urls"):
        stored = sample_crawl.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]
        assert manifest.counts[table] == stored > 0, table


def test_every_url_has_exactly_one_row(sample_crawl: CrawlDataset) -> None:
    dupes = sample_crawl.query("SELECT url, count(*) AS n FROM pages GROUP BY url HAVING n > 1")
    assert dupes == []


def test_every_page_of_the_site_is_crawled_at_its_link_depth(
    sample_site: RunningSite, sample_crawl: CrawlDataset
) -> None:
    pages = by_url(sample_crawl)
    home = pages[sample_site.url]
    assert (home["depth"], home["found_via"], home["status"]) == (0, "start", 200)
    assert pages[sample_site.url + "pricing/"]["depth"] == 1
    assert pages[sample_site.url + "docs/api/v1/legacy-endpoints/"]["depth"] == 4
    orphan = pages[sample_site.url + "webinars/growth-summit-2023/"]
    assert (orphan["depth"], orphan["found_via"]) == (None, "sitemap")
    served = {p for p, page in sample_site.sample.site.pages.items() if page.origin.value == "main"}
    crawled = {u.removeprefix(sample_site.url.rstrip("/")) for u in pages}
    assert served <= crawled


def test_html_page_row_is_complete(sample_site: RunningSite, sample_crawl: CrawlDataset) -> None:
    page = by_url(sample_crawl)[sample_site.url + "pricing/"]
    assert page["content_type"] == "text/html" and page["charset"] == "utf-8"
    assert page["size"] > 1000 and 0 < page["response_time_ms"] < 1000
    assert page["fetched_at"] is not None
    assert page["titles"] == ["Simple pricing that grows with you | Lumen Analytics"]
    assert page["canonical"] == sample_site.url + "pricing/" and page["canonical_count"] == 1
    assert {h["lang"] for h in page["hreflang"]} == {"en", "de"}
    assert page["h1"] == ["Simple pricing that grows with you"]
    assert page["word_count"] >= 200 and page["content_hash"] and page["simhash"]
    assert page["jsonld_types"] == ["FAQPage"] and page["jsonld_errors"] == []
    assert dict(page["og"])["og:url"] == sample_site.url + "pricing/"
    assert (
        page["lang"] == "en" and page["outlinks_internal"] > 10 and page["outlinks_external"] == 2
    )
    assert page["hsts"] and page["content_security_policy"] and page["x_frame_options"]
    assert page["parse_error"] is None and page["is_internal"] and page["host"] == "127.0.0.1"


def test_redirects_are_recorded_hop_by_hop(
    sample_site: RunningSite, sample_crawl: CrawlDataset
) -> None:
    base = sample_site.url.rstrip("/")
    hops = {r["url"]: r for r in sample_crawl.query("SELECT * FROM redirects")}
    assert hops[base + "/plans/"]["location"] == base + "/plans/2023/"
    assert hops[base + "/plans/2023/"]["location"] == base + "/pricing/"
    assert hops[base + "/plans/"]["status"] == 301 and hops[base + "/plans/"]["is_internal"]
    pages = by_url(sample_crawl)
    second = pages[base + "/plans/2023/"]
    assert (second["found_via"], second["status"], second["redirect_url"]) == (
        "redirect",
        301,
        base + "/pricing/",
    )
    loop = pages[base + "/partner-program/"]
    assert (loop["status"], loop["error"]) == (302, "redirect_loop")


def test_blocked_urls_are_rows_without_a_fetch(
    sample_site: RunningSite, sample_crawl: CrawlDataset
) -> None:
    row = by_url(sample_crawl)[sample_site.url + "internal/reports/"]
    assert row["blocked_by_robots"] and row["status"] is None and row["fetched_at"] is None


def test_errors_and_status_targets(sample_site: RunningSite, sample_crawl: CrawlDataset) -> None:
    pages = by_url(sample_crawl)
    assert pages[sample_site.url + "api/export/"]["status"] == 500
    assert pages[sample_site.url + "blog/2019-benchmark-report/"]["status"] == 404
    dropped = pages[sample_site.url + "status/"]
    assert (dropped["status"], dropped["error"]) == (None, "connection_reset")
    assert pages[sample_site.url + "legal/cookies/"]["x_robots_tag"] == "noindex"


def test_images_are_fetched_with_head_for_size(
    sample_site: RunningSite, sample_crawl: CrawlDataset
) -> None:
    image = by_url(sample_crawl)[sample_site.url + "img/team-photo.png"]
    assert (image["found_via"], image["status"], image["content_type"]) == (
        "image",
        200,
        "image/png",
    )
    assert 170_000 < image["size"] < 190_000
    rows = sample_crawl.query("SELECT * FROM images WHERE src LIKE '%team-photo%'")
    assert rows and rows[0]["alt"] and rows[0]["is_internal"]


def test_links_table(sample_site: RunningSite, sample_crawl: CrawlDataset) -> None:
    links = sample_crawl.query(
        "SELECT * FROM links WHERE from_url = ? ORDER BY to_url", [sample_site.url + "pricing/"]
    )
    kinds = {link["kind"] for link in links}
    assert kinds == {"a", "stylesheet"}
    nav = [link for link in links if link["to_url"] == sample_site.url + "docs/"]
    assert nav and not nav[0]["in_main"] and nav[0]["anchor"] == "Documentation"
    external = [link for link in links if not link["is_internal"]]
    assert {link["to_url"] for link in external} >= {"https://github.com/lumen-analytics"}
    inlinks = sample_crawl.query(
        "SELECT inlinks FROM inlinks WHERE url = ?", [sample_site.url + "pricing/"]
    )
    assert inlinks[0]["inlinks"] > 50


def test_sitemaps_rows(sample_site: RunningSite, sample_crawl: CrawlDataset) -> None:
    rows = {
        r["sitemap_url"].rsplit("/", 1)[1]: r for r in sample_crawl.query("SELECT * FROM sitemaps")
    }
    assert (
        rows["sitemap_index.xml"]["kind"] == "sitemapindex"
        and rows["sitemap_index.xml"]["found_via"] == "robots"
    )
    assert (
        rows["sitemap-posts.xml.gz"]["kind"] == "urlset"
        and rows["sitemap-posts.xml.gz"]["found_via"] == "index"
    )
    assert rows["sitemap-archive.xml"]["url_count"] == 50_001
    listed = sample_crawl.query("SELECT count(DISTINCT url) AS n FROM sitemap_urls")[0]["n"]
    assert listed > 40
