"""Discovery beside the link crawl: robots.txt per origin, and the site's XML sitemaps.

Sitemaps are found from the start origin's robots.txt `Sitemap:` lines, else `/sitemap.xml`,
and followed through sitemap indexes. Each file read becomes a `sitemaps` row, each `<loc>` a
`sitemap_urls` row; internal page URLs wait in the frontier until the link crawl is over and
then enter it with `found_via='sitemap'` (see `frontier.release_sitemap_pages`), and so do the
internal hreflang alternates of their `xhtml:link` entries. Every URL read from a sitemap is
rewritten by the crawl's URL rewriting first.

In list mode from a sitemap (`crawl --list https://example.com/sitemap.xml`) the given sitemap
(and the sitemaps of an index) is read instead, and the URLs it lists on its own host enter the
frontier at once as the list (depth 0, `found_via='list'`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketloop.crawl.records import SitemapDoc, SitemapJob
from marketloop.crawl.robots import MAX_ROBOTS_BYTES, RobotsRules, rules_from_response
from marketloop.crawl.sitemaps import MAX_UNCOMPRESSED
from marketloop.crawl.urls import host_of, origin_of, resolve_reference

if TYPE_CHECKING:
    from marketloop.crawl.engine import Crawler

ROBOTS_REDIRECTS = 5


async def fetch_robots(crawler: Crawler, origin: str) -> RobotsRules:
    """The rules of `origin`, following up to five redirects as Google does."""
    url = f"{origin}/robots.txt"
    for _ in range(ROBOTS_REDIRECTS + 1):
        if crawler.resolver.refuses_literal(host_of(url)):
            return rules_from_response(origin, None, b"", "private_address")
        response = await crawler.fetcher.get(url, max_body=MAX_ROBOTS_BYTES)
        location = response.headers.get("location")
        status = response.status or 0
        if 300 <= status < 400 and location:
            target = resolve_reference(url, location)
            if target is not None:
                url = target
                continue
        error = response.error if response.error != "too_large" else None
        rules = rules_from_response(origin, response.status, response.body, error)
        if rules.note:
            crawler.note(rules.note)
        return rules
    return rules_from_response(origin, 404, b"", None)  # too many redirects: no rules


class SitemapReader:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.listing = False

    async def run(self, listed: str | None = None) -> None:
        """Read the site's sitemaps; or, in list mode, the sitemap `listed` and its children."""
        crawler = self.crawler
        self.listing = listed is not None
        if listed is not None:
            crawler.frontier.add_sitemap_file(listed, "list")
        else:
            await self._discover()
        last = 0
        while files := crawler.frontier.sitemap_files(after=last):
            for seq, url, via in files:
                await self.read(url, via)
                last = seq

    async def _discover(self) -> None:
        crawler = self.crawler
        origin = origin_of(crawler.start_url)
        rules = await crawler.robots(crawler.start_url)
        listed = [u for s in rules.sitemaps if (u := resolve_reference(origin + "/", s))]
        for url in listed:
            crawler.frontier.add_sitemap_file(url, "robots")
        if not listed:
            crawler.frontier.add_sitemap_file(f"{origin}/sitemap.xml", "default")

    async def read(self, url: str, via: str) -> None:
        crawler = self.crawler
        row: dict[str, Any] = {"sitemap_url": url, "found_via": via, "kind": "invalid"}
        doc: SitemapDoc | None = None
        if crawler.resolver.refuses_literal(host_of(url)):
            row["error"] = "private_address"
        else:
            response = await crawler.fetcher.get(url, max_body=MAX_UNCOMPRESSED)
            row.update(status=response.status, size=response.size, error=response.error)
            status = response.status or 0
            if 200 <= status < 300 and response.error is None:
                doc = await crawler.pool.parse_sitemap(SitemapJob(url, response.body))
            elif 300 <= status < 400:
                target = resolve_reference(url, response.headers.get("location") or "")
                row["error"] = f"redirects to {target}" if target else "redirect without Location"
                if target:
                    crawler.frontier.add_sitemap_file(target, via)
            elif response.status is not None and not 200 <= status < 300:
                row["error"] = f"HTTP {response.status}"  # a 2xx keeps the body's own error
        self._record(url, row, doc)

    def _record(self, url: str, row: dict[str, Any], doc: SitemapDoc | None) -> None:
        crawler = self.crawler
        if doc is not None:
            row.update(kind=doc.kind, url_count=doc.url_count, size=doc.size, error=doc.error)
            if doc.kind == "sitemapindex":
                for loc in doc.locs:
                    crawler.frontier.add_sitemap_file(loc, "index")
            elif doc.kind == "urlset":
                self._urlset(url, doc)
        redirected = str(row.get("error") or "").startswith("redirect")
        if self.listing and row.get("error") and not redirected:  # the list itself is at stake
            crawler.note(f"the sitemap {url} could not be read in full: {row['error']}")
        crawler.batch["sitemaps"].add(row)

    def _urlset(self, url: str, doc: SitemapDoc) -> None:
        crawler, scope = self.crawler, self.crawler.scope
        rewrite = crawler.rewrite
        locs = [rewrite(loc) for loc in doc.locs]
        alternates = [[(lang, rewrite(u)) for lang, u in pairs] for pairs in doc.hreflang]
        crawler.batch["sitemap_urls"].extend(
            {"sitemap_url": url, "url": locs, "lastmod": doc.lastmods, "hreflang": alternates},
            len(locs),
        )
        if self.listing:
            own = [u for u in locs if host_of(u) == host_of(url)]
            if len(own) < len(locs):
                crawler.note(
                    f"{len(locs) - len(own):,} URLs of {url} are on another host than the "
                    "sitemap and were not crawled (a sitemap lists its own host's URLs)"
                )
            crawler.queue_listed(own)
            return
        found = locs + [u for pairs in alternates for _, u in pairs]
        crawler.frontier.add_sitemap_pages(
            u for u in found if scope.is_internal(u) and scope.wanted(u)
        )
