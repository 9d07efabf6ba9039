"""The crawl loop: breadth-first dispatch, the per-URL visit, batches, resume and stop.

    crawler = Crawler(start_url, folder, settings)
    manifest = await crawler.run()        # or crawler.stop() from a signal handler

Fetching runs ahead, many requests in flight; what a visit learns (its rows and the URLs it
found) is recorded strictly in breadth-first order, `(level, seq)`, as if one page were crawled
at a time: a finished visit waits until every URL before it is recorded, including URLs that
are still queued. So depth, `found_via` and the frontier's own order are the same on every run,
whatever the timing. Recording is one synchronous step, so a cancelled or unrecorded visit
leaves no trace and is redone on resume.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import structlog
from aiohttp.abc import AbstractResolver

from marketloop.crawl import access, rows
from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.fetch import Fetcher, Response
from marketloop.crawl.frontier import Entry, Frontier
from marketloop.crawl.netpolicy import PolicyResolver
from marketloop.crawl.politeness import Gates
from marketloop.crawl.pool import ParserPool
from marketloop.crawl.progress import CrawlStats
from marketloop.crawl.records import HtmlJob, HtmlResult
from marketloop.crawl.rewrite import rewriter
from marketloop.crawl.robots import RobotsRules
from marketloop.crawl.scope import Found, Scope
from marketloop.crawl.session import open_dataset
from marketloop.crawl.sitemap_reader import SitemapReader, fetch_robots
from marketloop.crawl.urls import host_of, origin_of, resolve_reference
from marketloop.crawl.writer import Batch, DatasetWriter

if TYPE_CHECKING:
    from marketloop.crawl.render import Renderer

FLUSH_SECONDS = 10.0
LINKS_PER_PAGE = 25  # a batch is also written at batch_rows * 25 links (link-heavy sites)
AHEAD = 8  # visits fetched but not yet recorded, at most AHEAD x the requests in flight
MAX_NOTES = 20
log = structlog.get_logger("marketloop.crawl")
ProgressFn = Callable[[CrawlStats], None]
Key = tuple[int, int]  # (level, seq): an entry's place in breadth-first order


async def _nothing() -> None:
    return None


class Visit(NamedTuple):
    """What one visit learnt, waiting to be recorded in order (no body: it is parsed)."""

    entry: Entry
    row: dict[str, Any]
    redirect: tuple[int, str | None] | None = None  # (status, Location) of a 3xx
    parsed: HtmlResult | None = None

    @property
    def links(self) -> int:
        extracted = self.parsed.extracted if self.parsed is not None else None
        return len(extracted.links.to_url) if extracted is not None else 0


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
        seeds: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.rules = tuple(rule.record() for rule in settings.extract)
        self.rewrite_rules = settings.rewrite.record()
        self.rewriter = rewriter(self.rewrite_rules)
        self.folder = folder
        self.session = open_dataset(start_url, folder, settings, resume=resume, seeds=seeds)
        self.start_url = self.session.manifest.start_url
        listing = settings.mode == "list" and not seeds  # the URLs of a sitemap (or index)
        self.list_sitemap = self.start_url if listing else None
        self.scope = Scope(self.start_url, settings, seeds)
        self._robots_exempt = access.robots_exempt(settings, self.start_url)
        self._inner_resolver = resolver
        self.on_progress = on_progress
        self.stats = CrawlStats(done=self.session.done)
        self.notes: list[str] = []
        self.batch = Batch()
        self._tasks: set[asyncio.Task[Visit]] = set()
        self._unrecorded: list[Key] = []  # heap of dispatched entries not yet recorded
        self._visits: dict[Key, Visit] = {}  # finished visits among them
        self._waiting_links = 0  # link rows those finished visits hold
        self._wake = asyncio.Event()
        self._stopping = False
        self._flush: asyncio.Task[None] | None = None
        self._last_flush = time.monotonic()
        self._robots: dict[str, asyncio.Future[RobotsRules]] = {}
        self.renderer: Renderer | None = None

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
        credentials = access.headers_for(self.settings, self.scope.is_internal)
        self.fetcher = Fetcher(self.settings, self.resolver, gates, credentials)
        self.pool = await ParserPool(self.session.parse_workers).start()
        if self.settings.render == "js":
            await self._start_renderer()
        reader = SitemapReader(self)
        if self.settings.mode != "list":
            discovery = reader.run()
        elif self.list_sitemap is not None:  # a list crawl fetches the list, no more
            discovery = reader.run(listed=self.list_sitemap)
        else:
            discovery = _nothing()
        sitemaps = asyncio.create_task(discovery)
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
            if self.renderer is not None:
                await self.renderer.close()
                for note in self.renderer.notes:
                    self.note(note)
            await self.fetcher.close()
            await self.pool.close()
            self.session.finish(status, self.notes)
        return self.session.manifest

    async def _classify_start(self) -> None:
        """A crawl that starts on a private IP address or localhost may reach that address (and
        only it); a start name that resolves to a private address needs the setting, so a DNS
        answer cannot switch the policy off (rebinding)."""
        if self.resolver.allow_private:
            return
        host = host_of(self.start_url)
        try:
            await self.resolver.exempt_start(host)
            addresses = await self.resolver.addresses(host)
        except OSError:
            return  # the start URL's own fetch will record the DNS error
        if any(self.resolver.refuses(a) for a in addresses):
            self.note(
                f"{host} resolves to a private or local address, which a crawl reaches only "
                "with crawl.allow_private_networks (--allow-private-networks)"
            )

    async def _start_renderer(self) -> None:
        """Chromium for --render js; a browser that cannot start leaves the crawl unrendered."""
        try:
            from marketloop.crawl.render import Renderer, RenderUnavailable
        except ImportError as exc:  # the `render` extra is not installed
            self.note(
                f"the browser did not start (Playwright is missing: {exc}; pip install "
                "'marketloop[render]'): pages were parsed without rendering"
            )
            return
        try:
            self.renderer = await Renderer.start(self.settings, self.fetcher, self._refused)
        except RenderUnavailable as exc:
            self.note(f"the browser did not start ({exc}): pages were parsed without rendering")

    async def _refused(self, url: str) -> str | None:
        """Why a rendered page may not request `url` (None: it may): internal resources obey
        robots.txt as pages do (Google does not fetch a disallowed script either)."""
        if self.resolver.refuses_literal(host_of(url)):
            return "private_address"
        if not self.scope.is_internal(url):
            return "third_party" if self.settings.render_block_third_party else None
        return "robots" if await self._disallowed(url) else None

    async def _disallowed(self, url: str) -> bool:
        """Whether robots.txt keeps the crawl from `url` (never when robots are ignored)."""
        if not self.settings.obey_robots or host_of(url) in self._robots_exempt:
            return False
        return not (await self.robots(url)).allowed(url, self.settings.user_agent)

    # -- dispatch -----------------------------------------------------------------------
    async def _dispatch(self, sitemaps: asyncio.Task[None]) -> None:
        limit = max(32, self.settings.concurrency * 4)
        while not self._stopping and self.stats.done < self.settings.max_urls:
            self._record_ready()
            entry = self.frontier.peek()
            if entry is not None and not self._within_budget(entry):
                entry = None
            if entry is None:
                if self._tasks or self._unrecorded:  # visits in flight or waiting for a flush
                    await self._sleep(sitemaps)
                    continue
                if self._planned() >= self.settings.max_urls:
                    return
                if not sitemaps.done():
                    await self._sleep(sitemaps)
                    continue
                if self.settings.max_depth is None and self.frontier.release_sitemap_pages():
                    continue  # a depth-limited crawl cannot tell orphans from deep pages
                return
            if self._held(entry, limit):
                await self._sleep(sitemaps)
                continue
            self.frontier.take()
            heapq.heappush(self._unrecorded, entry[:2])
            task = asyncio.create_task(self._visit(entry))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._visited, entry=entry))

    def _planned(self) -> int:
        """URLs recorded (this run and earlier ones) plus those dispatched and not recorded."""
        return self.stats.done + len(self._unrecorded)

    def _within_budget(self, entry: Entry) -> bool:
        """--max-urls counts the first URLs in breadth-first order, whatever the timing.

        When the budget is fully dispatched, a URL that sorts before one already dispatched (a
        redirect target found late) is still fetched; the last URLs in order are then fetched
        for nothing and never recorded.
        """
        if self._planned() < self.settings.max_urls:
            return True
        return bool(self._unrecorded) and entry[:2] < max(self._unrecorded)

    def _held(self, entry: Entry, limit: int) -> bool:
        """Whether dispatch waits: enough requests in flight, or enough results waiting.

        The earliest unrecorded visit may be waiting for this very entry, so an entry that
        sorts before it is never held by the size of the reorder buffer.
        """
        if len(self._tasks) >= limit or self._backlogged():
            return True
        full = (
            len(self._unrecorded) >= AHEAD * limit
            or self._waiting_links >= LINKS_PER_PAGE * self.settings.batch_rows
        )
        return full and not (self._unrecorded and entry[:2] < self._unrecorded[0])

    def _visited(self, task: asyncio.Task[Visit], *, entry: Entry) -> None:
        self._tasks.discard(task)
        self._wake.set()
        if task.cancelled():
            return
        error = task.exception()
        visit = task.result() if error is None else self._failed(entry, error)
        self._visits[entry[:2]] = visit
        self._waiting_links += visit.links
        self._record_ready()

    def _failed(self, entry: Entry, error: BaseException) -> Visit:
        """A bug in a visit: keep the URL visible, as `crawler_error`, instead of dropping it."""
        self.note(f"crawler error on {entry.url}: {error!r} (please report it)")
        log.error("crawler error", url=entry.url, error=repr(error))
        return Visit(entry, {**rows.page_row(entry), "error": "crawler_error"})

    def _record_ready(self) -> None:
        """Record finished visits in breadth-first order, as far as the order allows.

        The next visit to record is the earliest unrecorded one; it waits while it is still in
        flight or while a queued URL comes before it (a redirect target found meanwhile), and
        recording pauses while a flush runs and the next batch is full (the flush wakes it). Once
        --max-urls URLs are recorded, the rest were fetched out of order and are dropped.
        """
        while self._unrecorded and not self._backlogged():  # batches stay near batch_rows
            key = self._unrecorded[0]
            visit = self._visits.get(key)
            if visit is None:
                return
            queued = self.frontier.peek()
            if queued is not None and queued[:2] < key:
                return
            heapq.heappop(self._unrecorded)
            del self._visits[key]
            self._waiting_links -= visit.links
            if self.stats.done >= self.settings.max_urls:
                continue
            try:
                self._record(visit)
            except Exception as error:  # a bug: see _failed
                self._record(self._failed(visit.entry, error))

    def queue_listed(self, urls: Sequence[str]) -> None:
        """List mode from a sitemap: its URLs enter the frontier at depth 0, `found_via=list`."""
        if self.frontier.add((url, 0, "list", ()) for url in urls):
            self._wake.set()

    def rewrite(self, url: str) -> str:
        """`url` rewritten in this process (a redirect target, a sitemap entry); a replace rule
        that ran out of time on it is logged."""
        rewritten = self.rewriter(url)
        for warning in self.rewriter.drain():
            log.warning(warning)
        return rewritten

    def note(self, note: str) -> None:
        """Something a person should know about this crawl (kept in the manifest)."""
        if len(self.notes) < MAX_NOTES:
            self.notes.append(note)

    async def _sleep(self, sitemaps: asyncio.Task[None]) -> None:
        """Until a visit ends, a flush ends or sitemap discovery ends (if it has not yet)."""
        self._wake.clear()
        waiter = asyncio.create_task(self._wake.wait())
        wakers: set[asyncio.Task[Any]] = {waiter} if sitemaps.done() else {waiter, sitemaps}
        await asyncio.wait(wakers, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()

    # -- one URL ------------------------------------------------------------------------
    async def _visit(self, entry: Entry) -> Visit:
        row = rows.page_row(entry)
        url = entry.url
        if self.resolver.refuses_literal(host_of(url)):
            row["error"] = "private_address"
            return Visit(entry, row)
        if await self._disallowed(url):
            row["blocked_by_robots"] = True
            return Visit(entry, row)
        response = await self._fetch(url, "HEAD" if entry.via == "image" else "GET")
        rows.add_response(row, response)
        status = response.status or 0
        if 300 <= status < 400:
            return Visit(entry, row, (status, response.headers.get("location")))
        if 200 <= status < 300 and response.error is None and rows.is_html(response):
            return Visit(entry, row, parsed=await self._parse(url, response, row))
        return Visit(entry, row)

    async def _parse(self, url: str, response: Response, row: dict[str, Any]) -> HtmlResult:
        """The page parsed; with --render js the rendered DOM, and the served HTML's main facts
        in the `raw_*` columns (a page the browser could not render is parsed as served)."""
        kind, charset = rows.media_type(response.headers.get("content-type"))
        raw = HtmlJob(
            url,
            response.body,
            charset,
            self.scope.internal_hosts,
            response.headers.get("x-robots-tag"),
            self.rules,
            self.rewrite_rules,
        )
        if self.renderer is None:
            return await self.pool.parse_page(raw)
        rendered = await self.renderer.render(url, response.body, kind or "text/html")
        dom = rendered.html is not None
        rows.add_rendered(row, dom, rendered.error, rendered.js_errors, rendered.blocked)
        if rendered.html is None:
            return await self.pool.parse_page(raw)
        body = rendered.html.encode("utf-8", "surrogatepass")
        before, parsed = await asyncio.gather(
            self.pool.parse_page(raw._replace(rules=())),  # extraction rules: rendered DOM
            self.pool.parse_page(raw._replace(body=body, header_charset="utf-8")),
        )
        rows.add_raw(row, before)
        return parsed._replace(charset=before.charset)  # the served bytes' charset

    async def _fetch(self, url: str, method: str) -> Response:
        response = await self.fetcher.get(url, method)
        head_failed = response.error is not None or response.status in (405, 501)
        unknown_size = "content-length" not in response.headers and response.status == 200
        if method == "HEAD" and (head_failed or unknown_size):
            response = await self.fetcher.get(url, "GET")
        return response

    def _record(self, visit: Visit) -> None:
        """Everything one visit learnt, in one synchronous step (see the module docstring)."""
        entry, row, redirect, parsed = visit
        found: list[Found] = []
        if redirect is not None:
            found += self._redirect(entry, row, *redirect)
        if parsed is not None:
            rows.add_html(self.batch, row, parsed)
            if parsed.extracted is not None:
                found += self.scope.from_page(entry, parsed.extracted.discovered)
                for warning in parsed.extracted.warnings:
                    log.warning(warning, url=entry.url)
        self.batch["pages"].add(row)
        self.frontier.add(found)
        self.stats.count(row)
        if self.on_progress is not None:
            self.stats.queued = self.frontier.queued
            self.on_progress(self.stats)
        self._maybe_flush()

    def _redirect(
        self, entry: Entry, row: dict[str, Any], status: int, location: str | None
    ) -> list[Found]:
        target = resolve_reference(entry.url, location) if location else None
        target = self.rewrite(target) if target is not None else None
        found, error = self.scope.from_redirect(entry, target)
        row["redirect_url"] = target
        row["error"] = row.get("error") or error
        hop = rows.redirect_row(entry.url, status, target, self.scope.internal_hosts)
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
