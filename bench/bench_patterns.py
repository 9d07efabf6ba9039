"""Per-URL cost of the crawl's URL regexes with a time limit (`python -m bench patterns`).

`--include`/`--exclude` and the replace rules of `[crawl.rewrite]` run on every discovered URL
with the `regex` package's `timeout=` (crawl/patterns.py). This times, over URLS distinct URLs,
`Scope.wanted` with one include and one exclude rule and `Rewriter` with two replace rules
(both uncached: in a crawl, site-wide links repeat and each is decided once), against the same
patterns run by `re` without a limit (the code before the limit), in CPU time of this process,
best of RUNS passes. A parsed page costs about a millisecond of CPU and names tens of links: the
goal is that the limit adds under 10 µs per URL and rule set. A last line times the scope on
links as pages name them (50 site-wide links and 50 others per page), where its cache answers.

    python -m bench patterns                       # 100,000 URLs, 5 passes
    BENCH_PATTERNS_URLS=20000 python -m bench patterns
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable

URLS = int(os.environ.get("BENCH_PATTERNS_URLS", "100000"))
RUNS = int(os.environ.get("BENCH_PATTERNS_RUNS", "5"))
GOAL_EXTRA_US = 10.0
INCLUDE = r"^https://www\.example\.com/(blog|docs|shop)/"
EXCLUDE = r"[?&](print|sessionid)="
REPLACE = ((r"^http://", "https://"), (r"/index\.html?$", "/"))


def main() -> None:
    from marketloop.crawl.config import CrawlSettings
    from marketloop.crawl.records import RewriteRules
    from marketloop.crawl.rewrite import Rewriter
    from marketloop.crawl.scope import Scope
    from marketloop.crawl.urls import try_normalize

    sections = ("blog", "docs", "shop", "about")
    urls = [
        f"https://www.example.com/{sections[i % 4]}/{i}/an-article-title-{i}/index.html"
        f"?page={i % 7}&utm_source=news"
        for i in range(URLS)
    ]
    scope = Scope("https://www.example.com/", CrawlSettings(include=[INCLUDE], exclude=[EXCLUDE]))
    rewriter = Rewriter(RewriteRules(replace=REPLACE))
    include, exclude = re.compile(INCLUDE), re.compile(EXCLUDE)
    replace = [(re.compile(p), r) for p, r in REPLACE]

    def scope_re(url: str) -> bool:
        return include.search(url) is not None and exclude.search(url) is None

    def rewrite_re(url: str) -> str:  # Rewriter._rewrite as it was, with `re`
        rewritten = url
        for pattern, replacement in replace:
            rewritten = pattern.sub(replacement, rewritten)
        return try_normalize(rewritten) or url

    def guarded_scope(url: str) -> bool:
        return scope._decide(url)  # uncached: every URL distinct (a crawl's links repeat)

    def guarded_rewrite(url: str) -> str:
        return rewriter._rewrite(url)  # uncached, as above

    sample = urls[:100]
    assert [guarded_scope(u) for u in sample] == [scope_re(u) for u in sample]
    assert [guarded_rewrite(u) for u in sample] == [rewrite_re(u) for u in sample]
    pairs: list[tuple[str, Callable[[str], object], Callable[[str], object]]] = [
        ("include + exclude", scope_re, guarded_scope),
        ("2 replace rules", rewrite_re, guarded_rewrite),
    ]
    print(f"URL regexes, {URLS:,} URLs, best of {RUNS} passes (CPU µs per URL)")
    for name, before, after in pairs:
        old = _best(before, urls)
        new = _best(after, urls)
        extra = new - old
        mark = "ok" if extra < GOAL_EXTRA_US else "OVER GOAL"
        print(f"  {name:18} re {old:6.2f}   regex+timeout {new:6.2f}   +{extra:5.2f}  {mark}")
    # as a crawl meets links: each page names 50 site-wide links and 50 others (a fresh scope,
    # so its cache starts empty, per pass)
    rng = random.Random(3)
    links = [u for _ in range(URLS // 100) for u in urls[:50] + rng.sample(urls, 50)]
    old = _best(scope_re, links)
    new = _best(scope_re, links, lambda: Scope("https://www.example.com/", scope.settings).wanted)
    print(f"  {'the same, as links':18} re {old:6.2f}   regex+timeout {new:6.2f}   (cached)")


def _best(
    work: Callable[[str], object],
    urls: list[str],
    fresh: Callable[[], Callable[[str], object]] | None = None,
) -> float:
    """CPU µs per URL, best of RUNS passes; `fresh` makes the function anew for each pass."""
    times = []
    for _ in range(RUNS):
        run = work if fresh is None else fresh()
        started = time.process_time()
        for url in urls:
            run(url)
        times.append(time.process_time() - started)
    return min(times) / len(urls) * 1e6
