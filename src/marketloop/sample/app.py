"""The aiohttp application that serves the sample site (one per origin: HTTPS site, plain HTTP)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from marketloop.sample import hostile
from marketloop.sample.media import STYLESHEET, image
from marketloop.sample.model import Origin, Site, Special
from marketloop.sample.render import Bases, render_page, robots_txt, sitemap_files

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
NOT_FOUND = (
    b"<!doctype html><html><head><title>Page not found</title></head><body>Not found</body></html>"
)


@dataclass
class Mount:
    """What one server serves; `bases` is set once every server knows its port."""

    site: Site
    origin: Origin
    bases: Bases | None = None
    cache: dict[str, bytes] = field(default_factory=dict)
    sitemaps: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)  # requests per path, for tests
    #: tests: past this many page requests, every page request is held until it is None again
    open_pages: int | None = None
    page_hits: int = 0  # page requests since `open_pages` was set
    held: int = 0  # page requests held so far

    def cached(self, key: str, make: Callable[[], bytes]) -> bytes:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


MOUNT = web.AppKey("mount", Mount)
NO_SECURITY_HEADERS = web.RequestKey("no_security_headers", bool)


def make_app(mount: Mount) -> web.Application:
    app = web.Application(middlewares=[_security_headers])
    app[MOUNT] = mount
    app[hostile.RATE_LIMITED_HITS] = [0]
    app.router.add_route("*", "/{tail:.*}", _handle)
    return app


@web.middleware
async def _security_headers(request: web.Request, handler: hostile.Handler) -> web.StreamResponse:
    response = await handler(request)
    if not request.get(NO_SECURITY_HEADERS) and not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response


async def _handle(request: web.Request) -> web.StreamResponse:
    mount = request.app[MOUNT]
    site, bases, path = mount.site, mount.bases, request.path
    mount.hits[path] += 1
    assert bases is not None, "the site is not mounted yet"
    await _gate(mount, path)
    asset = _asset(mount, bases, path)
    if asset is not None:
        return asset
    special = site.specials.get(path)
    if special is not None and mount.origin is Origin.MAIN:
        return await _special(request, special)
    page = site.pages.get(path)
    if page is None or page.origin is not mount.origin:
        if mount.origin is Origin.PLAIN:
            raise web.HTTPMovedPermanently(bases.main + path)
        return web.Response(status=404, body=NOT_FOUND, content_type="text/html")
    if page.delay:
        await asyncio.sleep(page.delay)
    if not page.security_headers:
        request[NO_SECURITY_HEADERS] = True
    body = mount.cached(path, lambda: render_page(page, site, bases))
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=page.headers)


async def _gate(mount: Mount, path: str) -> None:
    """Tests stop a crawl at a chosen page: past `open_pages` page requests, each is held."""
    if mount.open_pages is None or path not in mount.site.pages:
        return
    mount.page_hits += 1
    if mount.page_hits <= mount.open_pages:
        return
    mount.held += 1
    while mount.open_pages is not None:
        await asyncio.sleep(0.05)


def _asset(mount: Mount, bases: Bases, path: str) -> web.Response | None:
    """robots.txt, sitemaps, stylesheet, scripts and images; None for anything else."""
    if path == "/robots.txt":
        main = mount.origin is Origin.MAIN
        robots = robots_txt(mount.site, bases) if main else b"User-agent: *\nAllow: /\n"
        return web.Response(body=robots, content_type="text/plain")
    if mount.origin is Origin.MAIN:
        if not mount.sitemaps:
            mount.sitemaps = sitemap_files(mount.site, bases)
        if path in mount.sitemaps:
            kind = "application/gzip" if path.endswith(".gz") else "application/xml"
            return web.Response(body=mount.sitemaps[path], content_type=kind)
    if path in mount.site.files:  # scripts and data of the JavaScript section
        kind, body = mount.site.files[path]
        return web.Response(body=body, content_type=kind)
    if path.endswith((".css", ".js")):
        kind = "text/css" if path.endswith(".css") else "text/javascript"
        return web.Response(body=STYLESHEET, content_type=kind)
    if path in mount.site.images:
        data = mount.cached(path, lambda: image(path, mount.site.images[path]))
        return web.Response(body=data, content_type="image/png")
    return None


async def _special(request: web.Request, special: Special) -> web.StreamResponse:
    if special.kind == "redirect":
        assert special.location is not None
        return web.Response(status=special.status, headers={"Location": special.location})
    if special.kind == "status":
        body = f"<!doctype html><html><head><title>Error {special.status}</title></head></html>"
        return web.Response(status=special.status, text=body, content_type="text/html")
    if special.kind == "reset":
        return await hostile.reset(request)
    assert special.handler is not None
    return await hostile.HANDLERS[special.handler](request)
