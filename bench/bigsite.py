"""A large static site for the crawl bench, written in seconds rather than an hour.

The sample site (`marketloop.sample`) writes its prose word by word with `random`: about 1.2
CPU ms a page, so a million pages take some 20 CPU minutes before nginx serves the first one,
and `export` renders every page into memory first. This site has the same kind of page (head
with title, description, canonical and Open Graph, a header nav, an article of ~400 words, an
image, internal links), built from a fixed pool of sentences, and is written page by page.

Pages form a tree of fan-out `FANOUT` under the home page, numbered breadth-first, so depth
grows with the log of the size (5 at a million); each page also links to its parent and to
`RELATED` earlier pages spread over the site (links to URLs already known, as most of a real
site's links are). A sitemap index lists
every page in files of 50,000 URLs, as a large site's would.

    export(Path("/tmp/site"), "http://127.0.0.1:8080", 1_000)   # from bench.bigsite
    Generated(1_000_000).export(...)        # the first 20,000 now, the rest in the background
"""

from __future__ import annotations

import multiprocessing
import random
from pathlib import Path

FANOUT = 20
RELATED = 5
SITEMAP_URLS = 50_000
SENTENCES = 4_096
SEED = 7
HEAD_START = 20_000  # pages written before the crawl starts
WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list of 90
    "analysis audience baseline benchmark build campaign careful channel checklist choose "
    "clear cohort content context conversion cost crawl customer dashboard data decision "
    "deliver design draft early editor email engagement event experiment explain explore "
    "feedback focused funnel headline hypothesis impact improve index journey keyword launch "
    "learn lifecycle link metric model monthly offer onboarding page pipeline plan platform "
    "product prospect raise ranking reliable report research revenue review search segment "
    "share signal snippet source stakeholder strategy subscriber system target template test "
    "timeline tool topic track traffic trial update value visitor website weekly workflow"
).split()


class Generated:
    """The site of `pages` pages, exported as `SampleSite.export` is (the bench's `served`),
    except that past the first `HEAD_START` pages the rest are written by a background process
    while the crawl runs: page numbers are breadth-first order, the crawler's own, and writing
    (about 0.3 ms a page in memory) stays ahead of crawling. `close` waits for the writer."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.writer: multiprocessing.Process | None = None

    def export(self, folder: Path, base_url: str) -> int:
        head = min(self.pages, HEAD_START)
        export(folder, base_url, self.pages, stop=head)
        if head < self.pages:
            self.writer = multiprocessing.Process(
                target=export, args=(folder, base_url, self.pages), kwargs={"start": head}
            )
            self.writer.start()
        return self.pages

    def close(self) -> None:
        if self.writer is not None:
            self.writer.terminate()
            self.writer.join()


def page_path(n: int) -> str:
    return "/" if n == 0 else f"/p/{n // 1000}/{n}.html"


def export(
    folder: Path, base_url: str, pages: int, *, start: int = 0, stop: int | None = None
) -> int:
    """Write pages `start` to `stop` (default: all) of a `pages`-page site under `folder`, and
    with the first page robots.txt, the image and the sitemaps; return `pages`."""
    base = base_url.rstrip("/")
    rng = random.Random(SEED)
    pool = [_sentence(rng) for _ in range(SENTENCES)]
    folder.mkdir(parents=True, exist_ok=True)
    if start == 0:
        (folder / "robots.txt").write_text(
            f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap-index.xml\n"
        )
        (folder / "img").mkdir(exist_ok=True)
        (folder / "img" / "hero.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2_000))
        _sitemaps(folder, base, pages)
    made: set[str] = set()
    for n in range(start, pages if stop is None else stop):
        path = page_path(n)
        target = folder / ("index.html" if n == 0 else path.lstrip("/"))
        if target.parent.name not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent.name)
        target.write_text(_page(n, pages, base, pool), encoding="utf-8")
    return pages


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(9, 17))).capitalize() + "."


def _page(n: int, pages: int, base: str, pool: list[str]) -> str:
    title = f"{pool[n % SENTENCES][:40].rstrip('.')} · page {n}"
    text = [pool[(n * 31 + k * 977) % SENTENCES] for k in range(24)]
    paragraphs = "".join(f"<p>{' '.join(text[k : k + 4])}</p>\n" for k in range(0, 24, 4))
    children = range(n * FANOUT + 1, min(pages, n * FANOUT + FANOUT + 1))
    related = {(n * 7_919 + k * 104_729) % n for k in range(RELATED)} if n else set()
    linked = ([(n - 1) // FANOUT] if n else []) + list(children) + sorted(related)
    items = "".join(
        f'<li><a href="{page_path(m)}">{pool[m % SENTENCES][:30]}</a></li>' for m in linked
    )
    url = base + page_path(n)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{pool[(n * 13) % SENTENCES]} {pool[(n * 17 + 1) % SENTENCES]}">
<link rel="canonical" href="{url}">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
</head>
<body>
<header><a href="/">Home</a><nav><ul><li><a href="/p/0/1.html">Products</a></li>
<li><a href="/p/0/2.html">Guides</a></li></ul></nav></header>
<main><article>
<h1>{title}</h1>
{paragraphs}<figure><img src="/img/hero.png" alt="Illustration for page {n}" width="800"
height="450"></figure>
<h2>Related pages</h2>
<ul>{items}</ul>
</article></main>
</body>
</html>
"""


def _sitemaps(folder: Path, base: str, pages: int) -> None:
    names = []
    for part, start in enumerate(range(0, pages, SITEMAP_URLS)):
        urls = "".join(
            f"<url><loc>{base}{page_path(n)}</loc></url>\n"
            for n in range(start, min(pages, start + SITEMAP_URLS))
        )
        name = f"sitemap-{part}.xml"
        (folder / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
        )
        names.append(name)
    entries = "".join(f"<sitemap><loc>{base}/{name}</loc></sitemap>\n" for name in names)
    (folder / "sitemap-index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}'
        "</sitemapindex>\n"
    )
