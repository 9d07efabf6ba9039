"""The demo's crawl step: serve the sample site on 127.0.0.1 and crawl it into the workspace.

The site keeps running until the demo ends (`run.resources`), and its address is left in
`run.site_url` for the steps after this one.
"""

from __future__ import annotations

from marketloop.clikit import console
from marketloop.crawl.cli import CrawlProgress
from marketloop.crawl.run import run_crawl
from marketloop.crawl.urls import host_of
from marketloop.demo import DemoRun
from marketloop.sample import SampleSite

DEMO_PAGES = 60


def crawl_step(run: DemoRun) -> None:
    site = run.resources.enter_context(SampleSite(pages=DEMO_PAGES).serve())
    run.site_url = site.url
    console.print(f"sample site: {site.url} ({len(site.defects)} seeded defects)")
    settings = run.settings.crawl.model_copy(update=site.crawl_overrides())
    folder = run.workspace.new_crawl_dir(host_of(site.url))
    with CrawlProgress() as progress:
        result = run_crawl(site.url, folder, settings, on_progress=progress)
    counts = result.manifest.counts
    console.print(
        f"crawled {counts.get('urls', 0)} URLs ({counts.get('links', 0)} links) "
        f"in {result.stats.elapsed:.1f} s → {folder}"
    )
    run.outputs["crawl dataset"] = folder
