"""The generated sample site: one generator for the demo, the tests and the benchmarks.

    sample = SampleSite(pages=60, defects=True)
    with sample.serve() as site:              # HTTPS on 127.0.0.1, plain HTTP beside it
        crawl(site.url, ca_file=site.ca_file)
        site.defects                          # [SeededDefect(check, url, note), ...]

    SampleSite(pages=10_000, defects=False).export(folder, "http://127.0.0.1:8080")  # nginx

With `defects=True` every audit check of issue 2 has at least one seeded case and every other
page is clean; `hostile=True` adds the bad-input routes (and a second host on 127.0.0.2), which
make checks fire too, so the ground truth is exact only without them. `javascript=True` adds a
catalogue built by scripts (sample/javascript.py), found only by `crawl --render js`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from marketloop.fakes.server import LocalServer
from marketloop.sample.app import Mount, make_app
from marketloop.sample.defects import Expected, seed_defects
from marketloop.sample.hostile import add_hostile, second_host_app
from marketloop.sample.javascript import add_javascript
from marketloop.sample.media import STYLESHEET, image
from marketloop.sample.model import Origin, Site, build_site
from marketloop.sample.render import Bases, render_page, robots_txt, sitemap_files
from marketloop.sample.tls import make_certificate, server_context
from marketloop.sample.words import Prose

SECOND_HOST = "127.0.0.2"


@dataclass(frozen=True)
class SeededDefect:
    check: str  # an audit check id
    url: str  # the URL the audit must report it on
    note: str  # what was seeded


class SampleSite:
    def __init__(
        self,
        pages: int = 60,
        *,
        seed: int = 7,
        defects: bool = True,
        hostile: bool = False,
        javascript: bool = False,
    ) -> None:
        prose = Prose(seed)
        self.site: Site = build_site(pages, prose)
        self.expected: list[Expected] = seed_defects(self.site, prose) if defects else []
        if javascript:  # a catalogue built by scripts, found only by rendering (javascript.py)
            add_javascript(self.site, prose, max(10, pages // 10))
        self.hostile = hostile
        if hostile:
            add_hostile(self.site, prose)

    @property
    def page_count(self) -> int:
        return len(self.site.pages)

    def serve(self) -> RunningSite:
        return RunningSite(self).start()

    def export(self, folder: Path, base_url: str) -> int:
        """Write the site as static files for a web server at `base_url`; return the page count.

        Only the clean site can be exported: defects and hostile cases need a live server.
        """
        if self.expected or self.hostile:
            raise ValueError("export the clean site: SampleSite(defects=False, hostile=False)")
        bases = Bases(base_url.rstrip("/"), base_url.rstrip("/"))
        files: dict[str, bytes] = {"/robots.txt": robots_txt(self.site, bases)}
        files.update(sitemap_files(self.site, bases))
        files["/static/site.css"] = STYLESHEET
        files.update((path, body) for path, (_, body) in self.site.files.items())
        for path, size in self.site.images.items():
            files[path] = image(path, size)
        for page in self.site.pages.values():
            files[page.path + "index.html"] = render_page(page, self.site, bases)
        for path, data in files.items():
            target = folder / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return len(self.site.pages)


class RunningSite:
    """The sample site served on 127.0.0.1: HTTPS for the site, plain HTTP on another port."""

    def __init__(self, sample: SampleSite) -> None:
        self.sample = sample
        self._tmp = Path(tempfile.mkdtemp(prefix="marketloop-sample-"))
        self.ca_file, key_file = make_certificate(self._tmp)
        self._main_mount = Mount(sample.site, Origin.MAIN)
        self._plain_mount = Mount(sample.site, Origin.PLAIN)
        context = server_context(self.ca_file, key_file)
        self._main = LocalServer(make_app(self._main_mount), ssl_context=context)
        self._plain = LocalServer(make_app(self._plain_mount))
        self._second = LocalServer(second_host_app(), host=SECOND_HOST) if sample.hostile else None
        self.bases = Bases(self._main.url, self._plain.url)
        self._main_mount.bases = self._plain_mount.bases = self.bases

    @property
    def url(self) -> str:
        """The start URL of the site (HTTPS home page)."""
        return self._main.url + "/"

    @property
    def plain_url(self) -> str:
        return self._plain.url + "/"

    @property
    def second_url(self) -> str:
        if self._second is None:
            raise ValueError("the second host runs only with SampleSite(hostile=True)")
        return self._second.url + "/"

    @property
    def defects(self) -> list[SeededDefect]:
        """What an audit of a crawl of `url` must find, with absolute URLs."""
        return [
            SeededDefect(e.check, self.bases.absolute(e.where), e.note)
            for e in self.sample.expected
        ]

    @property
    def hits(self) -> Counter[str]:
        """Requests the HTTPS site has answered, by path (decoded)."""
        return self._main_mount.hits

    def hold_pages_after(self, count: int | None) -> None:
        """Tests: answer `count` more page requests, then hold every later one until this is
        called with None, so a crawl can be stopped at a point chosen by counting pages."""
        mount = self._main_mount
        mount.page_hits = mount.held = 0
        mount.open_pages = count

    @property
    def held(self) -> int:
        """Page requests held by `hold_pages_after` so far."""
        return self._main_mount.held

    def crawl_overrides(self) -> dict[str, object]:
        """Crawl settings that let the crawler trust the site's throwaway certificate."""
        return {"ca_file": str(self.ca_file)}

    def start(self) -> RunningSite:
        servers = [s for s in (self._main, self._plain, self._second) if s is not None]
        try:
            for server in servers:
                server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in (self._main, self._plain, self._second):
            if server is not None:
                server.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
