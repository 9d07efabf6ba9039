"""The crawl loop: breadth-first dispatch, the per-URL visit, batches, resume and stop.

    crawler = Crawler(start_url, folder, settings)
    manifest = await crawler.run()        # or crawler.stop() from a signal handler

Depth is exact even with many requests in flight: an entry of level L is dispatched only while
nothing of level L-2 or less is still queued or in flight, so every page that could link to it
at a smaller depth has been parsed. Everything a visit learns (rows and newly found URLs) is
recorded in one synchronous step, so a cancelled visit leaves no trace and is redone on resume.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from aiohttp.abc import AbstractResolver

from marketloop.crawl import rows
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.fetch import Fetcher, Response
from marketloop.crawl.frontier import Entry, Frontier
from marketloop.crawl.netpolicy import PolicyResolver, is_forbidden, literal_is_forbidden
from marketloop.crawl.politeness import Gates
from marketloop.crawl.pool import ParserPool
from marketloop.crawl.progress import CrawlStats
from marketloop.crawl.records import HtmlJob, HtmlResult
from marketloop.crawl.robots import RobotsRules
from marketloop.crawl.scope import Found, Scope
from marketloop.crawl.session import open_dataset
from marketloop.crawl.sitemap_reader import SitemapReader, fetch_robots
from marketloop.crawl.urls import host_of, origin_of, resolve_reference
from marketloop.crawl.writer import Batch, DatasetWriter

FLUSH_SECONDS = 10.0
LINKS_PER_PAGE = 25  # a batch is also written at batch_rows * 25 links (link-heavy sites)
MAX_NOTES = 20
log = structlog.get_logger("marketloop.crawl")
ProgressFn = Callable[[CrawlStats], None]


class Crawler:
    resolver: PolicyResolver
    fetcher: Fetcher
    pool: ParserPool

    def __init__(
        self,
        start_url: str,
        folder: Path,
        settings: CrawlSettings,
        *,
        resume: bool = False,
        resolver: AbstractResolver | None = None,
        on_progress: ProgressFn | None = None,
    ) -> None:
        self.settings = settings
        self.folder = folder
        self.session = open_dataset(start_url, folder, settings, resume=resume)
        self.start_url = self.session.manifest.start_url
        self.scope = Scope(self.start_url, settings)
        self._inner_resolver = resolver
        self.on_progress = on_progress
        self.stats = CrawlStats(done=self.session.done)
        self.notes: list[str] = []
        self.batch = Batch()
        self._levels: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._flush: asyncio.Task[None] | None = None
        self._last_flush = time.monotonic()
        self._robots: dict[str, asyncio.Future[RobotsRules]] = {}

    @property
    def frontier(self) -> Frontier:
        return self.session.frontier

    @property
    def writer(self) -> DatasetWriter:
        return self.session.writer

    def stop(self) -> None:
        """Stop soon and cleanly: finished URLs are kept, the dataset is marked interrupted."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> Manifest:
        allow_private = self.settings.allow_private_networks
        self.resolver = PolicyResolver(self._inner_resolver, allow_private=allow_private)
        await self._classify_start()
        gates = Gates(self.settings.concurrency, self.settings.max_rps)
        self.fetcher = Fetcher(self.settings, self.resolver, gates)
        self.pool = await ParserPool(self.session.parse_workers).start()
        sitemaps = asyncio.create_task(SitemapReader(self).run())
        status = "failed"
        try:
            await self._dispatch(sitemaps)
            status = "interrupted" if self._stopping else "finished"
        finally:
            sitemaps.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(sitemaps, *self._tasks, return_exceptions=True)
            if not sitemaps.cancelled() and sitemaps.exception() is not None:
                self.note(f"sitemap discovery stopped: {sitemaps.exception()!r}")
            await self._flush_now()
            await self.fetcher.close()
            await self.pool.close()
            self.session.finish(status, self.notes)
        return self.session.manifest

    async def _classify_start(self) -> None:
        """A crawl that starts on a private address may stay on private addresses."""
        if self.resolver.allow_private:
            return
        try:
            addresses = await self.resolver.addresses(host_of(self.start_url))
        except OSError:
            return  # the start URL's own fetch will record the DNS error
        if any(is_forbidden(a) for a in addresses):
            self.resolver.allow_private = True

    # -- dispatch -----------------------------------------------------------------------
    async def _dispatch(self, sitemaps: asyncio.Task[None]) -> None:
        limit = max(32, self.settings.concurrency * 4)
        while not self._stopping:
            entry = self.frontier.peek()
            if entry is None:
                if self._tasks or not sitemaps.done():
                    await self._sleep(sitemaps)
                    continue
                if self.settings.max_depth is None and self.frontier.release_sitemap_pages():
                    continue  # a depth-limited crawl cannot tell orphans from deep pages
                return
            if self.stats.dispatched >= self.settings.max_urls:
                if not self._tasks:
                    return
                await self._sleep(sitemaps)
                continue
            blocked = self._levels and entry.level > min(self._levels) + 1
            if blocked or len(self._tasks) >= limit or self._backlogged():
                await self._sleep(sitemaps)
                continue
            self.frontier.take()
            self.stats.dispatched += 1
            self._levels[entry.level] += 1
            task = asyncio.create_task(self._visit(entry))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._visited, entry=entry))

    def _visited(self, task: asyncio.Task[None], *, entry: Entry) -> None:
        self._tasks.discard(task)
        self._levels[entry.level] -= 1
        if not self._levels[entry.level]:
            del self._levels[entry.level]
        self._wake.set()
        error = None if task.cancelled() else task.exception()
        if error is not None:  # a bug: keep the URL visible instead of dropping it
            self._record(entry, {**rows.page_row(entry), "error": "crawler_error"})
            self.note(f"crawler error on {entry.url}: {error!r} (please report it)")
            log.error("crawler error", url=entry.url, error=repr(error))

    def note(self, note: str) -> None:
        """Something a person should know about this crawl (kept in the manifest)."""
        if len(self.notes) < MAX_NOTES:
            self.notes.append(note)

    async def _sleep(self, sitemaps: asyncio.Task[None]) -> None:
        self._wake.clear()
        waiter = asyncio.create_task(self._wake.wait())
        await asyncio.wait({waiter, sitemaps}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()

    # -- one URL ------------------------------------------------------------------------
    async def _visit(self, entry: Entry) -> None:
        row = rows.page_row(entry)
        url = entry.url
        if not self.resolver.allow_private and literal_is_forbidden(host_of(url)):
            row["error"] = "private_address"
            return self._record(entry, row)
        if self.settings.obey_robots and not (await self.robots(url)).allowed(
            url, self.settings.user_agent
        ):
            row["blocked_by_robots"] = True
            return self._record(entry, row)
        response = await self._fetch(url, "HEAD" if entry.via == "image" else "GET")
        rows.add_response(row, response)
        parsed: HtmlResult | None = None
        status = response.status or 0
        if 200 <= status < 300 and response.error is None and rows.is_html(response):
            _, charset = rows.media_type(response.headers.get("content-type"))
            job = HtmlJob(url, response.body, charset, self.scope.internal_hosts)
            parsed = await self.pool.parse_page(job)
        return self._record(entry, row, response, parsed)

    async def _fetch(self, url: str, method: str) -> Response:
        response = await self.fetcher.get(url, method)
        head_failed = response.error is not None or response.status in (405, 501)
        unknown_size = "content-length" not in response.headers and response.status == 200
        if method == "HEAD" and (head_failed or unknown_size):
            response = await self.fetcher.get(url, "GET")
        return response

    def _record(
        self,
        entry: Entry,
        row: dict[str, Any],
        response: Response | None = None,
        parsed: HtmlResult | None = None,
    ) -> None:
        """Everything one visit learnt, in one synchronous step (see the module docstring)."""
        found: list[Found] = []
        if response is not None and response.status and 300 <= response.status < 400:
            found += self._redirect(entry, row, response)
        if parsed is not None:
            rows.add_html(self.batch, row, parsed)
            if parsed.extracted is not None:
                found += self.scope.from_page(entry, parsed.extracted.discovered)
        self.batch["pages"].add(row)
        self.frontier.add(found)
        self.stats.count(row)
        if self.on_progress is not None:
            self.stats.queued = self.frontier.queued
            self.on_progress(self.stats)
        self._maybe_flush()

    def _redirect(self, entry: Entry, row: dict[str, Any], response: Response) -> list[Found]:
        location = response.headers.get("location")
        target = resolve_reference(entry.url, location) if location else None
        found, error = self.scope.from_redirect(entry, target)
        row["redirect_url"] = target
        row["error"] = row.get("error") or error
        hop = rows.redirect_row(entry.url, response.status or 0, target, self.scope.internal_hosts)
        self.batch["redirects"].add(hop)
        return found

    # -- robots.txt ---------------------------------------------------------------------
    async def robots(self, url: str) -> RobotsRules:
        origin = origin_of(url)
        future = self._robots.get(origin)
        if future is None:
            future = self._robots[origin] = asyncio.ensure_future(fetch_robots(self, origin))
        return await asyncio.shield(future)

    # -- batches ------------------------------------------------------------------------
    def _backlogged(self) -> bool:
        """Hold dispatch while a flush runs and the next batch is already twice as large."""
        flushing = self._flush is not None and not self._flush.done()
        return flushing and self.batch["pages"].rows >= 2 * self.settings.batch_rows

    def _maybe_flush(self) -> None:
        if self._flush is not None and not self._flush.done():
            return
        due = time.monotonic() - self._last_flush > FLUSH_SECONDS
        big = self.batch["pages"].rows >= self.settings.batch_rows
        if (
            big
            or self.batch["links"].rows >= LINKS_PER_PAGE * self.settings.batch_rows
            or (due and self.batch.rows)
        ):
            self._flush = asyncio.create_task(self._flush_now())

    async def _flush_now(self) -> None:
        if self._flush is not None and self._flush is not asyncio.current_task():
            await asyncio.shield(self._flush)
        batch, self.batch = self.batch, Batch()
        self._last_flush = time.monotonic()
        if not batch.rows:
            return
        self.frontier.commit()  # discoveries are durable before the rows that led to them
        counts = self.session.add_counts(batch)
        await asyncio.to_thread(self.writer.write, batch, counts)
        self._wake.set()
