"""JavaScript rendering (`crawl --render js`): HTML pages rendered in the system Chromium through
Playwright, then parsed like any other page.

    renderer = await Renderer.start(settings, fetcher, allowed)   # RenderUnavailable if not
    rendered = await renderer.render(url, body, content_type)     # .html, .error, .js_errors
    await renderer.close()

A pool of `render_pages` browser pages (each in its own context) renders at most that many
pages at once. The page's own HTML is the body the crawler already fetched (no second request);
every request the page then makes goes through the crawler's `Fetcher`, so rendering keeps the
crawl's network policy (private addresses refused at connection time, staging credentials only
to the crawl's own hosts, politeness per origin). Requests to other hosts are blocked by default
(`render_block_third_party`: analytics, ads), as are methods other than GET and HEAD; blocked
requests are recorded, and so are the crawl's own resources that robots.txt disallows (not
fetched, as Google would not) or that fail (no response, HTTP 4xx/5xx). Images, media and
fonts are not loaded at all (the DOM does not depend on them; the crawl itself still checks
internal images). A page gets `render_timeout` seconds
to reach `render_wait`; one that never settles is parsed as far as it got, with `render_error`
saying so. Never a downloaded browser: `chromium_path` (default /usr/bin/chromium).

A browser that dies during the crawl (killed, out of memory) is launched again, at most
`MAX_RELAUNCHES` times; the page it was rendering is parsed as served, with its
`render_error`. When it cannot be launched again, every later page is parsed as served with
`render_error` = `not rendered: ...`, and the crawl goes on; `notes` says what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Route,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.fetch import Fetcher
from marketloop.crawl.urls import try_normalize
from marketloop.errors import first_line

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
MAX_RECORDED = 50  # blocked requests and script errors kept per page
SNAPSHOT_SECONDS = 5.0  # for the DOM of a page whose scripts still run
BROWSER_SECONDS = 30.0  # for the browser to launch, or to open or close a page
MAX_RELAUNCHES = 3  # a browser that died is launched again at most this often per crawl
_FETCHED = frozenset({"GET", "HEAD"})
#: resource types the DOM does not depend on: not fetched, not recorded (rendering 2-3x faster)
_SKIPPED_TYPES = frozenset({"image", "media", "font"})


#: url -> None if a rendered page may request it, else why not
Vet = Callable[[str], Awaitable[str | None]]


class RenderUnavailable(RuntimeError):
    """The browser could not start."""


class Rendered(NamedTuple):
    html: str | None  # the rendered DOM; None when nothing could be taken
    error: str | None  # timeout, crash, ... (the DOM may still be there)
    js_errors: list[str]  # uncaught exceptions on the page
    blocked: list[str]  # "url (reason)" of requests not made


class _Slot:
    """One browser page of the pool and what its current render collects."""

    def __init__(self, browser: Browser, context: BrowserContext, page: Page) -> None:
        self.browser = browser  # the one that opened it (not the current after a relaunch)
        self.context = context
        self.page = page
        self.document: tuple[bytes, str] | None = None  # body and type of the page to render
        self.js_errors: list[str] = []
        self.blocked: list[str] = []

    def reset(self, body: bytes, content_type: str) -> None:
        self.document = (body, content_type)
        self.js_errors, self.blocked = [], []


class Renderer:
    def __init__(
        self,
        settings: CrawlSettings,
        fetcher: Fetcher,
        allowed: Vet,
        playwright: Playwright,
        browser: Browser,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.allowed = allowed  # url -> None, or why a request to it is refused
        self.playwright = playwright
        self.browser = browser
        #: the pool; None once the browser is gone for good (`failure` says why)
        self.slots: asyncio.Queue[_Slot | None] = asyncio.Queue()
        self.failure: str | None = None
        self.relaunches = 0
        self.notes: list[str] = []  # what happened to the browser, for the crawl's manifest
        self._relaunching = asyncio.Lock()

    @classmethod
    async def start(cls, settings: CrawlSettings, fetcher: Fetcher, allowed: Vet) -> Renderer:
        """Launch Chromium and open the page pool; `allowed(url)` vets every subrequest."""
        path = settings.chromium_path
        if not path.is_file():
            raise RenderUnavailable(f"no browser at {path}")
        if not os.access(path, os.X_OK):
            raise RenderUnavailable(f"{path} is not executable")
        playwright = await async_playwright().start()
        try:
            browser = await _launch(playwright, settings)
            renderer = cls(settings, fetcher, allowed, playwright, browser)
            for _ in range(settings.render_pages):
                renderer.slots.put_nowait(await renderer._open())
        except (PlaywrightError, TimeoutError) as exc:
            with contextlib.suppress(PlaywrightError):
                await playwright.stop()
            raise RenderUnavailable(_reason(exc, BROWSER_SECONDS)) from None
        return renderer

    async def _open(self) -> _Slot:
        browser = self.browser
        context = await asyncio.wait_for(
            browser.new_context(user_agent=self.settings.user_agent, service_workers="block"),
            BROWSER_SECONDS,
        )
        page = await asyncio.wait_for(context.new_page(), BROWSER_SECONDS)
        slot = _Slot(browser, context, page)
        page.on("pageerror", lambda error: _keep(slot.js_errors, first_line(error, 300)))
        await page.route("**/*", lambda route, request: self._route(slot, route, request))
        return slot

    async def render(self, url: str, body: bytes, content_type: str) -> Rendered:
        slot = await self.slots.get()
        if slot is not None and slot.browser is not self.browser:  # opened before a relaunch
            slot = await self._recycle(slot, healthy=False)
        if slot is None:  # the browser is gone: pass the pool's end on to the next waiter
            self.slots.put_nowait(None)
            return Rendered(None, f"not rendered: {self.failure}", [], [])
        healthy = True
        try:
            slot.reset(body, content_type)
            error = await self._navigate(slot.page, url)
            try:
                html: str | None = await asyncio.wait_for(slot.page.content(), SNAPSHOT_SECONDS)
            except (TimeoutError, PlaywrightError) as exc:
                html, healthy = None, False  # scripts hold the page: replace it
                error = error or f"no DOM snapshot: {_reason(exc, SNAPSHOT_SECONDS)}"
            return Rendered(html, error, slot.js_errors, slot.blocked)
        finally:
            self.slots.put_nowait(await self._recycle(slot, healthy))

    async def _navigate(self, page: Page, url: str) -> str | None:
        timeout = self.settings.render_timeout
        try:
            await page.goto(url, wait_until=self.settings.render_wait, timeout=timeout * 1000)
        except PlaywrightTimeout:
            return f"timeout: not settled ({self.settings.render_wait}) in {timeout:g} s"
        except PlaywrightError as exc:
            return first_line(exc, 300)
        return None

    async def _recycle(self, slot: _Slot, healthy: bool) -> _Slot | None:
        """The slot ready for the next page: cleared, else replaced; None when the browser is
        gone and cannot be launched again."""
        slot.document = None
        if healthy and slot.browser is self.browser and self.browser.is_connected():
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(slot.page.goto("about:blank"), SNAPSHOT_SECONDS)
                return slot
        with contextlib.suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(slot.context.close(), BROWSER_SECONDS)
        browser = self.browser
        try:
            return await self._open()
        except (PlaywrightError, TimeoutError) as exc:
            return await self._relaunch(browser, _reason(exc, BROWSER_SECONDS))

    async def _relaunch(self, failed: Browser, reason: str) -> _Slot | None:
        """A new browser in place of `failed`, which no longer opens pages (unless another
        slot has replaced it already; at most MAX_RELAUNCHES times), and a slot in it; None,
        with `failure` set, when that is not possible."""
        async with self._relaunching:
            if self.failure is not None:
                return None
            if self.browser is failed:
                if self.relaunches >= MAX_RELAUNCHES:
                    return self._give_up(f"the browser stopped again ({reason})")
                self.relaunches += 1
                with contextlib.suppress(PlaywrightError, TimeoutError):
                    await asyncio.wait_for(self.browser.close(), BROWSER_SECONDS)
                try:
                    self.browser = await _launch(self.playwright, self.settings)
                except (PlaywrightError, TimeoutError) as exc:
                    return self._give_up(
                        f"the browser stopped ({reason}) and did not start again "
                        f"({_reason(exc, BROWSER_SECONDS)})"
                    )
                self.notes.append(f"the browser stopped ({reason}) and was started again")
            try:
                return await self._open()
            except (PlaywrightError, TimeoutError) as exc:
                return self._give_up(
                    f"no page opens in the browser ({_reason(exc, BROWSER_SECONDS)})"
                )

    def _give_up(self, failure: str) -> _Slot | None:
        """Stop rendering: every page from now on is parsed as served."""
        self.failure = failure
        self.notes.append(f"{failure}: the pages after it were parsed without rendering")
        return None

    async def _route(self, slot: _Slot, route: Route, request: Request) -> None:
        # the page may move on (closed, navigated away) while a request is pending
        with contextlib.suppress(PlaywrightError):
            await self._answer(slot, route, request)

    async def _answer(self, slot: _Slot, route: Route, request: Request) -> None:
        main = request.is_navigation_request() and request.frame.parent_frame is None
        if main and slot.document is not None:  # the page itself: the body already fetched
            body, kind = slot.document
            slot.document = None
            await route.fulfill(status=200, headers={"content-type": kind}, body=body)
            return
        if request.resource_type in _SKIPPED_TYPES:
            await route.abort("blockedbyclient")
            return
        url = try_normalize(request.url)
        reason = "not http(s)" if url is None else await self.allowed(url)
        if reason is None and request.method not in _FETCHED:
            reason = f"method {request.method}"
        if url is None or reason is not None:
            _keep(slot.blocked, f"{request.url[:500]} ({reason})")
            await route.abort("blockedbyclient")
            return
        response = await self.fetcher.get(url, request.method)
        if response.status is None:
            _keep(slot.blocked, f"{url[:500]} ({_failure(response.error)})")
            await route.abort(
                "blockedbyclient" if response.error == "private_address" else "failed"
            )
            return
        if response.status >= 400:  # answered, but the page went without it
            _keep(slot.blocked, f"{url[:500]} (HTTP {response.status})")
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        await route.fulfill(status=response.status, headers=headers, body=response.body)

    async def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            await self.browser.close()
        with contextlib.suppress(PlaywrightError):
            await self.playwright.stop()


async def _launch(playwright: Playwright, settings: CrawlSettings) -> Browser:
    launch = playwright.chromium.launch(
        executable_path=str(settings.chromium_path), args=FLAGS, headless=True
    )
    return await asyncio.wait_for(launch, BROWSER_SECONDS)


def _reason(error: BaseException, seconds: float) -> str:
    """Why a browser call failed: its error's first line, or, for a bound of our own that ran
    out (`asyncio.wait_for`'s TimeoutError has no text: `first_line` would say "TimeoutError"),
    how long it was given."""
    if isinstance(error, TimeoutError) and not str(error).strip():
        return f"timeout: no answer in {seconds:g} s"
    return first_line(error, 300)


def _keep(items: list[str], item: str) -> None:
    if len(items) < MAX_RECORDED:
        items.append(item)


def _failure(error: str | None) -> str:
    """The reason recorded for a subrequest that got no response."""
    return "private_address" if error == "private_address" else f"failed: {error or 'unknown'}"
