"""Hostile cases of the sample site (issue 2, "Bad input"), switched on with `hostile=True`.

Each is a route that misbehaves the way real servers do: malformed HTML, wrong or missing
charsets, binary bodies labelled text/html, a body larger than any sane limit, an endless
redirect and a self-loop, a response that drips one byte at a time, dropped connections, bytes
that are not HTTP, a broken gzip body, a 429 with Retry-After, and a page of awkward links
(relative, protocol-relative, fragments, unicode and IDN). A second host (127.0.0.2) serves an
invalid robots.txt and invalid sitemaps. They are linked from `/hostile/` (linked from the home
page), and they make audit checks fire, so the ground truth holds only with `hostile=False`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from marketloop.sample.model import Page, Site, Special
from marketloop.sample.words import BRAND, Prose

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HUGE_BYTES = 30 * 1024 * 1024
DRIP_SECONDS = 120.0

CASES = {
    "/hostile/malformed/": "malformed",
    "/hostile/wrong-charset/": "wrong_charset",
    "/hostile/no-charset/": "no_charset",
    "/hostile/binary/": "binary",
    "/hostile/huge/": "huge",
    "/hostile/redirect/1/": "endless_redirect",
    "/hostile/loop/": "self_loop",
    "/hostile/drip/": "drip",
    "/hostile/reset/": "reset",
    "/hostile/garbage/": "garbage",
    "/hostile/bad-gzip/": "bad_gzip",
    "/hostile/rate-limited/": "rate_limited",
    "/hostile/empty/": "empty",
}
AWKWARD_LINKS = (
    ("../../pricing/", "relative link up two levels"),
    ("//{host}/hostile/protocol-relative/", "protocol-relative link"),
    ("/pricing/#faq", "link with a fragment"),
    ("#top", "fragment only"),
    ("  /docs/  ", "href with spaces around it"),
    ("/hostile/café/", "unicode path"),
    ("/hostile/caf%C3%A9/?q=ä b", "percent-encoded path and unicode query"),
    ("HTTPS://{host}/hostile/Upper/", "upper-case scheme"),
    ("http://bücher.example/", "IDN host (external)"),
    ("http://[::1/", "malformed URL"),
    ("javascript:void(0)", "javascript link"),
    ("mailto:hello@lumen.example", "mail link"),
)


def add_hostile(site: Site, prose: Prose) -> None:
    """Add the hostile routes and the pages that link to them."""
    for path, handler in CASES.items():
        site.specials[path] = Special(path, "hostile", handler=handler)
    for n in range(2, 200):
        site.specials[f"/hostile/redirect/{n}/"] = Special(
            f"/hostile/redirect/{n}/", "hostile", handler="endless_redirect"
        )
    index = _page(prose, "/hostile/", "Edge cases for crawlers")
    index.links = [
        (path, f"Edge case {handler.replace('_', ' ')}") for path, handler in CASES.items()
    ]
    index.links.append(("/hostile/links/", "Awkward links"))
    site.add(index)
    awkward = site.add(_page(prose, "/hostile/links/", "Links that are hard to resolve"))
    awkward.links = list(AWKWARD_LINKS)
    for path in ("/hostile/café/", "/hostile/protocol-relative/", "/hostile/Upper/"):
        site.add(_page(prose, path, f"Reached through {path}"))
    site.pages["/"].links.append(("/hostile/", "Edge cases for crawlers"))


def _page(prose: Prose, path: str, title: str) -> Page:
    return Page(
        path,
        prose.claim(f"{title} | {BRAND}"),
        prose.description(title),
        [title],
        prose.paragraphs(220),
        in_sitemap=False,
    )


async def malformed(request: web.Request) -> web.StreamResponse:
    body = b"<html><head><title>Broken <b>markup</title><body><div><p>Unclosed <a href='/pricing/'>"
    body += b"pricing<table><tr><td>cell</div></span></p><script>var x = '</scr' + 'ipt>';</body>"
    return web.Response(body=body * 3, content_type="text/html")


async def wrong_charset(request: web.Request) -> web.StreamResponse:
    body = "<html><head><title>Café Müller et crème brûlée</title></head><body><h1>Größe</h1>"
    return web.Response(
        body=body.encode("latin-1"), headers={"Content-Type": "text/html; charset=utf-8"}
    )


async def no_charset(request: web.Request) -> web.StreamResponse:
    body = "<html><head><title>Smart “quotes” – and dashes</title></head><body>Naïve</body></html>"
    return web.Response(body=body.encode("cp1252"), headers={"Content-Type": "text/html"})


async def binary(request: web.Request) -> web.StreamResponse:
    noise = random.Random(3).randbytes(50_000)  # noqa: S311 - fixed test bytes
    return web.Response(body=noise, content_type="text/html")


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
    await response.prepare(request)
    chunk = b"<p>" + b"word " * 13_000 + b"</p>\n"
    sent = 0
    try:
        while sent < HUGE_BYTES:
            await response.write(chunk)
            sent += len(chunk)
    except (ConnectionError, RuntimeError):
        return response
    return response


async def endless_redirect(request: web.Request) -> web.StreamResponse:
    number = int(request.path.strip("/").rsplit("/", 1)[-1])
    raise web.HTTPFound(f"/hostile/redirect/{number + 1}/")


async def self_loop(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently(request.path)


async def drip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRIP_SECONDS
    try:
        while loop.time() < deadline:
            await response.write(b"<")
            await asyncio.sleep(0.25)
    except (ConnectionError, RuntimeError):
        pass
    return response


async def reset(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()  # never sent: the connection is gone


async def garbage(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        transport.write(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 not http at all\r\n\r\n")
        transport.close()
    return web.Response()  # never sent: the connection is closed


async def bad_gzip(request: web.Request) -> web.StreamResponse:
    return web.Response(
        body=b"\x1f\x8b\x08\x00this is not gzip",
        headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
    )


RATE_LIMITED_HITS = web.AppKey("rate_limited_hits", list[int])


async def rate_limited(request: web.Request) -> web.StreamResponse:
    hits = request.app[RATE_LIMITED_HITS]
    hits[0] += 1
    if hits[0] == 1:
        return web.Response(status=429, text="slow down", headers={"Retry-After": "1"})
    html = f"<html><head><title>Rate limited, then fine | {BRAND}</title></head><body>ok</body>"
    return web.Response(text=html, content_type="text/html")


async def empty(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"", content_type="text/html")


HANDLERS: dict[str, Handler] = {name: globals()[name] for name in sorted(set(CASES.values()))}


def second_host_app() -> web.Application:
    """127.0.0.2: an invalid robots.txt that names invalid sitemaps, and a tiny site."""
    files: dict[str, tuple[bytes, str]] = {
        "/robots.txt": (
            b"\x89PNG\x00garbage\nUser-agent *\nDisalow: /x\n<html>not robots</html>\n"
            b"Sitemap: /relative-sitemap.xml\nSitemap: {base}/sitemap-html.xml\n"
            b"Sitemap: {base}/sitemap-truncated.xml.gz\nSitemap: {base}/sitemap-missing.xml\n"
            b"Sitemap: {base}/sitemap-broken.xml\nSitemap: {base}/sitemap-bad-gzip.xml\n",
            "text/plain",
        ),
        "/sitemap-html.xml": (b"<html><body>Not a sitemap</body></html>", "text/html"),
        "/sitemap-truncated.xml.gz": (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xb3\xb1",
            "application/gzip",
        ),
        "/sitemap-broken.xml": (
            b"<urlset><url><loc>{base}/</loc></url><url><loc>",
            "application/xml",
        ),
        "/": (
            b"<html><head><title>Second host</title></head><body><a href='/a/'>a</a></body></html>",
            "text/html",
        ),
        "/a/": (
            b"<html><head><title>Page a</title></head><body><a href='/'>home</a></body></html>",
            "text/html",
        ),
    }

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/sitemap-bad-gzip.xml":  # 200, then the body cannot be decoded
            return await bad_gzip(request)
        if request.path not in files:
            raise web.HTTPNotFound()
        body, content_type = files[request.path]
        base = f"http://{request.host}".encode()
        return web.Response(body=body.replace(b"{base}", base), content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app
