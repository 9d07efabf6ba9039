"""The crawl stage's action: `crawl` (what `marketloop crawl URL` runs).

In a run, the dataset folder is named after the run (`crawls/HOST-RUN_ID`), so a step that runs
again after its worker died resumes that crawl instead of starting over, and a finished one is
returned as it is.
"""

from __future__ import annotations

import shutil

from pydantic import Field, field_validator

from marketloop.actions import Action, ActionContext, ActionResult, Args
from marketloop.crawl.config import compiled_patterns
from marketloop.crawl.urls import host_of, normalize


class CrawlArgs(Args):
    url: str = Field(description="start URL, e.g. https://example.com/")
    max_urls: int | None = Field(None, ge=1)
    max_depth: int | None = Field(None, ge=0)
    concurrency: int | None = Field(None, ge=1, le=512)
    max_rps: float | None = Field(None, gt=0)
    include: list[str] | None = None
    exclude: list[str] | None = None
    allow_private_networks: bool | None = None

    # refused at `loop check`, as `marketloop crawl` refuses them, not when the step runs
    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        normalize(url)  # InvalidUrl is a ValueError
        return url

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, patterns: list[str] | None) -> list[str] | None:
        return None if patterns is None else compiled_patterns(patterns)


def run(ctx: ActionContext, args: CrawlArgs) -> ActionResult:
    from marketloop.crawl.dataset import Manifest
    from marketloop.crawl.run import run_crawl
    from marketloop.crawl.session import STATE
    from marketloop.errors import CrawlError

    overrides = args.model_dump(exclude={"url"}, exclude_none=True)
    settings = ctx.settings.crawl.model_validate({**ctx.settings.crawl.model_dump(), **overrides})
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in host_of(normalize(args.url)))
    folder = ctx.workspace.crawls_dir / f"{safe}-{ctx.run_id}"  # this run's: safe to start over
    started = (folder / "manifest.json").is_file() and (folder / STATE).is_file()
    if started and Manifest.read(folder).status == "finished":
        return _result(folder, "finished earlier in this run")
    if not started and folder.exists():  # killed before the crawl kept any state
        shutil.rmtree(folder)
    result = run_crawl(args.url, folder, settings, resume=started)
    if result.interrupted:
        raise CrawlError(f"crawl of {args.url} was interrupted", hint="run the step again")
    counts = result.manifest.counts
    if not counts.get("urls"):
        shutil.rmtree(folder)  # nothing fetched (or killed before the start URL was queued)
        raise CrawlError(f"no URL of {args.url} answered", hint="check the URL and the network")
    return _result(folder, f"{counts.get('urls', 0)} URLs", urls=counts.get("urls", 0))


def _result(folder: object, summary: str, **facts: object) -> ActionResult:
    return ActionResult(outputs={"crawl dataset": str(folder)}, facts=dict(facts), summary=summary)


ACTIONS = [
    Action(
        "crawl",
        CrawlArgs,
        run,
        "crawl a site into a crawl dataset (`marketloop crawl`)",
        outputs="WORKSPACE/crawls/HOST-RUN_ID/",
    )
]
