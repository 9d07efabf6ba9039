"""The library entry point: crawl a site into a dataset folder, from sync code.

    result = run_crawl("https://example.com/", Path("out"), settings.crawl)
    result.manifest.status, result.manifest.counts, result.stats.rate

Used by the CLI, the demo, the benchmarks and (later) the runner. SIGINT and SIGTERM stop the
crawl cleanly (manifest `interrupted`, resumable with `resume=True`); a second one aborts.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp.abc import AbstractResolver

from marketloop.crawl.config import CrawlSettings
from marketloop.crawl.dataset import Manifest
from marketloop.crawl.engine import Crawler, ProgressFn
from marketloop.crawl.progress import CrawlStats


@dataclass
class CrawlResult:
    folder: Path
    manifest: Manifest
    stats: CrawlStats  # figures of this run (a resumed crawl counts only its own work)

    @property
    def interrupted(self) -> bool:
        return self.manifest.status == "interrupted"


def run_crawl(
    url: str,
    folder: Path,
    settings: CrawlSettings,
    *,
    resume: bool = False,
    resolver: AbstractResolver | None = None,
    on_progress: ProgressFn | None = None,
    seeds: Sequence[str] = (),
) -> CrawlResult:
    """Crawl from `url`; in list mode (`settings.mode == "list"`) exactly `seeds`, or without
    seeds the URLs that the sitemap (or sitemap index) `url` lists."""
    return asyncio.run(
        crawl(
            url,
            folder,
            settings,
            resume=resume,
            resolver=resolver,
            on_progress=on_progress,
            seeds=seeds,
        )
    )


async def crawl(
    url: str,
    folder: Path,
    settings: CrawlSettings,
    *,
    resume: bool = False,
    resolver: AbstractResolver | None = None,
    on_progress: ProgressFn | None = None,
    seeds: Sequence[str] = (),
) -> CrawlResult:
    crawler = Crawler(
        url,
        folder,
        settings,
        resume=resume,
        resolver=resolver,
        on_progress=on_progress,
        seeds=seeds,
    )
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def stop() -> None:
        crawler.stop()
        for sig in installed:  # a second signal takes the default path: abort
            loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
        except (RuntimeError, ValueError):  # not the main thread: the caller handles signals
            break
    try:
        manifest = await crawler.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return CrawlResult(folder, manifest, crawler.stats)
